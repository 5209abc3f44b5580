"""RM pairs reports (``evaluate.py pairs``) as one Markdown table: each RM's accuracy beside the length baseline on the
same pairs, and their paired difference where the report has it (``length_controls``, added on 2026-12-02). For the
record of RMs since lost; the study's own RMs get their table from summary.py, with their training beside it.

python scripts/report/rm_pairs_table.py --report "RM_A|held-out=results/level1/rm_a_test_pairs.json" \
    --report "RM_A|human=results/level1/rm_a_human_pairs.json" ... --out results/level1/rm_pairs.md
"""

import argparse
import json


def interval(a: dict | None) -> str:
    if a is None or a.get("mean") is None:
        return "n/a"
    return f"{a['mean']:.3f} [{a['ci95'][0]:.3f}, {a['ci95'][1]:.3f}]"


def row(rm: str, pairs: str, report: dict) -> str:
    controls = report.get("length_controls")
    difference = interval(controls["rm_minus_length_baseline"]) if controls else "not in this report"
    return (
        f"| {rm} | {pairs} | {report['n_pairs']:,} ({report['n_prompts']:,} prompts) | "
        f"{report['pairs_dropped_for_length']:,} at {report['max_length']:,} tokens | {interval(report['accuracy'])} | "
        f"{interval(report['length_baseline'])} | {difference} |"
    )


def table(reports: list[tuple[str, str, dict]]) -> str:
    lines = [
        "| RM | pairs | judged | dropped for length | accuracy [95% CI] | length baseline [95% CI] "
        "| accuracy − length baseline [95% CI] |",
        "|---|---|---|---|---|---|---|",
    ]
    return "\n".join(lines + [row(rm, pairs, report) for rm, pairs, report in reports]) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--report", action="append", required=True, help="RM|PAIRS=FILE (an evaluate.py pairs JSON)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    reports = []
    for spec in args.report:
        label, _, path = spec.partition("=")
        rm, _, pairs = label.partition("|")
        if not (rm and pairs and path):
            raise SystemExit(f"--report {spec!r}: expected RM|PAIRS=FILE")
        with open(path) as f:
            reports.append((rm, pairs, json.load(f)))
    with open(args.out, "w") as f:
        f.write(table(reports))
    print(table(reports))


if __name__ == "__main__":
    main()
