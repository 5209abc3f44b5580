"""Statistics for reports: bootstrap confidence intervals and the policy-vs-SFT summary."""

from __future__ import annotations

import math

import torch
from torch import Tensor


def bootstrap_ci(values: Tensor, num_resamples: int = 2000, level: float = 0.95, seed: int = 0) -> list[float]:
    """Percentile bootstrap confidence interval of the mean, ``[low, high]``."""
    values = values.double().flatten().cpu()
    if values.numel() < 2:
        return [math.nan, math.nan]
    generator = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, values.numel(), (num_resamples, values.numel()), generator=generator)
    means = values[idx].mean(-1)
    alpha = (1 - level) / 2
    return [means.quantile(alpha).item(), means.quantile(1 - alpha).item()]


def mean_with_ci(values: Tensor) -> dict:
    return {"mean": values.double().mean().item(), "ci95": bootstrap_ci(values), "n": values.numel()}


def compare_to_sft(policy: dict[str, Tensor], sft: dict[str, Tensor], identical: Tensor | None = None) -> dict:
    """Paired comparison over the same prompts: every key of ``policy``/``sft`` is a per-prompt tensor.

    ``reward`` is the RM score of the greedy response. Where both responses are the same token ids (``identical``)
    the gain is exactly 0 and the comparison a tie, whatever padding did to the scores; ties count half.
    """
    gain = policy["reward"] - sft["reward"]
    if identical is not None:
        gain = gain.masked_fill(identical, 0.0)
    wins = (gain > 0).double() + 0.5 * (gain == 0).double()
    summary = {
        "policy": {k: mean_with_ci(v) for k, v in policy.items()},
        "sft": {k: mean_with_ci(v) for k, v in sft.items()},
        "reward_gain": mean_with_ci(gain),
        "win_rate_vs_sft": mean_with_ci(wins),
    }
    return summary
