"""The machine's matmul rate, the ceiling the other benchmarks are read against: square matmuls in float32 and
bfloat16, the median of ``--repeats`` timed runs of ``--iterations`` products each.

python bench/bench_matmul.py --size 2048 --out results/bench/matmul_cpu.json
# a CPU without bf16 instructions (bf16 emulated: hours), beside an earlier machine's file (a table in .md)
python bench/bench_matmul.py --dtypes float32 --against results/bench/matmul_cpu.json \
    --out results/bench/matmul_amd_epyc_avx2.json
"""

import argparse
import json
import statistics
import time
from pathlib import Path

import torch
from common import cpu_model, environment, write


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
    parser.add_argument("--dtypes", nargs="+", choices=["float32", "bfloat16"], default=["float32", "bfloat16"])
    parser.add_argument("--against", help="an earlier run's JSON (another machine): both in a markdown table")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    runs = {
        str(d).removeprefix("torch."): gflops(args.size, d, args.iterations, args.repeats)
        for d in (getattr(torch, name) for name in args.dtypes)
    }
    result = {
        "benchmark": f"{args.size}x{args.size} matmul, GFLOP/s",
        "settings": vars(args),
        "cpu_model": cpu_model(),
        "environment": environment(),
        "median_gflops": {dtype: statistics.median(r) for dtype, r in runs.items()},
        "runs": runs,
    }
    write(args.out, result)
    if args.against:
        Path(args.out).with_suffix(".md").write_text(table(result, json.loads(Path(args.against).read_text())))


def table(here: dict, earlier: dict) -> str:
    """This machine's medians beside an earlier run's, and float32 as a share of the earlier run's bf16 rate."""
    dtypes = ("float32", "bfloat16")
    top = earlier["median_gflops"]["bfloat16"]
    rows = [
        "| matmul, GFLOP/s | float32 | bfloat16 | float32 / the earlier run's bfloat16 |",
        "|---|---|---|---|",
    ]
    for name, run in (("this machine", here), (here["settings"]["against"], earlier)):
        rates = run["median_gflops"]
        cells = [f"{rates[d]:.0f}" if d in rates else "not run" for d in dtypes]
        cpu = f" ({run['cpu_model']})" if "cpu_model" in run else ""
        rows.append(f"| {name}{cpu} | {' | '.join(cells)} | {rates['float32'] / top:.2f} |")
    s, env = here["settings"], here["environment"]
    return "\n".join(rows) + (
        f"\n\n{s['size']}x{s['size']}, medians of {s['repeats']} runs of {s['iterations']}; {env['threads']} threads, "
        f"torch {env['torch']}; `python bench/bench_matmul.py --dtypes {' '.join(s['dtypes'])} "
        f"--against {s['against']} --out {s['out']}`\n"
    )


if __name__ == "__main__":
    main()
