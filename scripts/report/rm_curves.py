"""How an RM's validation accuracy grows during its one epoch: the in-epoch validations it wrote
(``rm_val_step<N>.json`` beside its TensorBoard logs) collected into one JSON and one Markdown table.

python scripts/report/rm_curves.py --run RM_A=$RLHF_ARTIFACTS/rm_a --run RM_B=$RLHF_ARTIFACTS/rm_b \
    --out results/level1/rm_val_curves.json

An RM made again against its pin skips its in-epoch validations (scripts/study/reward_model.sh): its curve is the
one the output file already holds for it, which is kept.
"""

import argparse
import glob
import json
import os
import re

from rlhf.paths import write_result


def validations(run_dir: str) -> list[dict]:
    """The run's validation reports in step order (one per in-epoch validation; resumed runs included)."""
    paths = glob.glob(os.path.join(run_dir, "**", "rm_val_step*.json"), recursive=True)
    reports = []
    for path in paths:
        with open(path) as f:
            reports.append(json.load(f))
    return sorted(reports, key=lambda r: (r["global_step"], r.get("pairs_trained", 0)))


def markdown(curves: dict[str, list[dict]]) -> str:
    lines = ["| RM | optimizer step | validation accuracy | 95% CI | pairs |", "|---|---|---|---|---|"]
    for name, reports in curves.items():
        for r in reports:
            a = r["accuracy"]
            low, high = a["ci95"]
            lines.append(f"| {name} | {r['global_step']} | {a['mean']:.3f} | [{low:.3f}, {high:.3f}] | {a['n']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", action="append", required=True, help="NAME=RUN_DIR (the RM's artifact directory)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    recorded = {}
    if os.path.exists(args.out):
        with open(args.out) as f:
            recorded = json.load(f)
    curves = {}
    for spec in args.run:
        name, _, run_dir = spec.partition("=")
        if not re.fullmatch(r"[\w -]+", name) or not run_dir:
            raise SystemExit(f"--run {spec!r}: expected NAME=RUN_DIR")
        curves[name] = validations(run_dir) or recorded.get(name, [])
        if not curves[name]:
            raise SystemExit(f"{run_dir}: no rm_val_step*.json, nor a curve of {name} in {args.out} (validated yet?)")
    write_result(args.out, curves, markdown(curves))
    print(markdown(curves))


if __name__ == "__main__":
    main()
