"""The training order: a fresh shuffle per epoch, fixed by (seed, epoch), optionally in batches of similar length,
that can start part-way into an epoch (where a resumed run left off)."""

from __future__ import annotations

import random
from typing import Callable, Iterator, Optional

from torch.utils.data import Sampler


class EpochShuffleSampler(Sampler[int]):
    """A fresh random order each epoch, fixed by ``(seed, epoch)``, that can start part-way into an epoch.

    ``start(epoch)`` is asked at the start of each pass and answers ``(epoch, samples to skip)``: the data
    module's answer after a resume is its checkpointed position. The skipped samples are rotated to the end,
    where Lightning, which counts the epoch's batches from its own checkpoint, never reaches them; rotating
    rather than dropping keeps the length, so DDP's sharding of the order is unchanged.
    """

    def __init__(self, num_samples: int, seed: int = 0, start: Optional[Callable[[int], tuple[int, int]]] = None):
        self.num_samples, self.seed, self.start = num_samples, seed, start
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
        epoch, skip = self.start(self.epoch) if self.start else (self.epoch, 0)
        order = self.order(random.Random(self.seed * 100_003 + epoch))
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
        start: Optional[Callable[[int], tuple[int, int]]] = None,
        mega_batch_factor: int = 50,
    ):
        super().__init__(len(lengths), seed, start)
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
