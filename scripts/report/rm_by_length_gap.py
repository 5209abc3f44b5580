"""Does an RM know more than "the longer response wins" where length says little? Its accuracy on labelled pairs,
split by how much longer the longer response is (the ratio of the two responses' token lengths), beside the length
rule's on the same pairs and the paired difference. Where the lengths are close the length rule is near chance, so
what the RM gets right there it gets from something else. A descriptive look at the RM endpoints (REPORT.md §3.5),
from the per-pair scores `evaluate.py pairs --scores-out` keeps; no model is run. Intervals resample prompts.

python scripts/report/rm_by_length_gap.py --rm RM_A \
    --scores held-out=results/level1/rm_a_test_pair_scores.jsonl.gz \
    --scores human=results/level1/rm_a_human_pair_scores.jsonl.gz --out results/level1/rm_a_by_length_gap.json
Writes the JSON and the Markdown table beside it.
"""

import argparse
import math
import sys

import torch

from rlhf.evaluate import read_jsonl
from rlhf.paths import write_result
from rlhf.stats import cluster_bootstrap_ci

EDGES = (1.25, 2.0)  # longer / shorter response, in tokens: under 1.25, 1.25 to 2, 2 and more (equal lengths apart)
GROUPS = ("all", "equal", f"< {EDGES[0]:g}", f"{EDGES[0]:g} to {EDGES[1]:g}", f">= {EDGES[1]:g}")  # table order


def gap_group(chosen_length: int, rejected_length: int) -> str:
    if chosen_length == rejected_length:
        return GROUPS[1]
    shorter, longer = sorted((chosen_length, rejected_length))
    ratio = longer / shorter if shorter else math.inf
    return GROUPS[2] if ratio < EDGES[0] else GROUPS[3] if ratio < EDGES[1] else GROUPS[4]


def outcomes(pair: dict) -> tuple[float, float]:
    """1, 0 or 1/2 (a tie) for the RM and for the length rule on one pair."""
    chosen, rejected = pair["chosen"]["score"], pair["rejected"]["score"]
    rm = 1.0 if chosen > rejected else 0.5 if chosen == rejected else 0.0
    c, r = pair["chosen_length"], pair["rejected_length"]
    return rm, 1.0 if c > r else 0.5 if c == r else 0.0


def by_length_gap(pairs: list[dict]) -> dict:
    """Per length-gap group (and over all pairs): pairs, prompts, the RM's and the length rule's accuracy and their
    paired difference, each with a prompt-clustered 95% interval."""
    if not pairs:
        raise SystemExit("no pairs")
    groups: dict[str, list[dict]] = {name: [] for name in GROUPS}
    groups["all"] = pairs
    for p in pairs:
        groups[gap_group(p["chosen_length"], p["rejected_length"])].append(p)
    out = {}
    for name, members in groups.items():
        if not members:
            continue
        rm, length = torch.tensor([outcomes(p) for p in members], dtype=torch.float64).T
        prompts = [p["prompt_hash"] for p in members]
        out[name] = {"pairs": len(members), "prompts": len(set(prompts))}
        measures = {"rm_accuracy": rm, "length_rule_accuracy": length, "rm_minus_length_rule": rm - length}
        for key, values in measures.items():
            out[name][key] = {"mean": values.mean().item(), "ci95": cluster_bootstrap_ci(values, prompts)}
    return out


def markdown(result: dict) -> str:
    lines = [
        f"| {result['rm']} on | longer / shorter response | pairs (prompts) | RM accuracy [95% CI] "
        "| length rule [95% CI] | RM − length rule [95% CI] |",
        "|---|---|---|---|---|---|",
    ]

    def fmt(s: dict, sign: str = "") -> str:  # a group of one prompt has no interval
        low, high = s["ci95"]
        interval = "—" if math.isnan(low) else f"[{low:{sign}.3f}, {high:{sign}.3f}]"
        return f"{s['mean']:{sign}.3f} {interval}"

    for pairs_name, groups in result["pairs"].items():
        for name, g in groups.items():
            lines.append(
                f"| {pairs_name} | {name} | {g['pairs']:,} ({g['prompts']:,}) | {fmt(g['rm_accuracy'])} "
                f"| {fmt(g['length_rule_accuracy'])} | {fmt(g['rm_minus_length_rule'], '+')} |"
            )
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rm", required=True, help="the RM's name in the table")
    parser.add_argument("--scores", action="append", required=True, help="NAME=FILE of per-pair scores")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    result = {"rm": args.rm, "groups": f"longer / shorter response tokens, edges {list(EDGES)}", "files": {},
              "pairs": {}}  # fmt: skip
    for spec in args.scores:
        name, _, path = spec.partition("=")
        if not name or not path:
            raise SystemExit(f"--scores {spec!r}: expected NAME=FILE")
        result["files"][name] = path
        result["pairs"][name] = by_length_gap(list(read_jsonl(path)))
    write_result(args.out, result, markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main(sys.argv[1:])
