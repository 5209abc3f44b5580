"""HelpSteer2_binarized preference pairs: loading, validation, prompt-level split, tokenization and batching.

One data module serves every stage. ``mode="pairs"`` yields (chosen, rejected) pairs for the reward models;
``mode="prompts"`` yields the unique prompts of the same split, left-padded, for REINFORCE rollouts and
evaluation. Both modes split by the same seed, so the RM's validation prompts are REINFORCE's held-out prompts.

Bad rows (empty response, wrong roles, chosen == rejected, ...) are dropped, counted and logged, with the
first few reasons; ``strict=True`` makes the first bad row fatal. A missing column is always fatal.
"""

from __future__ import annotations

import math
import os
import random
from collections import Counter
from typing import Callable, Iterator, Literal, Optional

import lightning as L
import torch
from datasets import load_dataset
from lightning.pytorch.utilities import rank_zero_info, rank_zero_only, rank_zero_warn
from torch.utils.data import DataLoader, Sampler
from tqdm.auto import tqdm

from rlhf.models import DEFAULT_MODEL, load_tokenizer, looks_like_path

DEFAULT_DATASET = "esfrankel17/HelpSteer2_binarized"
DEFAULT_SPLIT = "average_rating"
REQUIRED_COLUMNS = ("prompt", "chosen", "rejected")
ROLES = ("system", "user", "assistant")
LOCAL_FORMATS = {".jsonl": "json", ".json": "json", ".jsonl.gz": "json", ".json.gz": "json", ".parquet": "parquet"}


# ----------------------------------------------------------------------------------------------- loading


def load_rows(path: str, split: str = DEFAULT_SPLIT) -> list[dict]:
    """Rows of a local ``.jsonl``/``.jsonl.gz``/``.parquet`` file, or of a split of a Hub dataset."""
    expanded = os.path.expanduser(path)
    if os.path.isfile(expanded):
        fmt = next((f for ext, f in LOCAL_FORMATS.items() if expanded.endswith(ext)), None)
        if fmt is None:
            raise ValueError(f"{path!r}: unsupported file type; use one of {sorted(LOCAL_FORMATS)}")
        dataset = load_dataset(fmt, data_files=expanded, split="train")
    elif looks_like_path(path) or os.path.isdir(expanded):
        raise FileNotFoundError(f"data path {path!r} is not a file (expected a Hub dataset id or a local file)")
    else:
        dataset = load_dataset(path, split=split)
    missing = [c for c in REQUIRED_COLUMNS if c not in dataset.column_names]
    if missing:
        raise ValueError(
            f"{path!r} is missing column(s) {missing}; expected the HelpSteer2_binarized schema "
            f"{list(REQUIRED_COLUMNS)} (+ optional chosen_rating, rejected_rating)"
        )
    return dataset.to_list()


def pair_problem(row: dict) -> Optional[str]:
    """What is wrong with one preference row, or None. Responses are the last (assistant) messages."""
    for side in ("chosen", "rejected"):
        messages = row[side]
        if not isinstance(messages, list) or not messages:
            return f"{side} is not a non-empty list of messages"
        if any(not isinstance(m, dict) or "role" not in m or "content" not in m for m in messages):
            return f"{side} has a message without 'role' and 'content'"
        roles = [m["role"] for m in messages]
        if any(r not in ROLES for r in roles):
            return f"{side} has an unknown role in {roles}; allowed: {list(ROLES)}"
        if roles[-1] != "assistant":
            return f"{side}'s last message is from {roles[-1]!r}, not the assistant"
        if "user" not in roles[:-1] and not (row.get("prompt") or "").strip():
            return f"{side} has no user message and the prompt is empty"
        if not (messages[-1]["content"] or "").strip():
            return f"{side} response is empty"
    if row["chosen"][:-1] != row["rejected"][:-1]:
        return "chosen and rejected answer different conversations"
    if row["chosen"][-1]["content"].strip() == row["rejected"][-1]["content"].strip():
        return "chosen and rejected responses are identical"
    return None


def clean_pairs(rows: list[dict], strict: bool = False, name: str = "data") -> list[dict]:
    """Keep valid rows (see ``pair_problem``); log what was dropped, or raise on the first problem if strict."""
    kept, reasons = [], Counter()
    for i, row in enumerate(rows):
        problem = pair_problem(row)
        if problem is None:
            kept.append(row)
            continue
        if strict:
            raise ValueError(f"{name}: row {i}: {problem}")
        if sum(reasons.values()) < 5:
            rank_zero_warn(f"{name}: dropping row {i}: {problem}")
        reasons[problem] += 1
    if reasons:
        rank_zero_warn(f"{name}: dropped {sum(reasons.values())} of {len(rows)} rows: {dict(reasons.most_common(5))}")
    if not kept:
        raise ValueError(f"{name}: no valid preference pairs in {len(rows)} rows")
    return kept


def conversation(row: dict) -> list[dict]:
    """The messages before the response (the prompt as a chat)."""
    return row["chosen"][:-1] or [{"role": "user", "content": row["prompt"]}]


def prompt_key(row: dict) -> str:
    """Pairs that share this key share a prompt and must land in the same split."""
    return row["prompt"] or "\n".join(m["content"] for m in conversation(row))


def split_by_prompt(rows: list[dict], val_fraction: float, seed: int) -> tuple[list[dict], list[dict]]:
    """Deterministic train/validation split over unique prompts: no prompt is in both."""
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    keys = sorted({prompt_key(r) for r in rows})
    random.Random(seed).shuffle(keys)
    val_keys = set(keys[: math.ceil(val_fraction * len(keys))])
    train = [r for r in rows if prompt_key(r) not in val_keys]
    val = [r for r in rows if prompt_key(r) in val_keys]
    return train, val


# ------------------------------------------------------------------------------------------- tokenization


def _rating(row: dict, side: str) -> float:
    value = row.get(f"{side}_rating")
    return float("nan") if value is None else float(value)


def tokenize(tokenizer, texts: list[str], desc: str, chunk: int = 1024) -> list[list[int]]:
    """Token ids of many texts, in chunks behind a progress bar (rank zero only)."""
    ids = []
    for start in tqdm(range(0, len(texts), chunk), desc=desc, disable=rank_zero_only.rank != 0 or len(texts) <= chunk):
        ids += tokenizer(texts[start : start + chunk], add_special_tokens=False)["input_ids"]
    return ids


def encode_prompts(tokenizer, conversations: list[list[dict]]) -> list[list[int]]:
    """Chat-template token ids ending with the generation prompt (``<|im_start|>assistant\\n``)."""
    texts = [tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=True) for c in conversations]
    return tokenize(tokenizer, texts, "tokenizing prompts")


def encode_responses(tokenizer, responses: list[str]) -> list[list[int]]:
    """Response ids exactly as the policy generates them: the text, then eos, and no template newline after it."""
    return [r + [tokenizer.eos_token_id] for r in tokenize(tokenizer, responses, "tokenizing responses")]


def encode_pairs(tokenizer, rows: list[dict], max_length: int) -> list[dict]:
    """Tokenize pairs; an over-long pair keeps both whole responses and loses prompt tokens from the left.

    A pair whose longer response alone does not fit is dropped (its score would be read mid-sentence).
    """
    keys = list(dict.fromkeys(prompt_key(r) for r in rows))
    first_row = {prompt_key(r): r for r in reversed(rows)}
    prompt_ids = dict(zip(keys, encode_prompts(tokenizer, [conversation(first_row[k]) for k in keys])))
    chosen = encode_responses(tokenizer, [r["chosen"][-1]["content"] for r in rows])
    rejected = encode_responses(tokenizer, [r["rejected"][-1]["content"] for r in rows])
    items, truncated, dropped = [], 0, 0
    for row, c, r in zip(rows, chosen, rejected):
        prompt = prompt_ids[prompt_key(row)]
        budget = max_length - max(len(c), len(r))
        if budget < 1:
            dropped += 1
            continue
        if len(prompt) > budget:
            prompt, truncated = prompt[-budget:], truncated + 1
        items.append(
            {
                "chosen_ids": prompt + c,
                "rejected_ids": prompt + r,
                "chosen_rating": _rating(row, "chosen"),
                "rejected_rating": _rating(row, "rejected"),
            }
        )
    if truncated or dropped:
        rank_zero_info(
            f"max_length={max_length}: {truncated} pairs had prompts cut from the left, "
            f"{dropped} pairs dropped (a response alone is longer), of {len(rows)}"
        )
    return items


def unique_prompts(tokenizer, rows: list[dict], max_prompt_length: int) -> list[dict]:
    """One item per unique prompt, in a deterministic order; prompts longer than the limit are dropped."""
    by_key = {prompt_key(r): conversation(r) for r in rows}
    keys = sorted(by_key)
    ids = encode_prompts(tokenizer, [by_key[k] for k in keys])
    items = [{"prompt_ids": p} for p in ids if len(p) <= max_prompt_length]
    if len(items) < len(keys):
        rank_zero_info(
            f"max_prompt_length={max_prompt_length}: dropped {len(keys) - len(items)} of {len(keys)} prompts"
        )
    for i, item in enumerate(items):
        item["index"] = i
    return items


# --------------------------------------------------------------------------------------------- batching


def pad(sequences: list[list[int]], pad_id: int, left: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Dynamic padding to the longest sequence of the batch: ``(input_ids, attention_mask)``."""
    width = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for i, s in enumerate(sequences):
        span = slice(width - len(s), width) if left else slice(0, len(s))
        ids[i, span] = torch.tensor(s, dtype=torch.long)
        mask[i, span] = 1
    return ids, mask


class PairCollator:
    """Right-pads chosen and rejected to one common width, so the RM scores them in one forward pass."""

    def __init__(self, pad_id: int):
        self.pad_id = pad_id

    def __call__(self, items: list[dict]) -> dict:
        ids, mask = pad([i["chosen_ids"] for i in items] + [i["rejected_ids"] for i in items], self.pad_id)
        n = len(items)
        return {
            "chosen_input_ids": ids[:n],
            "chosen_attention_mask": mask[:n],
            "rejected_input_ids": ids[n:],
            "rejected_attention_mask": mask[n:],
            "chosen_rating": torch.tensor([i["chosen_rating"] for i in items]),
            "rejected_rating": torch.tensor([i["rejected_rating"] for i in items]),
        }


class PromptCollator:
    """Left-pads prompts so that generation appends every response at the same position."""

    def __init__(self, pad_id: int):
        self.pad_id = pad_id

    def __call__(self, items: list[dict]) -> dict:
        ids, mask = pad([i["prompt_ids"] for i in items], self.pad_id, left=True)
        return {"input_ids": ids, "attention_mask": mask, "index": torch.tensor([i["index"] for i in items])}


class EpochShuffleSampler(Sampler[int]):
    """A fresh random order each epoch, fixed by ``(seed, epoch)``, that can resume part-way through an epoch.

    Because the order of every epoch can be recomputed, a run resumed mid-epoch starts with exactly the samples it
    had not trained on yet: the first ``samples_done()`` samples (the data module reads them off the restored
    trainer when iteration starts) are rotated to the end, where Lightning, which counts the epoch's batches from
    the checkpoint, never reaches them. Rotating rather than dropping keeps the length, so DDP's sharding of this
    order is unchanged.
    """

    def __init__(self, num_samples: int, seed: int = 0, samples_done: Optional[Callable[[], int]] = None):
        self.num_samples, self.seed, self.samples_done = num_samples, seed, samples_done
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.num_samples

    def order(self, rng: random.Random) -> list[int]:
        order = list(range(self.num_samples))
        rng.shuffle(order)
        return order

    def __iter__(self) -> Iterator[int]:
        order = self.order(random.Random(self.seed * 100_003 + self.epoch))
        skip = self.samples_done() if self.samples_done else 0
        return iter(order[skip:] + order[:skip])


class LengthGroupedSampler(EpochShuffleSampler):
    """Random order in which each run of ``batch_size`` indices has similar lengths (less padding).

    Indices are shuffled, cut into mega-batches of ``50 * batch_size``, sorted by length inside each, and the
    resulting batches shuffled again. Under DDP, Lightning shards this order across ranks.
    """

    def __init__(
        self,
        lengths: list[int],
        batch_size: int,
        seed: int = 0,
        samples_done: Optional[Callable[[], int]] = None,
        mega_batch_factor: int = 50,
    ):
        super().__init__(len(lengths), seed, samples_done)
        self.lengths, self.batch_size = lengths, batch_size
        self.mega_batch = batch_size * mega_batch_factor

    def order(self, rng: random.Random) -> list[int]:
        order = super().order(rng)
        batches = []
        for start in range(0, len(order), self.mega_batch):
            mega = sorted(order[start : start + self.mega_batch], key=lambda i: -self.lengths[i])
            batches += [mega[i : i + self.batch_size] for i in range(0, len(mega), self.batch_size)]
        rng.shuffle(batches)
        return [i for batch in batches for i in batch]


# ------------------------------------------------------------------------------------------- datamodule


class HelpSteerDataModule(L.LightningDataModule):
    """Preference pairs or prompts from HelpSteer2_binarized (Hub) or a local file in its schema.

    Args:
        path: Hub dataset id or a local ``.jsonl``/``.jsonl.gz``/``.parquet`` file.
        split: Hub split to read (ignored for local files).
        tokenizer: Hub id or directory of the chat tokenizer (linked to the model's by ``cli.py``).
        mode: ``pairs`` for reward models, ``prompts`` for REINFORCE.
        val_fraction: share of unique prompts held out for validation.
        split_seed: seed of the prompt-level split (keep it fixed across stages and seeds).
        max_length: token limit of prompt + response in pair mode.
        max_prompt_length: prompts longer than this are dropped in prompt mode.
        batch_size: pairs or prompts per training batch (per device).
        eval_batch_size: batch size for validation/test (defaults to ``batch_size``).
        group_by_length: batch sequences of similar length together in training.
        strict: raise on the first bad row instead of dropping it.
        test_path: a separate file used whole by ``test`` (e.g. human-labelled pairs); default: the val split.
        seed: shuffling seed of the training order.
    """

    def __init__(
        self,
        path: str = DEFAULT_DATASET,
        split: str = DEFAULT_SPLIT,
        tokenizer: str = DEFAULT_MODEL,
        mode: Literal["pairs", "prompts"] = "pairs",
        val_fraction: float = 0.05,
        split_seed: int = 0,
        max_length: int = 1024,
        max_prompt_length: int = 512,
        batch_size: int = 8,
        eval_batch_size: Optional[int] = None,
        group_by_length: bool = True,
        strict: bool = False,
        test_path: Optional[str] = None,
        seed: int = 0,
        num_workers: int = 0,
    ):
        super().__init__()
        self.save_hyperparameters()
        self.tokenizer = None
        self.datasets: dict[str, list[dict]] = {}

    def _encode(self, rows: list[dict]) -> list[dict]:
        if self.hparams.mode == "pairs":
            return encode_pairs(self.tokenizer, rows, self.hparams.max_length)
        return unique_prompts(self.tokenizer, rows, self.hparams.max_prompt_length)

    def setup(self, stage: Optional[str] = None) -> None:
        if self.datasets:
            return
        hp = self.hparams
        self.tokenizer = load_tokenizer(hp.tokenizer)
        rows = clean_pairs(load_rows(hp.path, hp.split), hp.strict, name=hp.path)
        train, val = split_by_prompt(rows, hp.val_fraction, hp.split_seed)
        self.datasets = {"train": self._encode(train), "val": self._encode(val)}
        if hp.test_path:
            self.datasets["test"] = self._encode(
                clean_pairs(load_rows(hp.test_path, hp.split), hp.strict, hp.test_path)
            )
        else:
            self.datasets["test"] = self.datasets["val"]
        rank_zero_info(
            f"{hp.mode}: "
            + ", ".join(f"{k}={len(v)}" for k, v in self.datasets.items())
            + f" (from {len(rows)} valid pairs, split by prompt with seed {hp.split_seed})"
        )

    def _collator(self):
        pad_id = self.tokenizer.pad_token_id
        return PairCollator(pad_id) if self.hparams.mode == "pairs" else PromptCollator(pad_id)

    @staticmethod
    def _length(item: dict) -> int:
        if "prompt_ids" in item:
            return len(item["prompt_ids"])
        return max(len(item["chosen_ids"]), len(item["rejected_ids"]))

    def train_dataloader(self) -> DataLoader:
        data, hp = self.datasets["train"], self.hparams
        samples_done = lambda: self._samples_done_this_epoch(len(data))  # noqa: E731
        if hp.group_by_length:
            sampler = LengthGroupedSampler([self._length(i) for i in data], hp.batch_size, hp.seed, samples_done)
        else:
            sampler = EpochShuffleSampler(len(data), hp.seed, samples_done)
        return DataLoader(
            data,
            batch_size=hp.batch_size,
            sampler=sampler,
            collate_fn=self._collator(),
            num_workers=hp.num_workers,
            drop_last=True,
        )

    def _samples_done_this_epoch(self, num_samples: int) -> int:
        """Samples (over all ranks) that a run resumed mid-epoch has already trained on in this epoch."""
        trainer = self.trainer
        if trainer is None or trainer.global_step == 0:
            return 0
        batches_per_epoch = num_samples // (self.hparams.batch_size * trainer.world_size)  # drop_last
        done = (trainer.global_step * trainer.accumulate_grad_batches) % max(batches_per_epoch, 1)
        if done:
            rank_zero_info(
                f"resuming mid-epoch: skipping the {done} batches of epoch {trainer.current_epoch} already seen"
            )
        return done * self.hparams.batch_size * trainer.world_size

    def _eval_dataloader(self, name: str) -> DataLoader:
        return DataLoader(
            self.datasets[name],
            batch_size=self.hparams.eval_batch_size or self.hparams.batch_size,
            shuffle=False,
            collate_fn=self._collator(),
            num_workers=self.hparams.num_workers,
        )

    def val_dataloader(self) -> DataLoader:
        return self._eval_dataloader("val")

    def test_dataloader(self) -> DataLoader:
        return self._eval_dataloader("test")
