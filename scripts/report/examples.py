"""Side-by-side test generations chosen by the rule fixed in advance (REPORT.md §3.1), not by reading them: the test
prompts ranked 1, 32, 64, 96, 128 and 160 in prompt-hash order, the first sampled response of SFT and of a policy
(seed 0), each with every judge's score, its length and whether it finished.

python scripts/report/examples.py --eval $RLHF_ARTIFACTS/eval --policy l1_seed0 --judges rm_a rm_b \
    --data ../shared/data/prefmix_pairs.jsonl.gz --out results/level1/examples.md
"""

import argparse
import os
import re

from rlhf.dataset import load_rows, prompt_hash, prompt_key
from rlhf.evaluate import read_jsonl

RANKS = (1, 32, 64, 96, 128, 160)
PROMPT_CHARS = 1200  # long prompts are cut for reading; the responses are shown whole


def first_sample(eval_dir: str, run: str, judges: list[str]) -> dict[str, dict]:
    """Per prompt hash: the run's first sampled response with each judge's score of it."""
    records = {r["prompt_hash"]: r["samples"][0] for r in read_jsonl(os.path.join(eval_dir, run, "generations.jsonl"))}
    for judge in judges:
        for r in read_jsonl(os.path.join(eval_dir, run, f"scores_{judge}.jsonl")):
            records[r["prompt_hash"]].setdefault("scores", {})[judge] = r["sample0"]["score"]
    return records


def chosen_prompts(hashes: list[str], ranks=RANKS) -> list[str]:
    ordered = sorted(hashes)
    if len(ordered) < max(ranks):
        raise ValueError(f"{len(ordered)} prompts: the rule needs at least {max(ranks)}")
    return [ordered[r - 1] for r in ranks]


def fence(text: str) -> str:
    """A fenced block that the text itself cannot close (responses may contain ``` themselves)."""
    ticks = "`" * max(3, max(map(len, re.findall("`+", text)), default=0) + 1)
    return f"{ticks}text\n{text}\n{ticks}"


def markdown(prompts: dict[str, str], runs: dict[str, dict[str, dict]], judges: list[str]) -> str:
    hashes = chosen_prompts(list(next(iter(runs.values()))))
    out = []
    for rank, h in zip(RANKS, hashes):
        prompt = prompts[h]
        shown = prompt if len(prompt) <= PROMPT_CHARS else prompt[:PROMPT_CHARS] + f" [... {len(prompt)} characters]"
        out += [f"#### Test prompt ranked {rank} (`{h}`)", "", fence(shown), ""]
        for name, responses in runs.items():
            r = responses[h]
            scores = ", ".join(f"{j} {r['scores'][j]:+.2f}" for j in judges)
            status = "finished" if r["finished"] else "cut at the budget"
            out += [f"**{name}** ({scores}; {r['length']} tokens, {status})", "", fence(r["text"]), ""]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval", required=True, help="directory of the evaluation runs (one per policy)")
    parser.add_argument("--sft", default="sft")
    parser.add_argument("--policy", required=True, help="the policy run (seed 0)")
    parser.add_argument("--judges", nargs="+", required=True)
    parser.add_argument("--data", required=True, help="the pair file the prompts come from (for their text)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    prompts = {prompt_hash(r): prompt_key(r) for r in load_rows(args.data)}
    runs = {"SFT": first_sample(args.eval, args.sft, args.judges)}
    runs[args.policy] = first_sample(args.eval, args.policy, args.judges)
    with open(args.out, "w") as f:
        f.write(markdown(prompts, runs, args.judges) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
