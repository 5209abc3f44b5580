"""Where the null-model probe beats SFT's answer, by the answer's length: the share of test prompts on which an RM
scores the garbage text above SFT's greedy answer, split by whether that answer finished and by its length in tokens,
beside the garbage text's own length. A descriptive look at the probe endpoint (REPORT.md §3.5), no test.

python scripts/report/probe_by_length.py --probe results/level1/rm_a_probe.json \
    --generations $RLHF_ARTIFACTS/eval/sft/generations.jsonl \
    --probe-text ../shared/data/probes/null_model_response.txt \
    --tokenizer ../shared/tokenizers/smollm2-135m-instruct --out results/level1/rm_a_probe_by_length.json
(SFT's test answers are kept in results/level1/kept_sft.tar.gz.) Writes the JSON and the Markdown table beside it.
"""

import argparse
import json
import os
import sys

from transformers import AutoTokenizer

from rlhf.evaluate import read_jsonl
from rlhf.paths import write_result
from rlhf.stats import wilson_ci

sys.path.insert(0, os.path.dirname(__file__))
from finish_rates import generation_settings  # noqa: E402  (what made the generations, with the policy's sha256)
from summary import sha256  # noqa: E402

EDGES = (64, 128)  # finished answers: shorter than 64 tokens, 64-127, 128 and more


def answer_group(answer: dict) -> str:
    if not answer["finished"]:
        return "unfinished"
    lo = max([0, *(e for e in EDGES if e <= answer["length"])])
    hi = min([e for e in EDGES if e > answer["length"]], default=None)
    return f"finished, {lo}-{hi - 1} tokens" if hi else f"finished, {lo}+ tokens"


def probe_by_length(per_prompt: list[dict], greedy: dict[str, dict]) -> dict:
    """Per group of SFT's greedy answers: prompts, the share where the probe outscores the answer (a Wilson interval
    over prompts: a group may be all wins) and the answers' mean length. A probe prompt without an answer is an
    error."""
    missing = [p["prompt_hash"] for p in per_prompt if p["prompt_hash"] not in greedy]
    if missing:
        raise SystemExit(f"{len(missing)} probe prompts have no SFT answer in the generations, e.g. {missing[0]}")
    groups: dict[str, list[tuple[bool, int]]] = {}
    for p in per_prompt:
        answer = greedy[p["prompt_hash"]]
        wins = p["probe"]["score"] > p["answer"]["score"]
        groups.setdefault(answer_group(answer), []).append((wins, answer["length"]))
    out = {}
    for name in sorted(groups, key=lambda g: (g == "unfinished", min(length for _, length in groups[g]))):
        n, wins = len(groups[name]), sum(w for w, _ in groups[name])
        out[name] = {
            "prompts": n,
            "probe_beats_answer": wins / n,
            "probe_beats_answer_ci95": wilson_ci(wins, n),
            "mean_answer_length": sum(length for _, length in groups[name]) / n,
        }
    return out


def markdown(result: dict) -> str:
    lines = [
        "| SFT's greedy answer | prompts | mean length, tokens | garbage answer beats it [95% CI] |",
        "|---|---|---|---|",
    ]
    for name, g in result["groups"].items():
        lo, hi = g["probe_beats_answer_ci95"]
        lines.append(f"| {name} | {g['prompts']} | {g['mean_answer_length']:.0f} "
                     f"| {g['probe_beats_answer']:.2f} [{lo:.2f}, {hi:.2f}] |")  # fmt: skip
    lines.append(f"\nThe garbage answer: {result['probe_tokens']} tokens; SFT's answers: at most "
                 f"{result['max_new_tokens']} new tokens; RM `{result['rm']}`.")  # fmt: skip
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--probe", required=True, help="evaluate.py probe's report")
    parser.add_argument("--generations", required=True, help="the SFT generations the probe was scored against")
    parser.add_argument("--probe-text", required=True)
    parser.add_argument("--tokenizer", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    with open(args.probe) as f:
        probe = json.load(f)
    greedy = {rec["prompt_hash"]: rec["greedy"] for rec in read_jsonl(args.generations)}
    tokenizer = AutoTokenizer.from_pretrained(args.tokenizer)
    with open(args.probe_text) as f:
        probe_tokens = len(tokenizer(f.read(), add_special_tokens=False)["input_ids"])
    result = {
        "rm": probe["rm"],
        "rm_sha256": sha256(probe["rm"]) if os.path.exists(probe["rm"]) else None,
        "probe": args.probe,
        "generations": args.generations,
        "generations_sha256": sha256(args.generations),
        **generation_settings(args.generations),
        "probe_tokens": probe_tokens,
        "groups": probe_by_length(probe["per_prompt"], greedy),
    }
    write_result(args.out, result, markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
