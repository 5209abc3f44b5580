"""Whether this CPU computes in bf16 natively, and the warning when a run asks for bf16 where it does not.

The configs ask for bf16 mixed precision, the fast choice on the CPUs the study was planned on (AVX-512 bf16 or
AMX). A CPU without bf16 instructions (AMD Zen 3 and older, many laptops: AVX2 only) converts bf16 in software:
measured on such a machine, the 135M model's forward + backward ran many times slower than in float32
(bench/bench_precision.py -> results/bench/precision_*.json). The run still computes the same thing, so this is a
warning that names the override, not an error: a user decides whether the configs' precision or the time matters.
"""

from __future__ import annotations

import torch

BF16_PRECISIONS = ("bf16-mixed", "bf16-true", "bf16")


def cpu_has_native_bf16() -> bool:
    """True where PyTorch's CPU kernels can use bf16 instructions (AVX-512 bf16 or AMX tiles)."""
    return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())


def emulated_bf16_warning(
    precision: str | int | None, on_cpu: bool, override: str = "--trainer.precision=32-true"
) -> str | None:
    """The warning to show for a run at ``precision`` (on the CPU when ``on_cpu``), naming the command's
    ``override``, or None where bf16 is native, not asked for, or the run is on a GPU."""
    if not on_cpu or str(precision) not in BF16_PRECISIONS or cpu_has_native_bf16():
        return None
    return (
        f"precision {precision} on a CPU without bf16 instructions ({torch.backends.cpu.get_cpu_capability()}): "
        "bf16 is converted in software here and runs many times slower than float32 "
        f"(bench/bench_precision.py measures it); pass {override} to trade the configs' precision for speed"
    )
