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
from transformers import GenerationConfig

from rlhf.data import PromptCollator
from rlhf.dataset import clean_pairs, load_rows, unique_prompts
from rlhf.generation import Rollout, generate
from rlhf.models import load_causal_lm, load_tokenizer


def hf_generate(model, input_ids, attention_mask, eos, max_new_tokens, greedy=True):
    """Hugging Face's ``model.generate`` with the same stopping rule, as a Rollout."""
    config = GenerationConfig(
        do_sample=not greedy,
        top_k=None if greedy else 0,
        top_p=None if greedy else 1.0,
        temperature=None if greedy else 1.0,
        max_new_tokens=max_new_tokens,
        eos_token_id=eos,
        pad_token_id=eos,
    )
    sequences = model.generate(input_ids=input_ids, attention_mask=attention_mask, generation_config=config)
    response = sequences[:, input_ids.shape[1] :]
    is_eos = response == eos
    finished = is_eos.any(-1)
    lengths = torch.where(finished, is_eos.int().argmax(-1) + 1, response.shape[1])
    mask = (torch.arange(response.shape[1]) < lengths[:, None]).long()
    return Rollout(sequences, torch.cat([attention_mask, mask], 1), mask, finished)


ENGINES = {"ours": generate, "hf": hf_generate}


def run(model, tokenizer, items, batch_size, max_new_tokens, engine) -> tuple[float, int, dict]:
    collate = PromptCollator(tokenizer.pad_token_id)
    start, tokens, outputs = time.perf_counter(), 0, {}
    for i in range(0, len(items), batch_size):
        batch = collate(items[i : i + batch_size])
        rollout = ENGINES[engine](
            model, batch["input_ids"], batch["attention_mask"], tokenizer.eos_token_id, max_new_tokens, greedy=True
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
        "model.generate, random order": (items, "hf"),
        "ours, random order": (items, "ours"),
        "ours, length-sorted batches": (by_length, "ours"),
    }
    results, reference = {}, None
    for name, (order, engine) in variants.items():
        times = []
        for _ in range(args.repeats):
            seconds, tokens, outputs = run(model, tokenizer, order, args.batch_size, args.max_new_tokens, engine)
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
