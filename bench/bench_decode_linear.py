"""A decode step's float32 linears, two ways: ``F.linear(x, W)`` (x Wᵀ, what the model's layers and LM head compute)
against ``(W xᵀ)ᵀ`` (the same products with the weight as the tall operand), for each weight shape of SmolLM2-135M
and the few rows a decode step has (the rollout batch, smaller as rows finish). The question: is there a faster
decode path that stays bit for bit the model's, so that the samples stay the same?

python bench/bench_decode_linear.py --out results/bench/decode_linear_fp32.json   # cores free (pause_run.sh)
"""

import argparse
import statistics
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from common import cpu_model, environment, write

# SmolLM2-135M: hidden 576, 9 heads x 64 for q/o, 3 kv heads x 64 for k/v, MLP 1536, vocab 49152, 30 layers
SHAPES = {  # name: (out_features, in_features, per decode step)
    "q_proj / o_proj": (576, 576, 60),
    "k_proj / v_proj": (192, 576, 60),
    "gate_proj / up_proj": (1536, 576, 60),
    "down_proj": (576, 1536, 30),
    "lm_head": (49152, 576, 1),
}


def linear(x, w):
    return F.linear(x, w)


def tall_weight(x, w):
    return torch.mm(w, x.t()).t()


def seconds(fn, x, w, iterations: int) -> float:
    start = time.perf_counter()
    for _ in range(iterations):
        fn(x, w)
    return (time.perf_counter() - start) / iterations


def measure(out_features: int, in_features: int, rows: int, repeats: int, budget_s: float) -> dict:
    """Both sides in turns, ``repeats`` timed runs each, after one untimed warm-up run of each."""
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(rows, in_features, generator=generator)
    w = torch.randn(out_features, in_features, generator=generator) * 0.02
    iterations = max(3, int(budget_s / max(seconds(linear, x, w, 3), 1e-6)))
    seconds(tall_weight, x, w, 3)
    times = {"linear": [], "tall_weight": []}
    for _ in range(repeats):
        for name, fn in (("linear", linear), ("tall_weight", tall_weight)):
            times[name].append(seconds(fn, x, w, iterations))
    ms = {name: statistics.median(t) * 1e3 for name, t in times.items()}
    return {
        "ms": ms,
        "runs_ms": times,
        "iterations": iterations,
        "bit_equal": torch.equal(linear(x, w), tall_weight(x, w)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[1, 4, 8, 12, 16])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--budget-s", type=float, default=0.2, help="seconds of each timed run (sets iterations)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    results = {
        name: {str(rows): measure(n, k, rows, args.repeats, args.budget_s) for rows in args.rows}
        for name, (n, k, _) in SHAPES.items()
    }
    result = {
        "benchmark": "float32 linears of one decode step: x W^T against (W x^T)^T, ms per call (medians)",
        "settings": vars(args),
        "cpu_model": cpu_model(),
        "environment": environment(),
        "shapes": {
            name: {"out_features": n, "in_features": k, "calls_per_decode_step": c}
            for name, (n, k, c) in SHAPES.items()
        },
        "results": results,
    }
    write(args.out, result)
    Path(args.out).with_suffix(".md").write_text(table(result))


def table(result: dict) -> str:
    """Per shape and row count: both times, their ratio, bit equality; then one decode step's linears summed."""
    rows = ["| weight (out x in) | rows | x W^T, ms | (W x^T)^T, ms | ratio | bit-equal |", "|---|---|---|---|---|---|"]
    counts = list(next(iter(result["results"].values())))
    for name, by_rows in result["results"].items():
        shape = result["shapes"][name]
        for count, r in by_rows.items():
            ms = r["ms"]
            rows.append(
                f"| {name} ({shape['out_features']} x {shape['in_features']}) | {count} | {ms['linear']:.3f} | "
                f"{ms['tall_weight']:.3f} | {ms['linear'] / ms['tall_weight']:.2f}x | "
                f"{'yes' if r['bit_equal'] else 'no'} |"
            )
    for count in counts:
        step = {
            side: sum(
                result["results"][n][count]["ms"][side] * s["calls_per_decode_step"]
                for n, s in result["shapes"].items()
            )
            for side in ("linear", "tall_weight")
        }
        equal = all(result["results"][n][count]["bit_equal"] for n in result["shapes"])
        rows.append(
            f"| one decode step's linears | {count} | {step['linear']:.1f} | {step['tall_weight']:.1f} | "
            f"{step['linear'] / step['tall_weight']:.2f}x | {'yes' if equal else 'no'} |"
        )
    s, env = result["settings"], result["environment"]
    return "\n".join(rows) + (
        f"\n\n{result['cpu_model']}, {env['threads']} threads, torch {env['torch']}; medians of {s['repeats']} runs "
        f"per side in turns; `python bench/bench_decode_linear.py --out {s['out']}`\n"
    )


if __name__ == "__main__":
    main()
