"""Generation throughput of our rollout helper (rlhf.generation.generate), with and without its optimisations:
the KV cache, and batching prompts of similar length (less left padding). Greedy decoding, so every variant
must produce the same tokens; the script checks that.

python bench/bench_generation.py --prompts 16 --batch-size 8 --max-new-tokens 48 --out results/bench/generation_cpu.json
"""

import argparse
import statistics
import time

import torch
from common import add_common_args, environment, write

from rlhf.data import PromptCollator, clean_pairs, load_rows, unique_prompts
from rlhf.generation import generate
from rlhf.models import load_causal_lm, load_tokenizer


def run(model, tokenizer, items, batch_size, max_new_tokens, use_cache) -> tuple[float, int, dict]:
    collate = PromptCollator(tokenizer.pad_token_id)
    start, tokens, outputs = time.perf_counter(), 0, {}
    for i in range(0, len(items), batch_size):
        batch = collate(items[i : i + batch_size])
        rollout = generate(
            model,
            batch["input_ids"],
            batch["attention_mask"],
            tokenizer.eos_token_id,
            max_new_tokens,
            greedy=True,
            use_cache=use_cache,
        )
        tokens += int(rollout.response_mask.sum())
        for index, ids, mask in zip(batch["index"], rollout.response_ids, rollout.response_mask):
            outputs[int(index)] = ids[mask.bool()].tolist()
    return time.perf_counter() - start, tokens, outputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(parser)
    parser.add_argument("--prompts", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=48)
    parser.add_argument("--max-prompt-length", type=int, default=256)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    tokenizer = load_tokenizer(args.tokenizer)
    model = load_causal_lm(args.model).to("cuda" if torch.cuda.is_available() else "cpu").eval()
    items = unique_prompts(tokenizer, clean_pairs(load_rows(args.data)), args.max_prompt_length)
    items = [items[i] for i in torch.randperm(len(items), generator=torch.Generator().manual_seed(0))[: args.prompts]]
    by_length = sorted(items, key=lambda i: len(i["prompt_ids"]))
    variants = {
        "kv_cache, random order": (items, True),
        "kv_cache, length-sorted batches": (by_length, True),
        "no kv_cache, random order": (items, False),
    }
    results, reference = {}, None
    for name, (order, use_cache) in variants.items():
        times = []
        for _ in range(args.repeats):
            seconds, tokens, outputs = run(model, tokenizer, order, args.batch_size, args.max_new_tokens, use_cache)
            times.append(seconds)
        reference = reference or outputs
        same = sum(outputs[k] == reference[k] for k in reference) / len(reference)
        results[name] = {
            "median_seconds": statistics.median(times),
            "new_tokens": tokens,
            "tokens_per_second": tokens / statistics.median(times),
            "same_tokens_as_first": same,
        }
    write(
        args.out,
        {
            "benchmark": "generation",
            "settings": {k: v for k, v in vars(args).items() if k != "out"},
            "environment": environment(),
            "results": results,
        },
    )
    print("| variant | new tokens/s | same output |\n|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['tokens_per_second']:.1f} | {r['same_tokens_as_first']:.0%} |")


if __name__ == "__main__":
    main()
