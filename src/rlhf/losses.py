"""Losses and reward functionals as small pure functions (tested against hand and brute-force computation)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

# ------------------------------------------------------------------------------------ scalar reward model


def bradley_terry_loss(chosen_rewards: Tensor, rejected_rewards: Tensor) -> Tensor:
    """-log sigma(r_w - r_l), averaged: the negative log-likelihood of the human preference under Bradley-Terry."""
    return -F.logsigmoid(chosen_rewards.float() - rejected_rewards.float()).mean()


# ----------------------------------------------------------------------------- distributional reward model


def _log_comparison_matrix(num_scores: int, device, comparison: str, tau: float) -> Tensor:
    """log C[i, j], with C the probability that a score i beats a score j."""
    i = torch.arange(num_scores, device=device, dtype=torch.float32)
    diff = i[:, None] - i[None, :]
    if comparison == "exact":  # i > j wins, ties count half
        c = (diff > 0).float() + 0.5 * (diff == 0).float()
        return torch.log(c)  # log 0 = -inf drops those cells from the logsumexp
    if comparison == "smooth":
        return F.logsigmoid(diff / tau)
    raise ValueError(f"comparison must be 'exact' or 'smooth', got {comparison!r}")


def log_preference_probability(
    chosen_logits: Tensor, rejected_logits: Tensor, comparison: str = "exact", tau: float = 1.0
) -> Tensor:
    """log P(y_w > y_l) for independent score distributions p_w = softmax(chosen_logits), p_l likewise.

    exact:  P = sum_{i>j} p_w(i) p_l(j) + 1/2 sum_i p_w(i) p_l(i)
    smooth: P = sum_{i,j} p_w(i) p_l(j) sigmoid((i - j) / tau)
    Computed as one logsumexp over the 10 x 10 grid, which stays finite when the mass is extreme.
    """
    log_pw = chosen_logits.float().log_softmax(-1)
    log_pl = rejected_logits.float().log_softmax(-1)
    log_c = _log_comparison_matrix(log_pw.shape[-1], log_pw.device, comparison, tau)
    grid = log_pw[:, :, None] + log_pl[:, None, :] + log_c
    return grid.flatten(1).logsumexp(-1)


def entropy(probs: Tensor) -> Tensor:
    """Shannon entropy (nats) along the last dimension."""
    return -(probs * probs.clamp_min(1e-12).log()).sum(-1)


def rating_to_score(ratings: Tensor, low: float, high: float, num_scores: int = 10) -> Tensor:
    """Map ratings on [low, high] linearly onto integer scores 1..num_scores (NaN stays NaN).

    HelpSteer2's averages on [0, 4] become 1 + round(9 r / 4); integer grades on [1, 10] are left as they are.
    """
    scaled = 1 + torch.round((num_scores - 1) * (ratings.float() - low) / (high - low))
    return scaled.clamp(1, num_scores)


def rating_nll(logits: Tensor, scores: Tensor) -> Tensor:
    """Mean negative log-likelihood of the observed integer scores (1-based); NaN scores are skipped."""
    known = ~torch.isnan(scores)
    if not known.any():
        return logits.sum() * 0.0  # keeps the graph (and DDP's gradient sync) intact
    targets = scores[known].long() - 1
    return F.cross_entropy(logits[known].float(), targets)


# ------------------------------------------------------------------------ reading a score distribution


def score_values(num_scores: int, device=None) -> Tensor:
    return torch.arange(1, num_scores + 1, device=device, dtype=torch.float32)


def expected_score(probs: Tensor) -> Tensor:
    return (probs * score_values(probs.shape[-1], probs.device)).sum(-1)


def score_std(probs: Tensor) -> Tensor:
    values = score_values(probs.shape[-1], probs.device)
    mean = expected_score(probs)
    return ((probs * (values - mean[..., None]) ** 2).sum(-1)).clamp_min(0).sqrt()


def score_quantile(probs: Tensor, q: float) -> Tensor:
    """The lower q-quantile: the smallest score s with CDF(s) >= q."""
    if not 0.0 < q <= 1.0:
        raise ValueError(f"quantile must be in (0, 1], got {q}")
    cdf = probs.cumsum(-1)
    index = (cdf < q - 1e-6).sum(-1)  # number of scores whose CDF is still below q
    return (index + 1).clamp(max=probs.shape[-1]).float()


def distribution_reward(probs: Tensor, functional: str, risk_lambda: float = 1.0, quantile: float = 0.25) -> Tensor:
    """Turn p(s) into one reward: ``mean`` (risk-neutral), ``mean_minus_std`` (risk-averse) or ``quantile``."""
    if functional == "mean":
        return expected_score(probs)
    if functional == "mean_minus_std":
        return expected_score(probs) - risk_lambda * score_std(probs)
    if functional == "quantile":
        return score_quantile(probs, quantile)
    raise ValueError(f"unknown reward functional {functional!r}: use mean, mean_minus_std or quantile")


# ------------------------------------------------------------------------------------------ REINFORCE


def sequence_kl(policy_logprobs: Tensor, reference_logprobs: Tensor, response_mask: Tensor) -> Tensor:
    """Sum over response tokens of log pi(y_t) - log pi_ref(y_t): a single-sample estimate of KL(pi || pi_ref)."""
    return ((policy_logprobs - reference_logprobs) * response_mask).sum(-1)


def reinforce_loss(sequence_logprobs: Tensor, advantages: Tensor) -> Tensor:
    """-mean (R - b) log pi(y | x), with the advantage a constant: its gradient is -(R - b) grad log pi(y | x)."""
    return -(advantages.detach() * sequence_logprobs).mean()


def update_baseline(
    baseline: Tensor, count: Tensor, batch_sum: Tensor, batch_count: Tensor, kind: str, momentum: float
) -> tuple[Tensor, Tensor]:
    """New (baseline, count) after a batch of rewards with the given sum and size.

    ``ema``: b <- m b + (1 - m) mean(batch), started at the first batch's mean.
    ``mean``: the running mean of every reward seen so far (the paper's moving average).
    """
    batch_mean = batch_sum / batch_count
    if kind == "ema":
        new = batch_mean if count == 0 else momentum * baseline + (1 - momentum) * batch_mean
    elif kind == "mean":
        new = (baseline * count + batch_sum) / (count + batch_count)
    else:
        raise ValueError(f"baseline must be 'ema' or 'mean', got {kind!r}")
    return new, count + batch_count
