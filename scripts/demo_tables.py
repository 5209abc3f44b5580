"""Tables of the demo runs over seeds (scripts/demo_seeds.sh): RM accuracy, and how often the policy's greedy
answers say "great" (the known rule) compared with the initial policy's.

python scripts/demo_tables.py --logs artifacts/demo/logs --out results/demo/tables.md
"""

import argparse
import glob
import json


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--logs", default="artifacts/demo/logs")
    parser.add_argument("--out", default="results/demo/tables.md")
    args = parser.parse_args()
    lines = ["| reward model | run | held-out pairwise accuracy [95% CI] (final validation) |", "|---|---|---|"]
    for rm in ("reward_model", "distributional_reward_model"):
        for run in sorted(glob.glob(f"{args.logs}/{rm}/seed*")):
            reports = [json.load(open(p)) for p in glob.glob(f"{run}/rm_val_step*.json")]
            a = max(reports, key=lambda r: r["global_step"])["accuracy"]
            lines.append(f"| {rm} | `{run}` | {a['mean']:.3f} [{a['ci95'][0]:.3f}, {a['ci95'][1]:.3f}] (n={a['n']}) |")
    lines += ["", "| REINFORCE run | 'great' per greedy answer: initial policy | after REINFORCE |", "|---|---|---|"]
    for run in ("reinforce", "reinforce_distributional"):
        for path in sorted(glob.glob(f"{args.logs}/{run}/seed*/eval/val_step*_generations.jsonl")):
            rows = [json.loads(line) for line in open(path)]
            count = {who: sum(r[who]["response"].count("great") for r in rows) / len(rows) for who in ("sft", "policy")}
            lines.append(f"| `{path}` | {count['sft']:.2f} | {count['policy']:.2f} |")
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
