"""What a reward model says about a response, as a number, and the reward REINFORCE optimises.

Reading an RM: a scalar head's output is the score; a distributional head's logits give p(s) over s = 1..10,
read through a functional (expected score, mean - lambda * std, a lower quantile, or the lower-tail CVaR).

Shaping: R = (score - mu) / sigma - penalty * [unfinished] - beta * KL, then the advantage R - b with b a moving
average. All pure functions, tested by hand computation (tests/test_rewards.py).
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor

from rlhf.paths import InputError

Functional = Literal["mean", "mean_minus_std", "quantile", "cvar"]

# ------------------------------------------------------------------------ reading a score distribution


def score_values(num_scores: int, device=None) -> Tensor:
    return torch.arange(1, num_scores + 1, device=device, dtype=torch.float32)


def expected_score(probs: Tensor) -> Tensor:
    return (probs * score_values(probs.shape[-1], probs.device)).sum(-1)


def score_std(probs: Tensor) -> Tensor:
    values = score_values(probs.shape[-1], probs.device)
    mean = expected_score(probs)
    return ((probs * (values - mean[..., None]) ** 2).sum(-1)).clamp_min(0).sqrt()


def entropy(probs: Tensor) -> Tensor:
    """Shannon entropy (nats) along the last dimension."""
    return -(probs * probs.clamp_min(1e-12).log()).sum(-1)


def score_quantile(probs: Tensor, q: float) -> Tensor:
    """The lower q-quantile: the smallest score s with CDF(s) >= q (an integer: a coarse reward)."""
    _check_level(q)
    cdf = probs.cumsum(-1)
    index = (cdf < q - 1e-6).sum(-1)  # number of scores whose CDF is still below q
    return (index + 1).clamp(max=probs.shape[-1]).float()


def score_cvar(probs: Tensor, q: float) -> Tensor:
    """Lower-tail CVaR: the mean score of the worst q of the probability mass (smooth in p, unlike the quantile)."""
    _check_level(q)
    below = probs.cumsum(-1) - probs  # mass of the scores under each s
    tail_mass = torch.minimum(probs, (q - below).clamp_min(0))
    return (tail_mass * score_values(probs.shape[-1], probs.device)).sum(-1) / q


def _check_level(q: float) -> None:
    if not 0.0 < q <= 1.0:
        raise InputError(f"quantile level must be in (0, 1], got {q}")


def distribution_reward(
    probs: Tensor, functional: Functional, risk_lambda: float = 1.0, quantile: float = 0.25
) -> Tensor:
    """Turn p(s) into one reward: risk-neutral ``mean``, or risk-averse ``mean_minus_std``, ``quantile``, ``cvar``."""
    if functional == "mean":
        return expected_score(probs)
    if functional == "mean_minus_std":
        return expected_score(probs) - risk_lambda * score_std(probs)
    if functional == "quantile":
        return score_quantile(probs, quantile)
    if functional == "cvar":
        return score_cvar(probs, quantile)
    raise InputError(f"unknown reward functional {functional!r}: use mean, mean_minus_std, quantile or cvar")


def read_rewards(
    output: Tensor, functional: Functional = "mean", risk_lambda: float = 1.0, quantile: float = 0.25
) -> dict[str, Tensor]:
    """An RM's head output for a batch of responses as numbers: ``score`` (what REINFORCE optimises) and, for a
    distributional RM (``[batch, 10]`` logits), the mean, std and entropy of p(s) beside it."""
    output = output.float()
    if output.dim() == 1:
        return {"score": output}
    probs = output.softmax(-1)
    return {
        "score": distribution_reward(probs, functional, risk_lambda, quantile),
        "score_mean": expected_score(probs),
        "score_std": score_std(probs),
        "score_entropy": entropy(probs),
    }


# ------------------------------------------------------------------------------------ reward shaping


def sequence_kl(policy_logprobs: Tensor, reference_logprobs: Tensor, response_mask: Tensor) -> Tensor:
    """Sum over response tokens of log pi(y_t) - log pi_ref(y_t): a single-sample estimate of KL(pi || pi_ref)."""
    return ((policy_logprobs - reference_logprobs) * response_mask).sum(-1)


def shaped_reward(
    score: Tensor,
    finished: Tensor,
    kl: Tensor,
    shift: float | Tensor = 0.0,
    scale: float | Tensor = 1.0,
    unfinished_penalty: float = 0.0,
    beta: float = 0.0,
) -> Tensor:
    """R = (score - shift) / scale - unfinished_penalty * [no eos] - beta * KL: the reward REINFORCE maximises.

    Standardising by the SFT policy's score statistics makes beta and the penalty mean "per SFT reward standard
    deviation" for any RM; an unfinished response's score is read mid-sentence, so it pays the penalty.
    """
    return (score - shift) / scale - unfinished_penalty * (~finished).float() - beta * kl


def update_baseline(
    baseline: Tensor, count: Tensor, batch_sum: Tensor, batch_count: Tensor, kind: str, momentum: float
) -> tuple[Tensor, Tensor]:
    """New (baseline, count) after a batch of rewards with the given sum and size.

    ``ema``: b <- m b + (1 - m) mean(batch), started at the first batch's mean if nothing was seen before.
    ``mean``: the running mean of every reward seen so far (the paper's moving average).
    ``none``: b stays 0 (plain REINFORCE, for the ablation).
    """
    batch_mean = batch_sum / batch_count
    if kind == "ema":
        new = batch_mean if count == 0 else momentum * baseline + (1 - momentum) * batch_mean
    elif kind == "mean":
        new = (baseline * count + batch_sum) / (count + batch_count)
    elif kind == "none":
        new = torch.zeros_like(baseline)
    else:
        raise InputError(f"baseline must be 'ema', 'mean' or 'none', got {kind!r}")
    return new, count + batch_count
