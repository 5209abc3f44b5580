"""Token-length distribution of preference pairs (prompt + longer response), to choose the RM's max_length.

python scripts/length_stats.py --data PATH_OR_HUB_ID --tokenizer PATH_OR_HUB_ID --out results/length_stats.json
"""

import argparse
import json

import torch

from rlhf.dataset import clean_pairs, encode_pairs, load_rows
from rlhf.models import load_tokenizer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default="esfrankel17/HelpSteer2_binarized")
    parser.add_argument("--split", default="average_rating")
    parser.add_argument("--tokenizer", default="HuggingFaceTB/SmolLM2-135M-Instruct")
    parser.add_argument("--out", default="results/length_stats.json")
    args = parser.parse_args()
    tokenizer = load_tokenizer(args.tokenizer)
    items = encode_pairs(tokenizer, clean_pairs(load_rows(args.data, args.split)), max_length=10**9)
    lengths = torch.tensor([max(len(i["chosen_ids"]), len(i["rejected_ids"])) for i in items], dtype=torch.float)
    quantiles = [0.5, 0.75, 0.9, 0.95, 0.99]
    stats = {
        "data": args.data,
        "tokenizer": args.tokenizer,
        "pairs": len(items),
        "max_pair_tokens_quantiles": {str(q): lengths.quantile(q).item() for q in quantiles},
        "share_within": {str(n): (lengths <= n).float().mean().item() for n in (512, 768, 1024, 1536, 2048)},
    }
    with open(args.out, "w") as f:
        json.dump(stats, f, indent=2)
    print(json.dumps(stats, indent=2))


if __name__ == "__main__":
    main()
