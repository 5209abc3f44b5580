"""Training curves (reward, RM score, KL, response length) from TensorBoard logs: mean over seeds, min-max band.

python scripts/report/plot_curves.py --run "scalar RM=artifacts/level1/logs/reinforce_seed*" [--run LABEL=GLOB ...] \
    --out results/level1_curves.png
"""

import argparse
import glob
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from export_scalars import scalars  # noqa: E402

TAGS = {
    "train/reward": "reward R = RM - beta KL",
    "train/rm_score": "raw RM score",
    "train/kl": "KL to reference (nats)",
    "train/response_length": "response length (tokens)",
}


def smooth(values: list[float], window: int) -> list[float]:
    out = []
    for i in range(len(values)):
        chunk = values[max(0, i - window + 1) : i + 1]
        out.append(sum(chunk) / len(chunk))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", action="append", required=True, help="LABEL=GLOB of log dirs, one per seed")
    parser.add_argument("--out", required=True)
    parser.add_argument("--smooth", type=int, default=10, help="moving-average window in steps")
    args = parser.parse_args()
    fig, axes = plt.subplots(1, len(TAGS), figsize=(5 * len(TAGS), 3.6))
    for spec in args.run:
        label, pattern = spec.split("=", 1)
        per_tag = defaultdict(list)  # tag -> one {step: value} per seed
        for log_dir in sorted(glob.glob(pattern)):
            series = defaultdict(dict)
            for tag, step, value in scalars(log_dir):
                series[tag][step] = value
            for tag in TAGS:
                if series[tag]:
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
