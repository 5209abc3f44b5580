"""Fix the prompt-level splits of a preference file once, before any study run, and write them as a small file.

Roles (disjoint sets of prompts, drawn per source with one seed):
  test  - scored once at the end of each study (policies and RMs); never used to choose anything
  dev   - choose lr, beta, steps; in-training evaluation; RM validation during its epoch
  rm_a  - half A of the remaining prompts: trains RM_A (and the distributional RM)
  rm_b  - half B: trains RM_B, the independent judge (same recipe, other data)

    python scripts/data/make_splits.py --data ../shared/data/prefmix_pairs.jsonl.gz --out splits/prefmix.json \
        --test alpaca_eval2_weighted=160 arena-bench-v1=40 --dev alpaca_eval2_weighted=60 arena-bench-v1=20
"""

import argparse
import hashlib
import json
import random
import sys
from collections import Counter, defaultdict

from rlhf.dataset import clean_pairs, load_rows, prompt_hash


def counts(pairs: list[str]) -> dict[str, int]:
    return {source: int(n) for source, n in (p.split("=") for p in pairs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--test", nargs="+", required=True, help="SOURCE=N prompts per source")
    parser.add_argument("--dev", nargs="+", required=True, help="SOURCE=N prompts per source")
    args = parser.parse_args()

    rows = clean_pairs(load_rows(args.data))
    by_source = defaultdict(set)
    pairs_of = Counter()
    for r in rows:
        by_source[r.get("source", "all")].add(prompt_hash(r))
        pairs_of[prompt_hash(r)] += 1
    rng = random.Random(args.seed)
    roles = defaultdict(list)
    test, dev = counts(args.test), counts(args.dev)
    for source in sorted(by_source):
        hashes = sorted(by_source[source])
        rng.shuffle(hashes)
        n_test, n_dev = test.get(source, 0), dev.get(source, 0)
        roles["test"] += hashes[:n_test]
        roles["dev"] += hashes[n_test : n_test + n_dev]
        rest = hashes[n_test + n_dev :]
        roles["rm_a"] += rest[0::2]
        roles["rm_b"] += rest[1::2]
    with open(args.data, "rb") as f:
        sha256 = hashlib.sha256(f.read()).hexdigest()
    source_of = {prompt_hash(r): r.get("source", "all") for r in rows}
    summary = {
        role: {
            "prompts": len(h),
            "pairs": sum(pairs_of[x] for x in h),
            "by_source": dict(Counter(source_of[x] for x in h)),
        }
        for role, h in roles.items()
    }
    out = {
        "data": args.data,
        "data_sha256": sha256,
        "seed": args.seed,
        "key": "sha1 of the prompt text, first 16 hex digits (rlhf.dataset.prompt_hash)",
        "command": "python " + " ".join(sys.argv),
        "summary": summary,
        "roles": {role: sorted(h) for role, h in roles.items()},
    }
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
