"""Do two training runs log the same training scalars on the steps both reached? A reproducibility check: the same
seed and settings in two processes must give bit-identical rollouts, rewards and updates (rollouts are drawn from a
seeded generator). Wall-clock scalars (``train/rollouts_per_s``) are left out.

python scripts/report/same_steps.py $RLHF_ARTIFACTS/l1_seed0/logs $RLHF_ARTIFACTS/dev_lr1e-6/logs \
    --out results/level1/seed0_repeats_dev_lr.json
python scripts/report/same_steps.py EVENTS_FILE_OF_THE_KILLED_PROCESS EVENTS_FILE_OF_ITS_RESUMPTION --out ...

A run is a log directory, one event file, or CSV:RUN, a run of a CSV that export_scalars.py wrote (a lost run's
record; its values round-trip exactly): a re-made run against the lost one's record, e.g.
python scripts/report/same_steps.py $RLHF_ARTIFACTS/l1_seed0/logs results/level1/training_scalars.csv:l1_seed0 \
    --out results/level1/seed0_repeats_lost_seed0.json
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from export_scalars import read_scalars, scalars  # noqa: E402

WALL_CLOCK = ("train/rollouts_per_s",)


def train_scalars(run: str) -> dict[str, dict[int, float]]:
    """{tag: {step: value}} of a run's training scalars; a step logged twice keeps its later value."""
    csv_path, _, name = run.rpartition(":")
    if csv_path.endswith(".csv"):
        runs = read_scalars(csv_path)
        if name not in runs:
            raise KeyError(f"{csv_path} has no run {name!r} (it has {sorted(runs)})")
        logged = [(tag, step, value) for tag, values in runs[name].items() for step, value in values.items()]
    else:
        logged = scalars(run)
    out: dict[str, dict[int, float]] = {}
    for tag, step, value in logged:
        if tag.startswith("train/") and tag not in WALL_CLOCK:
            out.setdefault(tag, {})[step] = value
    return out


def same_steps(first: str, second: str) -> dict:
    a, b = train_scalars(first), train_scalars(second)
    tags = sorted(set(a) & set(b))
    steps = sorted(set.intersection(*(set(a[t]) & set(b[t]) for t in tags))) if tags else []
    differing = {t: [s for s in steps if a[t][s] != b[t][s]] for t in tags}
    return {
        "runs": [first, second],
        "tags": tags,
        "common_steps": len(steps),
        "last_common_step": steps[-1] if steps else None,
        "identical": bool(steps) and not any(differing.values()),
        "first_differing_step": {t: s[0] for t, s in differing.items() if s},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("first")
    parser.add_argument("second")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    result = same_steps(args.first, args.second)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps({k: result[k] for k in ("common_steps", "identical", "first_differing_step")}))


if __name__ == "__main__":
    main()
