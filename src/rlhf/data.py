"""HelpSteerDataModule: the one data module of every stage, its batches and its resumable training order.

``mode="pairs"`` yields (chosen, rejected) pairs for the reward models; ``mode="prompts"`` yields the unique
prompts of the same split, left-padded, for REINFORCE rollouts. The split is by prompt: from a committed split
file (roles such as ``rm_a``, ``dev``, ``test``), or, without one, a seeded ``val_fraction`` of the prompts.

The data module checkpoints its position in the training order (``state_dict``), so a resumed run trains on
exactly the batches an uninterrupted run would have seen.
"""

from __future__ import annotations

from typing import Callable, Literal, Optional

import lightning as L
import torch
import torch.distributed as dist
from lightning.pytorch.utilities import rank_zero_info
from torch.utils.data import DataLoader

from rlhf.dataset import (
    DEFAULT_DATASET,
    DEFAULT_SPLIT,
    clean_pairs,
    encode_pairs,
    load_rows,
    load_split_file,
    rows_in_roles,
    split_by_prompt,
    unique_prompts,
)
from rlhf.models import DEFAULT_MODEL, load_tokenizer
from rlhf.paths import InputError
from rlhf.sampling import EpochShuffleSampler, LengthGroupedSampler

TRAIN_BATCH = "train_batch"  # a key only training batches carry: the data module counts them as they are consumed

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
    """One right-padded batch of 2B sequences: the B chosen responses, then the B rejected ones, so the RM scores
    both in one forward pass and ``scores.chunk(2)`` gives (chosen, rejected)."""

    def __init__(self, pad_id: int):
        self.pad_id = pad_id

    def __call__(self, items: list[dict]) -> dict:
        ids, mask = pad([i["chosen_ids"] for i in items] + [i["rejected_ids"] for i in items], self.pad_id)
        ratings = [i["chosen_rating"] for i in items] + [i["rejected_rating"] for i in items]
        return {"input_ids": ids, "attention_mask": mask, "ratings": torch.tensor(ratings)}


class PromptCollator:
    """Left-pads prompts so that generation appends every response at the same position."""

    def __init__(self, pad_id: int):
        self.pad_id = pad_id

    def __call__(self, items: list[dict]) -> dict:
        ids, mask = pad([i["prompt_ids"] for i in items], self.pad_id, left=True)
        return {"input_ids": ids, "attention_mask": mask, "index": torch.tensor([i["index"] for i in items])}


class MarkTraining:
    """Wraps a collator so that its batches carry ``TRAIN_BATCH`` (removed again before the model sees them)."""

    def __init__(self, collate: Callable[[list[dict]], dict]):
        self.collate = collate

    def __call__(self, items: list[dict]) -> dict:
        return {**self.collate(items), TRAIN_BATCH: torch.ones(())}


# ------------------------------------------------------------------------------------------- datamodule


def require_mode(datamodule, mode: str, who: str) -> None:
    """Each module says which batches it trains on; a config that gives it the other kind fails at start-up."""
    actual = getattr(getattr(datamodule, "hparams", None), "mode", None)
    if datamodule is not None and actual != mode:
        raise InputError(f"{who} trains on data.mode={mode!r}, but the data module is in mode {actual!r}")


class HelpSteerDataModule(L.LightningDataModule):
    """Preference pairs or prompts from HelpSteer2_binarized (Hub) or a local file in its schema.

    Args:
        path: Hub dataset id or a local ``.jsonl``/``.jsonl.gz``/``.parquet`` file.
        split: Hub split to read (ignored for local files).
        tokenizer: Hub id or directory of the chat tokenizer (linked to the model's by ``cli.py``).
        mode: ``pairs`` for reward models, ``prompts`` for REINFORCE.
        splits: a split file (``scripts/data/make_splits.py``); without one, ``val_fraction`` of the prompts
            (seeded by ``split_seed``) is the validation set and there is no test set.
        train_roles, val_roles, test_roles: the split file's roles that make each set.
        sources: keep only rows whose ``source`` column is one of these (e.g. the prompt pool of REINFORCE).
        val_fraction, split_seed: the split without a split file.
        max_length: token limit of prompt + response in pair mode (the user's text is cut in the middle first).
        max_prompt_length: token limit of a prompt in prompt mode (cut the same way).
        batch_size: pairs or prompts per training batch (per device).
        eval_batch_size: batch size for validation/test (defaults to ``batch_size``).
        group_by_length: batch sequences of similar length together in training.
        strict: raise on the first bad row instead of dropping it.
        test_path: a separate file used whole by ``test`` (e.g. human-labelled pairs); overrides ``test_roles``.
        seed: shuffling seed of the training order.
    """

    def __init__(
        self,
        path: str = DEFAULT_DATASET,
        split: str = DEFAULT_SPLIT,
        tokenizer: str = DEFAULT_MODEL,
        mode: Literal["pairs", "prompts"] = "pairs",
        splits: Optional[str] = None,
        train_roles: list[str] = ["rm_a"],  # noqa: B006 - jsonargparse needs a literal default
        val_roles: list[str] = ["dev"],  # noqa: B006
        test_roles: list[str] = ["test"],  # noqa: B006
        sources: Optional[list[str]] = None,
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
        self._position = {"epoch": 0, "batches_done": 0}  # in the training order, of batches consumed
        self._resume_at: Optional[dict] = None

    # ------------------------------------------------------------------------------------------ setup

    def _encode(self, rows: list[dict], name: str) -> list[dict]:
        if self.hparams.mode == "pairs":
            return encode_pairs(self.tokenizer, rows, self.hparams.max_length, name)
        return unique_prompts(self.tokenizer, rows, self.hparams.max_prompt_length, name)

    def _read(self, path: str) -> list[dict]:
        rows = clean_pairs(load_rows(path, self.hparams.split), self.hparams.strict, name=path)
        if self.hparams.sources:
            rows = [r for r in rows if r.get("source") in self.hparams.sources]
            if not rows:
                raise InputError(f"{path}: no rows from sources {self.hparams.sources}")
        return rows

    def setup(self, stage: Optional[str] = None) -> None:
        if self.datasets:
            return
        hp = self.hparams
        self.tokenizer = load_tokenizer(hp.tokenizer)
        rows = self._read(hp.path)
        if hp.splits:
            roles = load_split_file(hp.splits)
            sets = {
                "train": rows_in_roles(rows, roles, hp.train_roles, hp.splits),
                "val": rows_in_roles(rows, roles, hp.val_roles, hp.splits),
                "test": rows_in_roles(rows, roles, hp.test_roles, hp.splits),
            }
            how = f"split file {hp.splits}: train {hp.train_roles}, val {hp.val_roles}, test {hp.test_roles}"
        else:
            sets = dict(zip(("train", "val"), split_by_prompt(rows, hp.val_fraction, hp.split_seed)))
            how = f"{hp.val_fraction:.0%} of prompts held out with seed {hp.split_seed}"
        if hp.test_path:
            sets["test"] = self._read(hp.test_path)
        self.datasets = {name: self._encode(part, f"{name} {hp.mode}") for name, part in sets.items() if part}
        rank_zero_info(f"{hp.mode}: " + ", ".join(f"{k}={len(v)}" for k, v in self.datasets.items()) + f" ({how})")

    # ------------------------------------------------------------------------------ position in the data

    def state_dict(self) -> dict:
        return dict(self._position)

    def load_state_dict(self, state: dict) -> None:
        self._resume_at = dict(state)

    def _start_epoch(self, epoch: int) -> tuple[int, int]:
        """The epoch to play and the samples of it to skip: a checkpoint's position once, then from the start."""
        resume, self._resume_at = self._resume_at, None
        done = 0
        if resume is not None:
            epoch, done = resume["epoch"], resume["batches_done"]
            if done:
                rank_zero_info(f"resuming epoch {epoch} after the {done} batches of it already trained on")
        self._position = {"epoch": epoch, "batches_done": done}
        world = dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1
        return epoch, done * self.hparams.batch_size * world

    def on_before_batch_transfer(self, batch: dict, dataloader_idx: int) -> dict:
        if batch.pop(TRAIN_BATCH, None) is not None:  # counted when consumed, not when prefetched
            self._position["batches_done"] += 1
        return batch

    # ------------------------------------------------------------------------------------- dataloaders

    def _collator(self):
        pad_id = self.tokenizer.pad_token_id
        return PairCollator(pad_id) if self.hparams.mode == "pairs" else PromptCollator(pad_id)

    @staticmethod
    def _length(item: dict) -> int:
        if "prompt_ids" in item:
            return len(item["prompt_ids"])
        return max(len(item["chosen_ids"]), len(item["rejected_ids"]))

    def _dataset(self, name: str) -> list[dict]:
        if name not in self.datasets:
            where = "--data.test_path or a split file with test roles" if name == "test" else "data"
            raise InputError(f"no {name} set: give {where}")
        return self.datasets[name]

    def train_dataloader(self) -> DataLoader:
        data, hp = self._dataset("train"), self.hparams
        if hp.group_by_length:
            sampler = LengthGroupedSampler([self._length(i) for i in data], hp.batch_size, hp.seed, self._start_epoch)
        else:
            sampler = EpochShuffleSampler(len(data), hp.seed, self._start_epoch)
        return DataLoader(
            data,
            batch_size=hp.batch_size,
            sampler=sampler,
            collate_fn=MarkTraining(self._collator()),
            num_workers=hp.num_workers,
            drop_last=True,
        )

    def loader(self, name: str, batch_size: Optional[int] = None) -> DataLoader:
        """A set in its stored order (for evaluation, and for statistics that must not move the training order)."""
        return DataLoader(
            self._dataset(name),
            batch_size=batch_size or self.hparams.eval_batch_size or self.hparams.batch_size,
            shuffle=False,
            collate_fn=self._collator(),
            num_workers=self.hparams.num_workers,
        )

    def val_dataloader(self) -> DataLoader:
        return self.loader("val")

    def test_dataloader(self) -> DataLoader:
        return self.loader("test")
