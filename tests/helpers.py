"""Test helpers: a Lightning callback importable by the CLI (and its DDP worker processes) via class_path, and
loading a script of scripts/ as a module."""

import importlib.util
import json
import os
from pathlib import Path

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


def load_script(relative_path: str):
    """A script under the repository (e.g. ``scripts/study/dev_choices.py``) as a module, to test its functions."""
    path = Path(__file__).resolve().parents[1] / relative_path
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
