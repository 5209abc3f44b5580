"""Where a rollout's time goes: our generation helper at one batch size under torch.profiler (bf16 weights, or
float32 weights under bf16 autocast as REINFORCE runs it): the prompts' forward pass (prefill, over left-padded
prompts) against the decode steps, and the top operators by self time.

python bench/profile_decode.py --batch-size 64 --max-new-tokens 32 --out results/bench/decode_profile_cpu.json
"""

import argparse
import contextlib
import time

import torch
from common import DEFAULTS, environment, write
from torch.profiler import ProfilerActivity, profile

from rlhf.data import PromptCollator
from rlhf.dataset import clean_pairs, load_rows, unique_prompts
from rlhf.generation import generate
from rlhf.models import load_causal_lm, load_tokenizer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for key, value in DEFAULTS.items():
        parser.add_argument(f"--{key}", default=value)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--max-prompt-length", type=int, default=256)
    parser.add_argument("--autocast", action="store_true", help="float32 weights under bf16 autocast")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    tokenizer = load_tokenizer(args.tokenizer)
    model = load_causal_lm(args.model, "float32" if args.autocast else "bfloat16").eval()
    prompts = unique_prompts(tokenizer, clean_pairs(load_rows(args.data)), args.max_prompt_length)
    order = torch.randperm(len(prompts), generator=torch.Generator().manual_seed(0)).tolist()
    batch = PromptCollator(tokenizer.pad_token_id)([prompts[i] for i in order[: args.batch_size]])
    context = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if args.autocast else contextlib.nullcontext

    def run(max_new_tokens: int):
        with context():
            generator = torch.Generator().manual_seed(0)
            return generate(model, batch["input_ids"], batch["attention_mask"], tokenizer.eos_token_id,
                            max_new_tokens, generator=generator)  # fmt: skip

    def timed(max_new_tokens: int):
        start = time.perf_counter()
        rollout = run(max_new_tokens)
        return rollout, time.perf_counter() - start

    run(args.max_new_tokens)  # warm-up
    _, prefill = timed(1)  # the prompt's forward pass and one sampled token
    rollout, seconds = timed(args.max_new_tokens)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        run(args.max_new_tokens)
    ops = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)
    total = sum(e.self_cpu_time_total for e in ops)
    steps = rollout.response_mask.shape[1]
    write(
        args.out,
        {
            "benchmark": "one rollout of our generation helper under torch.profiler",
            "settings": vars(args),
            "environment": environment(),
            "seconds": seconds,
            "decode_steps": steps,
            "prefill_seconds": prefill,
            "ms_per_decode_step": 1000 * (seconds - prefill) / max(steps - 1, 1),
            "token_slots_per_s": args.batch_size * steps / seconds,
            "prompt_length": int(batch["input_ids"].shape[1]),
            "top_ops": {
                e.key: {"self_s": e.self_cpu_time_total / 1e6, "share": e.self_cpu_time_total / total, "calls": e.count}
                for e in ops[:15]
            },
        },
    )


if __name__ == "__main__":
    main()
