"""Which precision is fastest on this CPU: the scalar RM's forward + backward and forward alone, float32 against
bf16 autocast, timed in turns (fp32, bf16, fp32, ...) in one process so that both sides see the same machine.
A CPU without bf16 instructions (AMD Zen 3: AVX2 only) converts bf16 in software; one with AVX-512 bf16 or AMX
runs it natively. The study's configs ask for bf16-mixed; this says what that costs where they run.

python bench/bench_precision.py --sequences 2 --length 256 --out results/bench/precision_<cpu>.json
"""

import argparse
import contextlib
import statistics
import time
from pathlib import Path

import torch
from common import DEFAULTS, cpu_model, environment, scalar_rm_and_tokens, write

from rlhf.models import reward_logits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=DEFAULTS["model"])
    parser.add_argument("--sequences", type=int, default=2)
    parser.add_argument("--length", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    model, ids, mask = scalar_rm_and_tokens(args.model, args.sequences, args.length)
    tokens = ids.numel()

    def timed(precision: str, backward: bool) -> float:
        autocast = (
            torch.autocast("cpu", dtype=torch.bfloat16) if precision == "bf16-mixed" else contextlib.nullcontext()
        )
        start = time.perf_counter()
        with torch.set_grad_enabled(backward), autocast:
            scores = reward_logits(model, ids, mask)
        if backward:
            scores.sum().backward()
            model.zero_grad(set_to_none=True)
        return tokens / (time.perf_counter() - start)

    rates: dict[str, list[float]] = {}
    for backward in (True, False):
        for precision in ("32-true", "bf16-mixed"):
            timed(precision, backward)  # warm-up: kernel selection per precision
        for _ in range(args.repeats):
            for precision in ("32-true", "bf16-mixed"):
                key = f"{'forward_backward' if backward else 'forward'}.{precision}"
                rates.setdefault(key, []).append(timed(precision, backward))
    result = {
        "sequences": args.sequences,
        "length": args.length,
        "tokens_per_s": {key: statistics.median(values) for key, values in rates.items()},
        "runs": rates,
        "bf16_over_fp32": {
            part: statistics.median(rates[f"{part}.bf16-mixed"]) / statistics.median(rates[f"{part}.32-true"])
            for part in ("forward_backward", "forward")
        },
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "cpu_model": cpu_model(),
        "environment": environment(),
    }
    write(args.out, result)
    Path(args.out).with_suffix(".md").write_text(table(result, args.out) + "\n")


def table(result: dict, out: str) -> str:
    """The JSON's medians as the markdown table REPORT.md shows (scripts/report/fill_tables.py)."""
    rates, ratio = result["tokens_per_s"], result["bf16_over_fp32"]
    lines = [
        "| scalar RM, tokens/s | float32 | bf16 autocast | bf16 / float32 |",
        "|---|---|---|---|",
        *(
            f"| {part.replace('_', ' + ')} | {rates[f'{part}.32-true']:.1f} | {rates[f'{part}.bf16-mixed']:.1f} "
            f"| {ratio[part]:.2f} |"
            for part in ("forward_backward", "forward")
        ),
    ]
    return "\n".join(lines) + (
        f"\n\n{result['cpu_model']} ({result['cpu_capability']}), {result['environment']['threads']} threads, "
        f"torch {result['environment']['torch']}; {result['sequences']} x {result['length']} tokens, medians of "
        f"{len(result['runs']['forward.32-true'])} runs per side in turns; "
        f"`python bench/bench_precision.py --out {out}`"
    )


if __name__ == "__main__":
    main()
