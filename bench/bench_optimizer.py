"""AdamW step time on the real model's parameters: PyTorch's default for CPU tensors (a Python loop over the
tensors), ``foreach`` (batched per op) and ``fused`` (one kernel; what ``rlhf.models.adamw`` uses). Every variant
starts from the same weights and takes the same steps on the same gradients; the script reports how far its
weights end from the default's.

python bench/bench_optimizer.py --steps 6 --out results/bench/optimizer_cpu.json
"""

import argparse
import statistics
import time

import torch
from common import add_common_args, environment, write

from rlhf.models import load_causal_lm

VARIANTS = {"default (for-loop)": {"foreach": False}, "foreach": {"foreach": True}, "fused": {"fused": True}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(parser)
    parser.add_argument("--steps", type=int, default=6, help="optimizer steps per variant; the first is not timed")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    model = load_causal_lm(args.model)
    start = [p.detach().clone() for p in model.parameters()]
    generator = torch.Generator().manual_seed(0)
    grads = [[torch.randn(p.shape, generator=generator) * 1e-3 for p in start] for _ in range(2)]
    results, reference = {}, None
    for name, kwargs in VARIANTS.items():
        with torch.no_grad():
            for p, s in zip(model.parameters(), start):
                p.copy_(s)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01, **kwargs)
        times = []
        for step in range(args.steps):
            for p, g in zip(model.parameters(), grads[step % 2]):
                p.grad = g
            began = time.perf_counter()
            optimizer.step()
            times.append(time.perf_counter() - began)
        final = [p.detach().clone() for p in model.parameters()]
        reference = reference or final
        results[name] = {
            "median_seconds_per_step": statistics.median(times[1:]),  # the first step allocates the state
            "first_step_seconds": times[0],
            "max_abs_difference_from_default": max((a - b).abs().max().item() for a, b in zip(final, reference)),
        }
        del optimizer
    default = results["default (for-loop)"]["median_seconds_per_step"]
    for r in results.values():
        r["speedup_over_default"] = default / r["median_seconds_per_step"]
    write(
        args.out,
        {
            "benchmark": "AdamW step",
            "settings": {k: v for k, v in vars(args).items() if k != "out"},
            "environment": environment(),
            "parameters": sum(p.numel() for p in model.parameters()),
            "results": results,
        },
    )


if __name__ == "__main__":
    main()
