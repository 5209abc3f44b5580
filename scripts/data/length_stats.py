"""What a max_length does to the pairs: how many are whole, cut inside the user's text, or dropped, and whether
the kept pairs still prefer the longer response as often as all pairs do (the length balance of the labels).

python scripts/data/length_stats.py --data ../shared/data/prefmix_pairs.jsonl.gz --splits splits/prefmix.json \
    --roles rm_a --tokenizer ../shared/tokenizers/smollm2-135m-instruct --out results/data/length_stats_rm_a.json
"""

import argparse
import json

import torch

from rlhf.dataset import clean_pairs, encode_pairs, load_rows, load_split_file, rows_in_roles
from rlhf.models import load_tokenizer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True)
    parser.add_argument("--splits", default=None)
    parser.add_argument("--roles", nargs="+", default=["rm_a"])
    parser.add_argument("--tokenizer", required=True)
    parser.add_argument("--max-lengths", nargs="+", type=int, default=[512, 768, 1024, 1536])
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    tokenizer = load_tokenizer(args.tokenizer)
    rows = clean_pairs(load_rows(args.data))
    if args.splits:
        rows = rows_in_roles(rows, load_split_file(args.splits), args.roles, args.splits)
    whole = encode_pairs(tokenizer, rows, max_length=10**9)
    lengths = torch.tensor([max(len(i["chosen_ids"]), len(i["rejected_ids"])) for i in whole], dtype=torch.float)
    chosen_longer = lambda items: sum(len(i["chosen_ids"]) > len(i["rejected_ids"]) for i in items) / len(items)  # noqa: E731
    stats = {
        "data": args.data,
        "roles": args.roles if args.splits else "all",
        "pairs": len(rows),
        "prompt_plus_longer_response_tokens": {
            f"q{int(q * 100)}": lengths.quantile(q).item() for q in (0.5, 0.9, 0.95)
        },
        "chosen_longer_share_all": chosen_longer(whole),
        "by_max_length": {},
    }
    for n in args.max_lengths:
        kept = encode_pairs(tokenizer, rows, max_length=n)
        stats["by_max_length"][str(n)] = {
            "whole": int((lengths <= n).sum()),
            "cut_inside_user_text": len(kept) - int((lengths <= n).sum()),
            "dropped": len(rows) - len(kept),
            "chosen_longer_share_kept": chosen_longer(kept),
            "tokens_per_pair_padded": sum(2 * max(len(i["chosen_ids"]), len(i["rejected_ids"])) for i in kept)
            / len(kept),
        }
    with open(args.out, "w") as f:
        json.dump(stats, f, indent=2)
    print(json.dumps(stats, indent=2))


if __name__ == "__main__":
    main()
