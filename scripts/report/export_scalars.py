"""Export TensorBoard scalars of one or more runs to a CSV (run, tag, step, value), for plots and reports.

python scripts/report/export_scalars.py LOG_DIR [LOG_DIR ...] --out results/scalars.csv
"""

import argparse
import csv
import glob
import os

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator


def scalars(log_dir: str) -> list[tuple[str, int, float]]:
    """(tag, step, value) of every event file under ``log_dir`` (or of the one event file it names)."""
    rows = []
    files = (
        [log_dir]
        if os.path.isfile(log_dir)
        else glob.glob(os.path.join(log_dir, "**", "events.out.tfevents.*"), recursive=True)
    )
    for events in sorted(files):
        acc = EventAccumulator(events, size_guidance={"scalars": 0})
        acc.Reload()
        for tag in acc.Tags()["scalars"]:
            rows += [(tag, e.step, e.value) for e in acc.Scalars(tag)]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("log_dirs", nargs="+")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["run", "tag", "step", "value"])
        for log_dir in args.log_dirs:
            for tag, step, value in scalars(log_dir):
                writer.writerow([log_dir, tag, step, value])
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
