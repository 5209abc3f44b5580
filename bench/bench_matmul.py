"""The machine's matmul rate, the ceiling the other benchmarks are read against: square matmuls in float32 and
bfloat16, the median of ``--repeats`` timed runs of ``--iterations`` products each.

python bench/bench_matmul.py --size 2048 --out results/bench/matmul_cpu.json
"""

import argparse
import statistics
import time

import torch
from common import environment, write


def gflops(size: int, dtype: torch.dtype, iterations: int, repeats: int) -> list[float]:
    a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)
    torch.mm(a, b)  # warm-up: thread pool, kernel selection
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(iterations):
            torch.mm(a, b)
        rates.append(2 * size**3 * iterations / (time.perf_counter() - start) / 1e9)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    runs = {
        str(d).removeprefix("torch."): gflops(args.size, d, args.iterations, args.repeats)
        for d in (torch.float32, torch.bfloat16)
    }
    write(
        args.out,
        {
            "benchmark": f"{args.size}x{args.size} matmul, GFLOP/s",
            "settings": vars(args),
            "environment": environment(),
            "median_gflops": {dtype: statistics.median(r) for dtype, r in runs.items()},
            "runs": runs,
        },
    )


if __name__ == "__main__":
    main()
