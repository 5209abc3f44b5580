"""Report scripts on hand-made logs: the baseline ablation's statistics and the RMs' validation curves."""

import csv
import json

import pytest
from helpers import load_script

ablation = load_script("scripts/report/baseline_ablation.py")
rm_curves = load_script("scripts/report/rm_curves.py")


def write_scalars(path, runs: dict[str, dict[str, list[float]]]) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["run", "tag", "step", "value"])
        for name, tags in runs.items():
            for tag, values in tags.items():
                for step, value in enumerate(values):
                    writer.writerow([f"/art/{name}/logs", tag, step, value])


def test_ablation_statistics_by_hand(tmp_path):
    run = {
        "train/advantage_mean": [1.0, -1.0, 0.0, 0.0],
        "train/advantage_std": [1.0, 1.0, 2.0, 0.0],
        "train/grad_norm": [1.0, 3.0, 1.0, 3.0],
        "train/reward": [0.0, 1.0, 2.0, 3.0],
        "train/rm_score": [5.0, 5.0, 6.0, 8.0],
    }
    path = tmp_path / "scalars.csv"
    write_scalars(path, {"ema_seed0": run})
    stats = ablation.run_statistics(ablation.read_scalars(str(path))["ema_seed0"], block=2)
    assert stats["advantage_second_moment"] == pytest.approx((2 + 2 + 4 + 0) / 4)
    assert stats["grad_norm_variance"] == pytest.approx(4 / 3)  # sample variance of 1, 3, 1, 3
    assert stats["reward_by_block"] == {"0-1": 0.5, "2-3": 2.5}
    assert stats["rm_score_last_block"] == pytest.approx(7.0)  # steps 2 and 3


def test_rm_curves_in_step_order(tmp_path):
    logs = tmp_path / "rm_a" / "logs" / "rm_a" / "version_0"
    logs.mkdir(parents=True)
    for step, accuracy in [(250, 0.7), (62, 0.6)]:
        report = {"global_step": step, "accuracy": {"mean": accuracy, "ci95": [0.5, 0.8], "n": 192}}
        (logs / f"rm_val_step{step}.json").write_text(json.dumps(report))
    reports = rm_curves.validations(str(tmp_path / "rm_a"))
    assert [r["global_step"] for r in reports] == [62, 250]
    assert "| RM_A | 62 | 0.600 | [0.500, 0.800] | 192 |" in rm_curves.markdown({"RM_A": reports})
