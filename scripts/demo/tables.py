"""Tables of the demo (scripts/demo/seeds.sh): each RM's held-out accuracy, and how often the greedy answers say
"great" (the known rule) before and after REINFORCE, from the evaluation stage's generations.

python scripts/demo/tables.py --demo artifacts/demo --out results/demo/tables.md
"""

import argparse
import glob
import json
from pathlib import Path


def great(path: Path) -> float:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    return sum(r["greedy"]["text"].count("great") for r in rows) / len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo", default="artifacts/demo")
    parser.add_argument("--out", default="results/demo/tables.md")
    args = parser.parse_args()
    demo = Path(args.demo)
    lines = ["| reward model | held-out pairwise accuracy [95% CI] (final validation) |", "|---|---|"]
    for rm in ("reward_model", "distributional_reward_model"):
        reports = [json.loads(Path(p).read_text()) for p in glob.glob(f"{demo}/logs/{rm}/version_*/rm_val_step*.json")]
        a = max(reports, key=lambda r: r["global_step"])["accuracy"]
        lines.append(f"| {rm} | {a['mean']:.3f} [{a['ci95'][0]:.3f}, {a['ci95'][1]:.3f}] (n={a['n']}) |")
    sft = great(demo / "eval/sft/generations.jsonl")
    lines += ["", "| policy | seed | 'great' per greedy answer: SFT | after REINFORCE |", "|---|---|---|---|"]
    for path in sorted(demo.glob("eval/*/seed*/generations.jsonl")):
        lines.append(f"| trained on {path.parent.parent.name} | {path.parent.name} | {sft:.2f} | {great(path):.2f} |")
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
