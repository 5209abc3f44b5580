"""How far does "the longer response wins" get on a preference set? A model-free baseline for RM accuracy.

python scripts/data/length_baseline.py --data ../shared/data/prefmix_pairs.jsonl.gz --splits splits/prefmix.json \
    --tokenizer ../shared/tokenizers/smollm2-135m-instruct --human ../shared/data/human_pairs.jsonl.gz \
    --out results/data/length_baseline.json
Per role of the split file and per source, with intervals that resample prompts (pairs share prompts).
"""

import argparse
import json

import torch

from rlhf.dataset import clean_pairs, encode_responses, load_rows, load_split_file, prompt_hash, rows_in_roles
from rlhf.models import load_tokenizer
from rlhf.stats import cluster_bootstrap_ci


def longer_wins(tokenizer, rows: list[dict]) -> dict:
    chosen = encode_responses(tokenizer, [r["chosen"][-1]["content"] for r in rows])
    rejected = encode_responses(tokenizer, [r["rejected"][-1]["content"] for r in rows])
    diff = torch.tensor([len(c) - len(r) for c, r in zip(chosen, rejected)], dtype=torch.float64)
    outcomes = (diff > 0).double() + 0.5 * (diff == 0).double()
    clusters = [prompt_hash(r) for r in rows]
    return {
        "accuracy": outcomes.mean().item(),
        "ci95": cluster_bootstrap_ci(outcomes, clusters),
        "pairs": len(rows),
        "prompts": len(set(clusters)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True)
    parser.add_argument("--splits", required=True)
    parser.add_argument("--tokenizer", required=True)
    parser.add_argument("--human", default=None, help="human-labelled pairs (evaluation only)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    tokenizer = load_tokenizer(args.tokenizer)
    rows = clean_pairs(load_rows(args.data))
    roles = load_split_file(args.splits)
    result = {"data": args.data, "splits": args.splits, "roles": {}}
    for role in sorted(roles):
        part = rows_in_roles(rows, roles, [role], args.splits)
        result["roles"][role] = {"all": longer_wins(tokenizer, part)}
        for source in sorted({r.get("source") for r in part if r.get("source")}):
            result["roles"][role][source] = longer_wins(tokenizer, [r for r in part if r.get("source") == source])
    if args.human:
        result["human"] = {"data": args.human, **longer_wins(tokenizer, clean_pairs(load_rows(args.human)))}
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
