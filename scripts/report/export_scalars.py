"""Export TensorBoard scalars of one or more runs to a CSV (run, tag, step, value), for plots and reports; and read
such a CSV back (``read_scalars``).

python scripts/report/export_scalars.py LOG_DIR [LOG_DIR ...] --out results/scalars.csv
"""

import argparse
import csv
import glob
import os
from collections import defaultdict

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


def read_scalars(path: str) -> dict[str, dict[str, dict[int, float]]]:
    """{run name: {tag: {step: value}}} from an exported CSV; a run's name is the directory its logs sit under
    (``.../NAME/logs``). A step logged twice (by a stopped process and again by its exact resumption) keeps the
    later row."""
    runs: dict = defaultdict(lambda: defaultdict(dict))
    with open(path) as f:
        for row in csv.DictReader(f):
            parts = os.path.normpath(row["run"]).split(os.sep)
            name = parts[-2] if parts[-1] == "logs" else parts[-1]
            runs[name][row["tag"]][int(row["step"])] = float(row["value"])
    return runs


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
