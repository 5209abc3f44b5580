"""The baseline ablation (REPORT.md §3.1): REINFORCE with the moving-average baseline against no baseline, read
from the runs' logged training scalars (scripts/report/export_scalars.py): the advantage's second moment (what
multiplies the score function, so what a baseline is meant to shrink), the variance of the gradient norm across
steps, and the reward over blocks of steps.

python scripts/report/baseline_ablation.py results/level1/training_scalars.csv \
    --arm "moving average=l1_seed0,l1_seed1" --arm "no baseline=l1_nobaseline_seed0,l1_nobaseline_seed1" \
    --out results/level1/baseline_ablation.json
"""

import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(__file__))
from export_scalars import read_scalars  # noqa: E402

from rlhf.paths import write_result  # noqa: E402


def run_statistics(tags: dict[str, dict[int, float]], block: int) -> dict:
    steps = sorted(tags["train/advantage_std"])
    second_moment = [tags["train/advantage_mean"][s] ** 2 + tags["train/advantage_std"][s] ** 2 for s in steps]
    norms = [tags["train/grad_norm"][s] for s in sorted(tags["train/grad_norm"])]
    rewards = tags["train/reward"]
    blocks = {}
    for start in range(0, max(rewards) + 1, block):
        values = [v for s, v in rewards.items() if start <= s < start + block]
        if values:
            blocks[f"{start}-{start + block - 1}"] = statistics.mean(values)
    return {
        "steps": len(steps),
        "advantage_second_moment": statistics.mean(second_moment),
        "grad_norm_mean": statistics.mean(norms),
        "grad_norm_variance": statistics.variance(norms),
        "reward_by_block": blocks,
        "rm_score_last_block": statistics.mean(
            v for s, v in tags["train/rm_score"].items() if s > max(tags["train/rm_score"]) - block
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scalars")
    parser.add_argument("--arm", action="append", required=True, help="LABEL=RUN[,RUN...] (run names)")
    parser.add_argument("--block", type=int, default=50, help="steps per block of the reward curve")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    runs = read_scalars(args.scalars)
    result = {}
    for spec in args.arm:
        label, _, names = spec.partition("=")
        missing = [n for n in names.split(",") if n not in runs]
        if missing:
            raise SystemExit(f"{args.scalars}: no scalars for runs {missing} (have {sorted(runs)})")
        per_run = {n: run_statistics(runs[n], args.block) for n in names.split(",")}
        keys = ("advantage_second_moment", "grad_norm_variance", "grad_norm_mean", "rm_score_last_block")
        result[label] = {
            "runs": per_run,
            "mean_over_seeds": {k: statistics.mean(r[k] for r in per_run.values()) for k in keys},
        }
    lines = [
        "| arm | seeds | E[advantage²] | grad-norm variance | grad-norm mean | RM score, last block |",
        "|---|---|---|---|---|---|",
    ]
    for label, r in result.items():
        m = r["mean_over_seeds"]
        lines.append(
            f"| {label} | {len(r['runs'])} | {m['advantage_second_moment']:.3g} | {m['grad_norm_variance']:.3g} | "
            f"{m['grad_norm_mean']:.3g} | {m['rm_score_last_block']:.3g} |"
        )
    write_result(args.out, result, "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
