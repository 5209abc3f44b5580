"""Statistics for the report: intervals that respect how the data cluster, paired tests, length control.

The units of replication here are seeds (independent training runs) and prompts (responses to one prompt are
correlated; so are pairs that share a prompt). Every interval resamples the unit that is independent: prompts
for one run, seeds then prompts within them for several. Tested for coverage on simulated data with a known
answer (tests/test_stats.py).
"""

from __future__ import annotations

import math
from typing import Optional, Sequence

import torch
from torch import Tensor

LEVEL = 0.95
RESAMPLES = 4000

# Two-sided 95% Student-t quantiles t_{0.975, df}, df = 1..30 (beyond: the normal's 1.96 within 2%).
_T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
         2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045,
         2.042]  # fmt: skip


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _percentiles(means: Tensor, level: float) -> list[float]:
    alpha = (1 - level) / 2
    return [means.quantile(alpha).item(), means.quantile(1 - alpha).item()]


def bootstrap_ci(values: Tensor, resamples: int = RESAMPLES, level: float = LEVEL, seed: int = 0) -> list[float]:
    """Percentile bootstrap interval of the mean of independent values."""
    values = values.double().flatten()
    if values.numel() < 2:
        return [math.nan, math.nan]
    idx = torch.randint(0, values.numel(), (resamples, values.numel()), generator=_generator(seed))
    return _percentiles(values[idx].mean(-1), level)


def mean_with_ci(values: Tensor) -> dict:
    return {"mean": values.double().mean().item(), "ci95": bootstrap_ci(values), "n": values.numel()}


def cluster_bootstrap_ci(
    values: Tensor, clusters: Sequence, resamples: int = RESAMPLES, level: float = LEVEL, seed: int = 0
) -> list[float]:
    """Interval of the mean of values that cluster (e.g. pairs by prompt): whole clusters are resampled, so
    correlated values within one are not counted as independent evidence."""
    values = values.double().flatten()
    ids = {c: i for i, c in enumerate(dict.fromkeys(clusters))}
    index = torch.tensor([ids[c] for c in clusters])
    k = len(ids)
    if k < 2:
        return [math.nan, math.nan]
    sums = torch.zeros(k, dtype=torch.float64).index_add_(0, index, values)
    counts = torch.zeros(k, dtype=torch.float64).index_add_(0, index, torch.ones_like(values))
    pick = torch.randint(0, k, (resamples, k), generator=_generator(seed))
    return _percentiles(sums[pick].sum(-1) / counts[pick].sum(-1), level)


def hierarchical_bootstrap_ci(
    values: Tensor, resamples: int = RESAMPLES, level: float = LEVEL, seed: int = 0
) -> list[float]:
    """Interval of the grand mean of ``values[seed, prompt]``: resample seeds, then prompts within each drawn seed.

    Both sources of variance enter: which runs we happened to train, and which prompts we happened to test on.
    """
    values = values.double()
    seeds, prompts = values.shape
    if seeds * prompts < 2:
        return [math.nan, math.nan]
    g = _generator(seed)
    seed_pick = torch.randint(0, seeds, (resamples, seeds, 1), generator=g)
    prompt_pick = torch.randint(0, prompts, (resamples, seeds, prompts), generator=g)
    return _percentiles(values[seed_pick, prompt_pick].mean(dim=(1, 2)), level)


def t_interval(means: Tensor) -> list[float]:
    """Student-t 95% interval of the mean of a few independent estimates (e.g. one per seed)."""
    means = means.double().flatten()
    n = means.numel()
    if n < 2:
        return [math.nan, math.nan]
    t = _T975[n - 2] if n - 1 <= len(_T975) else 1.96
    half = t * means.std().item() / math.sqrt(n)
    return [means.mean().item() - half, means.mean().item() + half]


def sign_flip_pvalue(differences: Tensor, resamples: int = RESAMPLES, seed: int = 0) -> float:
    """Two-sided randomisation test of "mean difference = 0" for paired differences (one per prompt): under the
    null each difference is as likely positive as negative."""
    d = differences.double().flatten()
    observed = d.mean().abs()
    signs = torch.randint(0, 2, (resamples, d.numel()), generator=_generator(seed)).double() * 2 - 1
    null = (signs * d).mean(-1).abs()
    return ((null >= observed - 1e-12).sum().item() + 1) / (resamples + 1)


def holm(pvalues: dict[str, float]) -> dict[str, float]:
    """Holm-Bonferroni adjusted p-values (family-wise error control for the secondary endpoints)."""
    order = sorted(pvalues, key=pvalues.get)
    adjusted, running = {}, 0.0
    for rank, name in enumerate(order):
        running = max(running, min(1.0, (len(order) - rank) * pvalues[name]))
        adjusted[name] = running
    return adjusted


def wilson_ci(successes: int, n: int, z: float = 1.959964) -> list[float]:
    """Wilson score interval of a share of independent trials: unlike the bootstrap it does not shrink to a point
    when every trial has the same outcome (22 of 22 is not certainty)."""
    if n < 1:
        return [math.nan, math.nan]
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [max(0.0, centre - half), min(1.0, centre + half)]


def win_rate(policy: Tensor, reference: Tensor, identical: Optional[Tensor] = None) -> Tensor:
    """Per-prompt outcome: 1 win, 0 loss, 1/2 tie; identical token ids are a tie whatever the scores say."""
    diff = policy.double() - reference.double()
    if identical is not None:
        diff = diff.masked_fill(identical, 0.0)
    return (diff > 0).double() + 0.5 * (diff == 0).double()


def expected_calibration_error(p_first: Tensor, first_wins: Tensor, bins: int = 10) -> float:
    """ECE of pairwise win probabilities: each pair's confidence max(p, 1 - p) against whether the side it favours
    won (half credit when p = 1/2), in equal-width confidence bins on [1/2, 1] weighted by their share of pairs."""
    p, outcome = p_first.double().flatten(), first_wins.double().flatten()
    confidence = torch.maximum(p, 1 - p)
    correct = torch.where(p > 0.5, outcome, torch.where(p < 0.5, 1 - outcome, torch.full_like(p, 0.5)))
    index = ((confidence - 0.5) * 2 * bins).long().clamp(max=bins - 1)
    ece = 0.0
    for b in index.unique():
        members = index == b
        ece += members.double().mean().item() * abs(confidence[members].mean().item() - correct[members].mean().item())
    return ece


def average_ranks(values: Tensor) -> Tensor:
    """Ranks 0..n-1, ties sharing their average rank (what Spearman's correlation needs with integer lengths)."""
    values = values.double().flatten()
    unique, inverse = torch.unique(values, return_inverse=True)
    ordinal = torch.empty_like(values)
    ordinal[values.argsort(stable=True)] = torch.arange(values.numel(), dtype=torch.float64)
    sums = torch.zeros(unique.numel(), dtype=torch.float64).index_add_(0, inverse, ordinal)
    counts = torch.zeros(unique.numel(), dtype=torch.float64).index_add_(0, inverse, torch.ones_like(ordinal))
    return (sums / counts)[inverse]


def spearman(x: Tensor, y: Tensor) -> float:
    """Spearman's rank correlation (Pearson's on average ranks)."""
    return torch.corrcoef(torch.stack([average_ranks(x), average_ranks(y)]))[0, 1].item()


def cluster_bootstrap_statistic_ci(
    statistic, columns: Sequence[Tensor], clusters: Sequence, resamples: int = 1000, level: float = LEVEL,
    seed: int = 0,
) -> list[float]:  # fmt: skip
    """Interval of any statistic of rows that cluster (e.g. a correlation over responses grouped by prompt): whole
    clusters are resampled and their rows pooled, and ``statistic(*columns)`` is recomputed on each resample.

    A resample on which the statistic is undefined (NaN: e.g. a difference of group means whose rare group was not
    drawn) is left out; the interval is NaN only when most resamples are."""
    groups: dict = {}
    for row, cluster in enumerate(clusters):
        groups.setdefault(cluster, []).append(row)
    rows = [torch.tensor(r) for r in groups.values()]
    if len(rows) < 2:
        return [math.nan, math.nan]
    pick = torch.randint(0, len(rows), (resamples, len(rows)), generator=_generator(seed))
    values = []
    for draw in pick:
        index = torch.cat([rows[i] for i in draw.tolist()])
        values.append(statistic(*[c[index] for c in columns]))
    values = torch.tensor(values, dtype=torch.float64)
    defined = values[~values.isnan()]
    if defined.numel() < resamples / 2:
        return [math.nan, math.nan]
    return _percentiles(defined, level)


def length_slope(scores: Tensor, lengths: Tensor) -> float:
    """OLS slope of a judge's score on response length (score units per token)."""
    x, y = lengths.double().flatten(), scores.double().flatten()
    x = x - x.mean()
    return ((x * (y - y.mean())).sum() / (x * x).sum().clamp_min(1e-12)).item()


def length_controlled_differences(
    policy_scores: Tensor, sft_scores: Tensor, policy_lengths: Tensor, sft_lengths: Tensor
) -> tuple[Tensor, float]:
    """Per-prompt gains with the part that length explains removed: the judge's score is regressed on length over
    the SFT responses (the reference distribution), and each gain loses slope * (length difference)."""
    slope = length_slope(sft_scores, sft_lengths)
    gains = policy_scores.double() - sft_scores.double()
    return gains - slope * (policy_lengths.double() - sft_lengths.double()), slope
