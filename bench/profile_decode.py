"""Where a rollout's time goes: our generation helper at one batch size under torch.profiler (bf16 weights;
float32 weights under bf16 autocast, as REINFORCE runs it at bf16 mixed; or float32 throughout, as on a CPU without
bf16 instructions): the prompts' forward pass (prefill, over left-padded prompts, with the padding's share) against
the decode steps, and the top operators by self time.

python bench/profile_decode.py --batch-size 64 --max-new-tokens 32 --out results/bench/decode_profile_cpu.json
python bench/profile_decode.py --batch-size 16 --max-new-tokens 256 --float32 \
  --max-prompt-length 384 --source alpaca_eval2_weighted --out results/bench/decode_fp32.json
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
    parser.add_argument("--source", help="only prompts of this source (the study's pool: alpaca_eval2_weighted)")
    precision = parser.add_mutually_exclusive_group()
    precision.add_argument("--autocast", action="store_true", help="float32 weights under bf16 autocast")
    precision.add_argument("--float32", action="store_true", help="float32 weights, no autocast")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    tokenizer = load_tokenizer(args.tokenizer)
    model = load_causal_lm(args.model, "float32" if args.autocast or args.float32 else "bfloat16").eval()
    rows = [r for r in clean_pairs(load_rows(args.data)) if args.source in (None, r.get("source"))]
    prompts = unique_prompts(tokenizer, rows, args.max_prompt_length)
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
            "prompt_padding_share": 1 - batch["attention_mask"].float().mean().item(),  # of the prefill's tokens
            "top_ops": {
                e.key: {"self_s": e.self_cpu_time_total / 1e6, "share": e.self_cpu_time_total / total, "calls": e.count}
                for e in ops[:15]
            },
        },
    )


if __name__ == "__main__":
    main()
