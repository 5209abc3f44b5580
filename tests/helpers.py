"""Test-only Lightning callback, importable by the CLI (and its DDP worker processes) via class_path."""

import json
import os

import lightning as L


class RecordTrainingState(L.Callback):
    """Writes, per rank, the global step and (for REINFORCE) the baseline after every training batch."""

    def __init__(self, out_dir: str):
        self.out_dir = out_dir
        self.records = []

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        first = next(iter(batch.values()))
        record = {"step": trainer.global_step, "batch": first.sum().item()}  # a fingerprint of the batch
        if hasattr(pl_module, "baseline"):
            record["baseline"] = pl_module.baseline.item()
            record["baseline_count"] = pl_module.baseline_count.item()
        self.records.append(record)

    def on_train_end(self, trainer, pl_module):
        os.makedirs(self.out_dir, exist_ok=True)
        with open(os.path.join(self.out_dir, f"rank{trainer.global_rank}.json"), "w") as f:
            json.dump(self.records, f)
