"""One REINFORCE step (rollout + reference and RM scoring + update): ReinforceModule vs TRL's RLOOTrainer with the
closest settings it allows, timed in one process, the two sides alternating run by run.

Made equal on both sides: the model and RM, the prompts (the same prompts, each sampled twice per step, since k=2
samples per prompt is RLOO's minimum; prompts of near-equal length, so padding does not differ), completions per
step, max new tokens, plain sampling (temperature 1, no top-k/top-p), beta, one update per rollout batch, AdamW,
bf16 mixed precision (autocast over float32 weights), no gradient checkpointing, no reward standardisation or
unfinished penalty (TRL has neither). Recorded on both sides, because sampled lengths can still differ: generated
tokens per step, and the time of each phase of the step (ours: Lightning's SimpleProfiler over the sections of
`ReinforceModule.training_step`; TRL: its own profiling contexts).

The peak resident memory of the process is recorded too; run one side alone (``--sides ours``) to read it as the
peak of a REINFORCE run. Timing does not depend on the RM's weights: without ``--reward-model`` an untrained head
on the SFT backbone is written next to the policy and used.

python bench/bench_reinforce.py --policy-dir $RLHF_ARTIFACTS/bench/policy --completions 16 --max-new-tokens 128 \
    --steps 4 --warmup-steps 1 --repeats 3 --out results/bench/reinforce_cpu.json
"""

import argparse
import os
import resource
import statistics
import tempfile
from collections import defaultdict

import lightning as L
import torch
from common import (
    HFStepTimer,
    add_common_args,
    environment,
    seconds_per_step,
    table,
    timed_lightning_fit,
    untrained_reward_model,
    write,
)
from datasets import Dataset
from lightning.pytorch.profilers import SimpleProfiler
from torch.utils.data import DataLoader
from transformers import TrainerCallback

from rlhf.data import PromptCollator
from rlhf.dataset import PromptEncoder, clean_pairs, conversation, load_rows, prompt_key
from rlhf.models import load_causal_lm, load_reward_model, load_tokenizer
from rlhf.reinforce import ReinforceModule

SAMPLES_PER_PROMPT = 2  # RLOO's minimum; ours gets the same prompts twice per step


def equal_length_prompts(args, tokenizer, count: int) -> list[list[dict]]:
    """``count`` distinct prompts (as chats) whose token lengths are as close to each other as the data allows."""
    chats = {}
    for row in clean_pairs(load_rows(args.data)):
        chats.setdefault(prompt_key(row), conversation(row))
    chats = list(chats.values())
    lengths = [len(ids) for ids in PromptEncoder(tokenizer).full(chats)]
    order = [i for i in sorted(range(len(chats)), key=lambda i: lengths[i]) if lengths[i] <= args.max_prompt_length]
    if len(order) < count:
        raise SystemExit(f"only {len(order)} prompts fit max_prompt_length={args.max_prompt_length}")
    spread = lambda s: lengths[order[s + count - 1]] - lengths[order[s]]  # noqa: E731
    start = min(range(len(order) - count + 1), key=lambda s: (spread(s), -s))  # the longest of the tightest windows
    return [chats[i] for i in order[start : start + count]]


def phase_seconds(durations: dict[str, list[float]], steps: int, warmup: int) -> dict[str, float]:
    """Mean seconds per step of each profiled action, over the steps after the warm-up ones."""
    phases = {}
    for name, times in durations.items():
        per_step, leftover = divmod(len(times), steps)
        if per_step and not leftover:  # actions run a fixed number of times per step
            phases[name] = sum(times[per_step * warmup :]) / (steps - warmup)
    return phases


class ResponseLengths(L.Callback):
    def __init__(self):
        self.mean, self.unfinished = [], []

    def on_train_batch_end(self, trainer, *args):
        self.mean.append(float(trainer.callback_metrics["train/response_length"]))
        self.unfinished.append(float(trainer.callback_metrics["train/unfinished"]))


def run_ours(args, chats) -> dict:
    L.seed_everything(0)
    module = ReinforceModule(
        policy=args.policy_dir,
        reward_model=args.reward_model,
        tokenizer=args.tokenizer,
        lr=1e-6,
        beta=0.05,
        max_new_tokens=args.max_new_tokens,
        standardize_rewards=False,
        unfinished_penalty=0.0,
        sample_log_every_n_steps=0,
    )
    ids = PromptEncoder(module.tokenizer).full(chats)
    items = [{"prompt_ids": p, "index": i} for i, p in enumerate(ids) for _ in range(SAMPLES_PER_PROMPT)]
    loader = DataLoader(
        items, batch_size=args.completions, shuffle=False, collate_fn=PromptCollator(module.tokenizer.pad_token_id)
    )
    lengths = ResponseLengths()
    with tempfile.TemporaryDirectory() as out:
        profiler = SimpleProfiler(dirpath=out, filename="profile")  # to a file: the bench prints its own table
        times = timed_lightning_fit(
            module, loader, "bf16-mixed", callbacks=[lengths], profiler=profiler, max_steps=args.steps
        )
    return summarize_run(times, lengths.mean, lengths.unfinished, profiler.recorded_durations, args)


class TRLResponseLengths(TrainerCallback):
    def __init__(self):
        self.mean, self.unfinished = [], []

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "completions/mean_length" in logs:
            self.mean.append(logs["completions/mean_length"])
            self.unfinished.append(logs["completions/clipped_ratio"])


def run_trl(args, chats) -> dict:
    from trl import RLOOConfig, RLOOTrainer
    from trl.extras import profiling

    durations = defaultdict(list)
    # TRL times its phases but reports them only to wandb/mlflow/trackio: collect them here instead.
    profiling.ProfilingContext._log_metrics = lambda self, seconds: durations[self.name].append(seconds)
    tokenizer = load_tokenizer(args.tokenizer)
    reward_model = load_reward_model(args.reward_model, tokenizer.pad_token_id)
    timer, lengths = HFStepTimer(), TRLResponseLengths()
    with tempfile.TemporaryDirectory() as out:
        config = RLOOConfig(
            output_dir=out,
            per_device_train_batch_size=args.completions,
            num_generations=SAMPLES_PER_PROMPT,
            max_completion_length=args.max_new_tokens,
            temperature=1.0,
            top_k=0,
            top_p=1.0,
            beta=0.05,
            learning_rate=1e-6,
            num_iterations=1,
            max_steps=args.steps,
            gradient_checkpointing=False,
            bf16=True,  # autocast over float32 weights, as ours
            report_to=[],
            save_strategy="no",
            logging_steps=1,  # every step's completion lengths reach the callback
            seed=0,
            use_cpu=not torch.cuda.is_available(),
        )
        trainer = RLOOTrainer(
            model=args.policy_dir,
            reward_funcs=reward_model,
            args=config,
            train_dataset=Dataset.from_list([{"prompt": c} for c in chats]),
            processing_class=tokenizer,
            reward_processing_classes=tokenizer,
            callbacks=[timer, lengths],
        )
        trainer.train()
    return summarize_run(timer.times, lengths.mean, lengths.unfinished, durations, args)


def summarize_run(times, mean_lengths, unfinished, durations, args) -> dict:
    warmup = args.warmup_steps
    seconds = seconds_per_step(times, warmup)
    tokens = args.completions * statistics.mean(mean_lengths[warmup:])
    return {
        "seconds_per_step": seconds,
        "step_seconds": times,
        "generated_tokens_per_step": tokens,
        "generated_tokens_per_second": tokens / seconds,
        "unfinished_fraction": statistics.mean(unfinished[warmup:]),
        "phase_seconds_per_step": phase_seconds(durations, len(times), warmup),
    }


def median_of(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(parser)
    parser.add_argument(
        "--policy-dir", required=True, help="HF directory of the policy (written from --model if missing)"
    )
    parser.add_argument("--reward-model", help="an exported scalar RM (default: an untrained head, see above)")
    parser.add_argument("--sides", nargs="+", default=["ours", "trl"], choices=["ours", "trl"])
    parser.add_argument("--completions", type=int, default=4, help="completions per step, both sides")
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--max-prompt-length", type=int, default=128)
    parser.add_argument("--steps", type=int, default=6, help="steps per run, warm-up steps included")
    parser.add_argument("--warmup-steps", type=int, default=2, help="first steps of each run, not timed")
    args = parser.parse_args()
    if args.completions % SAMPLES_PER_PROMPT:
        raise SystemExit(f"--completions must be a multiple of {SAMPLES_PER_PROMPT}")
    if args.threads:
        torch.set_num_threads(args.threads)
    if not os.path.exists(os.path.join(args.policy_dir, "config.json")):  # TRL loads its reference from a path
        load_causal_lm(args.model).save_pretrained(args.policy_dir)
        load_tokenizer(args.tokenizer).save_pretrained(args.policy_dir)
    if args.reward_model is None:
        args.reward_model = untrained_reward_model(
            args.policy_dir, args.tokenizer, os.path.join(args.policy_dir, "untrained_rm")
        )
    chats = equal_length_prompts(
        args, load_tokenizer(args.tokenizer), args.completions * args.steps // SAMPLES_PER_PROMPT
    )
    sides = {name: run for name, run in {"ours": (run_ours, []), "trl": (run_trl, [])}.items() if name in args.sides}
    for repeat in range(args.repeats):
        names = list(sides) if repeat % 2 == 0 else list(sides)[::-1]  # alternate who goes first
        for name in names:
            run, runs = sides[name]
            runs.append(run(args, chats))
    runs = {name: runs for name, (_, runs) in sides.items()}
    peak_rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux
    step = {name: median_of(r, "seconds_per_step") for name, r in runs.items()}
    tokens = {name: median_of(r, "generated_tokens_per_second") for name, r in runs.items()}
    result = {
        "benchmark": "REINFORCE step (ours) vs RLOO step (TRL), same prompts and completions per step",
        "settings": {k: v for k, v in vars(args).items() if k != "out"},
        "environment": environment(),
        "median_seconds_per_step": step,
        "completions_per_second": {name: args.completions / s for name, s in step.items()},
        "generated_tokens_per_second": tokens,
        "ours_over_trl_throughput": step["trl"] / step["ours"] if len(step) == 2 else None,
        "peak_rss_gb": {"sides": args.sides, "value": peak_rss_gb},
        "runs": runs,
    }
    write(args.out, result)
    if len(step) < 2:
        print(f"{args.sides[0]}: {step[args.sides[0]]:.2f} s per step, peak RSS {peak_rss_gb:.2f} GB")
        return
    print(
        table(
            [
                ("completions/s", args.completions / step["ours"], args.completions / step["trl"]),
                ("generated tokens/s", tokens["ours"], tokens["trl"]),
            ],
            f"REINFORCE step, median of {args.repeats} runs",
        )
    )


if __name__ == "__main__":
    main()
