"""How far does "the longer response wins" get on a preference set? A model-free baseline for RM accuracy.

python scripts/length_baseline.py --data ../shared/data/prefmix_pairs.jsonl.gz --tokenizer DIR \
    [--test ../shared/data/human_pairs.jsonl.gz] --out results/length_baseline.json
Uses the same cleaning and prompt split (val_fraction 0.05, split_seed 0) as the configs.
"""

import argparse
import json

import torch

from rlhf.dataset import clean_pairs, encode_responses, load_rows, split_by_prompt
from rlhf.evaluation import mean_with_ci
from rlhf.models import load_tokenizer


def longer_wins(tokenizer, rows: list[dict]) -> dict:
    chosen = encode_responses(tokenizer, [r["chosen"][-1]["content"] for r in rows])
    rejected = encode_responses(tokenizer, [r["rejected"][-1]["content"] for r in rows])
    diff = torch.tensor([len(c) - len(r) for c, r in zip(chosen, rejected)], dtype=torch.float)
    outcomes = (diff > 0).float() + 0.5 * (diff == 0).float()
    return {"longer_wins_accuracy": mean_with_ci(outcomes), "chosen_longer_share": (diff > 0).float().mean().item()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="esfrankel17/HelpSteer2_binarized")
    parser.add_argument("--tokenizer", default="HuggingFaceTB/SmolLM2-135M-Instruct")
    parser.add_argument("--test", default=None)
    parser.add_argument("--val-fraction", type=float, default=0.05)
    parser.add_argument("--split-seed", type=int, default=0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    tokenizer = load_tokenizer(args.tokenizer)
    rows = clean_pairs(load_rows(args.data))
    train, val = split_by_prompt(rows, args.val_fraction, args.split_seed)
    result = {"data": args.data, "train": longer_wins(tokenizer, train), "val": longer_wins(tokenizer, val)}
    for source in sorted({r.get("source") for r in val if r.get("source")}):
        result[f"val/{source}"] = longer_wins(tokenizer, [r for r in val if r.get("source") == source])
    if args.test:
        result["test"] = {"data": args.test, **longer_wins(tokenizer, clean_pairs(load_rows(args.test)))}
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
