"""Where an RM training step's time goes: one forward + backward of the scalar RM under bf16 autocast at the
study's micro-batch (2 pairs = 4 sequences) and max length, under torch.profiler, and the achieved matmul rate
(FLOPs of the linear layers / time in aten::mm), to read against bench_matmul.py's peak.

python bench/profile_rm_step.py --sequences 4 --length 1024 --out results/bench/rm_step_profile_cpu.json
"""

import argparse
import time

import torch
from common import DEFAULTS, environment, scalar_rm_and_tokens, write
from torch.profiler import ProfilerActivity, profile

from rlhf.models import reward_logits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=DEFAULTS["model"])
    parser.add_argument("--sequences", type=int, default=4)
    parser.add_argument("--length", type=int, default=1024)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    model, ids, mask = scalar_rm_and_tokens(args.model, args.sequences, args.length)

    def step() -> float:
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            scores = reward_logits(model, ids, mask)
        scores.sum().backward()
        return time.perf_counter() - start

    step()  # warm-up
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        seconds = step()
    ops = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)
    total = sum(e.self_cpu_time_total for e in ops)
    top = {e.key: {"self_s": e.self_cpu_time_total / 1e6, "share": e.self_cpu_time_total / total} for e in ops[:8]}
    # Linear layers of the backbone (embeddings excluded, no LM head in an RM): 2 FLOPs per weight per token
    # forward, twice that backward.
    linear = sum(p.numel() for n, p in model.base_model.named_parameters() if p.dim() == 2 and "embed" not in n)
    tokens = ids.numel()
    mm_seconds = top.get("aten::mm", {}).get("self_s", float("nan"))
    write(
        args.out,
        {
            "benchmark": "one RM training step (forward + backward, bf16 autocast) under torch.profiler",
            "settings": vars(args),
            "environment": environment(),
            "step_seconds": seconds,
            "tokens_per_s": tokens / seconds,
            "linear_parameters": linear,
            "model_tflop_per_step": 6 * linear * tokens / 1e12,
            "achieved_gflops_in_mm": 6 * linear * tokens / mm_seconds / 1e9,
            "top_ops": top,
        },
    )


if __name__ == "__main__":
    main()
