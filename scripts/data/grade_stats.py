"""The arena grades (1..10, one LLM judge's per response) that the distributional RM's rating term fits: how they are
spread, how much of their variance lies between prompts (which pairs, comparing two answers to one prompt, never
see), and how they go with length. Model-free facts for Level 2 (REPORT.md §4.3).

python scripts/data/grade_stats.py --data ../shared/data/prefmix_pairs.jsonl.gz --splits splits/prefmix.json \
    --roles rm_a test --tokenizer ../shared/tokenizers/smollm2-135m-instruct --out results/data/grade_stats.json
Per role, over the unique graded responses (a response sits in several pairs, with one grade); intervals resample
prompts. Writes the JSON and, beside it, the Markdown table REPORT.md shows.
"""

import argparse
import math
from collections import Counter, defaultdict

import torch

from rlhf.dataset import clean_pairs, encode_responses, load_rows, load_split_file, prompt_hash, rating, rows_in_roles
from rlhf.models import load_tokenizer
from rlhf.paths import write_result
from rlhf.stats import cluster_bootstrap_statistic_ci, spearman


def graded_responses(rows: list[dict]) -> list[dict]:
    """One record per (prompt, response text) with its grade; a response graded twice differently is an error."""
    seen: dict[tuple[str, str], dict] = {}
    for row in rows:
        for side in ("chosen", "rejected"):
            grade = rating(row, side)
            if math.isnan(grade):
                continue
            key = (prompt_hash(row), row[side][-1]["content"])
            if key in seen and seen[key]["grade"] != grade:
                raise SystemExit(f"prompt {key[0]}: one response graded {seen[key]['grade']:g} and {grade:g}")
            seen[key] = {"prompt": key[0], "text": key[1], "grade": grade}
    return list(seen.values())


def between_prompt_share(grades: list[float], prompts: list[str]) -> float:
    """The share of the grades' variance that is the variance of the prompts' mean grades (each response weighted
    once): what a comparison of two answers to the same prompt cannot see."""
    by_prompt = defaultdict(list)
    for grade, prompt in zip(grades, prompts):
        by_prompt[prompt].append(grade)
    mean = sum(grades) / len(grades)
    total = sum((g - mean) ** 2 for g in grades)
    between = sum(len(g) * (sum(g) / len(g) - mean) ** 2 for g in by_prompt.values())
    return between / total if total > 0 else math.nan


def describe(tokenizer, rows: list[dict]) -> dict:
    responses = graded_responses(rows)
    if len(responses) < 2:
        raise SystemExit(f"{len(responses)} graded responses: nothing to describe")
    grades = torch.tensor([r["grade"] for r in responses], dtype=torch.float64)
    ids = encode_responses(tokenizer, [r["text"] for r in responses])
    lengths = torch.tensor([len(i) for i in ids], dtype=torch.float64)
    prompts = [r["prompt"] for r in responses]
    return {
        "responses": len(responses),
        "prompts": len(set(prompts)),
        "grade_counts": {f"{g:g}": c for g, c in sorted(Counter(grades.tolist()).items())},
        "grade_mean": grades.mean().item(),
        "grade_std": grades.std().item(),
        "between_prompt_share_of_variance": between_prompt_share(grades.tolist(), prompts),
        "spearman_grade_length": {
            "value": spearman(grades, lengths),
            "ci95": cluster_bootstrap_statistic_ci(spearman, [grades, lengths], prompts),
        },
    }


def markdown(result: dict) -> str:
    scores = sorted({g for r in result["roles"].values() for g in r["grade_counts"]}, key=float)
    lines = [
        "| role | responses (prompts) | mean ± std | between-prompt share of variance | Spearman(grade, length) "
        "[95% CI] | " + " | ".join(f"grade {g}" for g in scores) + " |",
        "|---|---|---|---|---|" + "---|" * len(scores),
    ]
    for role, r in result["roles"].items():
        rho = r["spearman_grade_length"]
        shares = [r["grade_counts"].get(g, 0) / r["responses"] for g in scores]
        lines.append(
            f"| `{role}` | {r['responses']:,} ({r['prompts']}) | {r['grade_mean']:.2f} ± {r['grade_std']:.2f} | "
            f"{r['between_prompt_share_of_variance']:.2f} | {rho['value']:.2f} [{rho['ci95'][0]:.2f}, "
            f"{rho['ci95'][1]:.2f}] | " + " | ".join(f"{s:.2f}" for s in shares) + " |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True)
    parser.add_argument("--splits", required=True)
    parser.add_argument("--roles", nargs="+", required=True)
    parser.add_argument("--tokenizer", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    tokenizer = load_tokenizer(args.tokenizer)
    rows = clean_pairs(load_rows(args.data))
    roles = load_split_file(args.splits)
    result = {"data": args.data, "splits": args.splits, "roles": {}}
    for role in args.roles:
        part = rows_in_roles(rows, roles, [role], args.splits)
        result["roles"][role] = describe(tokenizer, part)
    write_result(args.out, result, markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
