"""Training curves (reward, RM score, KL, response length, unfinished share) from TensorBoard logs, or from a CSV of
export_scalars.py (runs whose logs are gone): mean over seeds, min-max band.

python scripts/report/plot_curves.py --run "scalar RM=artifacts/level1/logs/reinforce_seed*" [--run LABEL=GLOB ...] \
    --out results/level1_curves.png
python scripts/report/plot_curves.py --scalars results/level1/training_scalars.csv \
    --run "moving-average baseline=l1_seed0,l1_seed1,l1_seed2" --out results/level1/training_curves.png
"""

import argparse
import glob
import os
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from export_scalars import read_scalars, scalars  # noqa: E402

TAGS = {
    "train/reward": "reward R (shaped, standardised)",
    "train/rm_score": "raw RM score",
    "train/kl": "KL to reference (nats)",
    "train/response_length": "response length (tokens)",
    "train/unfinished": "unfinished share",
}


def smooth(values: list[float], window: int) -> list[float]:
    out = []
    for i in range(len(values)):
        chunk = values[max(0, i - window + 1) : i + 1]
        out.append(sum(chunk) / len(chunk))
    return out


def seed_series(pattern: str, from_csv: dict | None) -> list[dict[str, dict[int, float]]]:
    """One {tag: {step: value}} per seed: the log directories the glob matches, or the CSV's runs of those names."""
    if from_csv is not None:
        missing = [name for name in pattern.split(",") if name not in from_csv]
        if missing:
            raise SystemExit(f"no scalars for runs {missing} in the CSV (have {sorted(from_csv)})")
        return [from_csv[name] for name in pattern.split(",")]
    runs = []
    for log_dir in sorted(glob.glob(pattern)):
        series = defaultdict(dict)
        for tag, step, value in scalars(log_dir):
            series[tag][step] = value
        runs.append(series)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", action="append", required=True, help="LABEL=GLOB of log dirs, one per seed (with "
                        "--scalars: LABEL=RUN[,RUN...], run names in the CSV)")  # fmt: skip
    parser.add_argument("--scalars", help="a CSV of export_scalars.py to read instead of TensorBoard logs")
    parser.add_argument("--out", required=True)
    parser.add_argument("--smooth", type=int, default=10, help="moving-average window in steps")
    args = parser.parse_args()
    from_csv = read_scalars(args.scalars) if args.scalars else None
    fig, axes = plt.subplots(1, len(TAGS), figsize=(4.4 * len(TAGS), 3.6))
    for spec in args.run:
        label, pattern = spec.split("=", 1)
        per_tag = defaultdict(list)  # tag -> one {step: value} per seed
        for series in seed_series(pattern, from_csv):
            for tag in TAGS:
                if series.get(tag):
                    per_tag[tag].append(series[tag])
        for ax, (tag, title) in zip(axes, TAGS.items()):
            runs = per_tag[tag]
            if not runs:
                continue
            steps = sorted(set.intersection(*(set(r) for r in runs)))
            curves = [smooth([r[s] for s in steps], args.smooth) for r in runs]
            mean = [sum(c[i] for c in curves) / len(curves) for i in range(len(steps))]
            line = ax.plot(steps, mean, label=f"{label} (n={len(runs)})")[0]
            ax.fill_between(
                steps,
                [min(c[i] for c in curves) for i in range(len(steps))],
                [max(c[i] for c in curves) for i in range(len(steps))],
                color=line.get_color(),
                alpha=0.2,
            )
            ax.set_title(title)
            ax.set_xlabel("step")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
