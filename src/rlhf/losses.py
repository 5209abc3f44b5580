"""Losses and reward functionals as small pure functions (tested against hand and brute-force computation)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from rlhf.paths import InputError

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


def rating_to_score(ratings: Tensor, low: float, high: float, num_scores: int = 10) -> Tensor:
    """Map ratings on [low, high] linearly onto integer scores 1..num_scores, rounding halves up (NaN stays NaN).

    HelpSteer2's averages on [0, 4] become floor(1 + 9 r / 4 + 1/2); integer grades on [1, 10] stay as they are.
    A rating outside [low, high] means ``rating_range`` does not describe the data: an error, not a clamp.
    """
    ratings = ratings.float()
    outside = ~torch.isnan(ratings) & ((ratings < low) | (ratings > high))
    if outside.any():
        raise InputError(
            f"rating {ratings[outside][0].item():g} is outside rating_range [{low:g}, {high:g}]; set rating_range "
            "to the data's scale (HelpSteer2 averages: [0, 4]; integer grades: [1, 10])"
        )
    return torch.floor(1 + (num_scores - 1) * (ratings - low) / (high - low) + 0.5)


def rating_nll(logits: Tensor, scores: Tensor) -> Tensor:
    """Mean negative log-likelihood of the observed integer scores (1-based); NaN scores are skipped."""
    known = ~torch.isnan(scores)
    if not known.any():
        return logits.sum() * 0.0  # keeps the graph (and DDP's gradient sync) intact
    targets = scores[known].long() - 1
    return F.cross_entropy(logits[known].float(), targets)


# ------------------------------------------------------------------------------------------ REINFORCE


def reinforce_loss(sequence_logprobs: Tensor, advantages: Tensor) -> Tensor:
    """-mean (R - b) log pi(y | x), with the advantage a constant: its gradient is -(R - b) grad log pi(y | x)."""
    return -(advantages.detach() * sequence_logprobs).mean()
