"""How often a policy's responses finish within each response budget, per generation file (one per prompt set), with
95% intervals resampled by prompt: the measurement behind REINFORCE's prompt pool (REPORT.md §1). A response that
ends within b tokens of a run at the largest budget is the response a b-token run samples (same prompts, batches
and random stream), so one run at the largest budget answers every smaller one.
  python evaluate.py generate --policy $MODEL --data ../shared/data/prefmix_pairs.jsonl.gz \
      --splits splits/prefmix.json \
      --tokenizer ../shared/tokenizers/smollm2-135m-instruct --max-prompt-length 384 --roles dev \
      --sources alpaca_eval2_weighted --samples 2 --max-new-tokens 384 --seed 0 --precision 32 \
      --out $RLHF_ARTIFACTS/dev/sft_384_alpaca_eval2_weighted/generations.jsonl   # and likewise arena-bench-v1
  python scripts/report/finish_rates.py --budgets 128 256 384 \
      --run AlpacaEval=$RLHF_ARTIFACTS/dev/sft_384_alpaca_eval2_weighted/generations.jsonl \
      --run arena=$RLHF_ARTIFACTS/dev/sft_384_arena-bench-v1/generations.jsonl --out results/data/sft_finish_rates.json
Writes the JSON and, beside it, the Markdown table REPORT.md shows.
"""

import argparse
import json
import os
import statistics
import sys

import torch

from rlhf.evaluate import read_jsonl
from rlhf.paths import write_result
from rlhf.stats import bootstrap_ci

sys.path.insert(0, os.path.dirname(__file__))
from summary import sha256  # noqa: E402  (of a file, or of a model directory file by file)

SETTINGS = ("policy", "max_new_tokens", "samples", "temperature", "seed", "precision", "max_prompt_length", "sources")


def finish_rates(records: list[dict], budgets: list[int]) -> dict:
    """Per budget b: the share of sampled responses that finished within b tokens (mean over prompts of each prompt's
    share, equal to the pooled share when every prompt has as many samples) with its interval over prompts, and the
    share of greedy responses that did."""

    def within(response: dict, b: int) -> bool:
        return response["finished"] and response["length"] <= b

    if not records:
        raise SystemExit("no generations: nothing to measure")
    out = {"prompts": len(records), "sampled_responses": sum(len(rec["samples"]) for rec in records), "budgets": {}}
    for b in budgets:
        per_prompt = torch.tensor([sum(within(s, b) for s in rec["samples"]) / len(rec["samples"]) for rec in records])
        out["budgets"][str(b)] = {
            "sampled_finished": per_prompt.double().mean().item(),
            "sampled_finished_ci95": bootstrap_ci(per_prompt),
            "greedy_finished": sum(within(rec["greedy"], b) for rec in records) / len(records),
        }
    finished = [s["length"] for rec in records for s in rec["samples"] if s["finished"]]
    out["median_length_finished_samples"] = statistics.median(finished) if finished else None
    return out


def generation_settings(generations: str) -> dict:
    """What made the generations (evaluate.py's generate_settings.json beside them), the policy file's sha256, and
    this machine's CPU: the generations' own, as they live under $RLHF_ARTIFACTS on the machine that made them."""
    with open(os.path.join(os.path.dirname(generations), "generate_settings.json")) as f:
        settings = {k: v for k, v in json.load(f).items() if k in SETTINGS}
    policy = settings["policy"]
    settings["policy_sha256"] = sha256(policy) if os.path.exists(policy) else None
    with open("/proc/cpuinfo") as f:
        settings["cpu"] = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), None)
    return settings


def markdown(result: dict) -> str:
    lines = ["| prompts | new tokens | sampled responses finished [95% CI] | greedy finished |", "|---|---|---|---|"]
    for name, run in result["runs"].items():
        for b, r in run["budgets"].items():
            lo, hi = r["sampled_finished_ci95"]
            lines.append(f"| {name} ({run['prompts']}) | {b} | {r['sampled_finished']:.2f} [{lo:.2f}, {hi:.2f}] "
                         f"| {r['greedy_finished']:.2f} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", action="append", required=True, metavar="NAME=GENERATIONS")
    parser.add_argument("--budgets", type=int, nargs="+", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    runs = {}
    for spec in args.run:
        name, path = spec.split("=", 1)
        settings = generation_settings(path)
        if max(args.budgets) > settings["max_new_tokens"]:  # an unfinished response might have finished later
            raise SystemExit(f"{path}: made with {settings['max_new_tokens']} new tokens, fewer than a budget asked")
        runs[name] = {"generations": path, **settings, **finish_rates(read_jsonl(path), args.budgets)}
    result = {"runs": runs}
    write_result(args.out, result, markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
