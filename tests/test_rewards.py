import math

import pytest
import torch

from rlhf.paths import InputError
from rlhf.rewards import (
    distribution_reward,
    entropy,
    expected_score,
    read_rewards,
    score_cvar,
    score_quantile,
    score_std,
    sequence_kl,
    shaped_reward,
    update_baseline,
)


def point_mass(score, sharpness=50.0):
    logits = torch.full((1, 10), -sharpness)
    logits[0, score - 1] = sharpness
    return logits


def test_entropy_and_spread_of_known_distributions():
    uniform = torch.full((10,), 0.1)
    assert entropy(uniform).item() == pytest.approx(math.log(10))
    mass = point_mass(4).softmax(-1)[0]
    assert entropy(mass).item() == pytest.approx(0.0, abs=1e-6)
    assert score_std(mass).item() == pytest.approx(0.0, abs=1e-4)
    assert expected_score(uniform).item() == pytest.approx(5.5)
    assert score_std(uniform).item() == pytest.approx(math.sqrt(99 / 12), rel=1e-5)


def test_reward_functionals_against_hand_computation():
    p = torch.tensor([[0.1, 0.2, 0.3, 0.4, 0, 0, 0, 0, 0, 0]])
    mean = 0.1 * 1 + 0.2 * 2 + 0.3 * 3 + 0.4 * 4
    std = math.sqrt(sum(w * (s - mean) ** 2 for s, w in zip(range(1, 5), [0.1, 0.2, 0.3, 0.4])))
    assert distribution_reward(p, "mean").item() == pytest.approx(mean)
    assert distribution_reward(p, "mean_minus_std", risk_lambda=2.0).item() == pytest.approx(mean - 2 * std, rel=1e-5)
    assert score_quantile(p, 0.1).item() == 1  # CDF(1) = 0.1 reaches q
    assert score_quantile(p, 0.25).item() == 2  # CDF: 0.1, 0.3, ...
    assert score_quantile(p, 0.5).item() == 3
    assert distribution_reward(p, "quantile", quantile=0.95).item() == 4
    with pytest.raises(InputError, match="unknown reward functional"):
        distribution_reward(p, "median")


def test_sequence_kl_is_zero_for_identical_models_and_respects_mask():
    logp = torch.randn(2, 5)
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]).float()
    assert torch.equal(sequence_kl(logp, logp, mask), torch.zeros(2))
    other = logp.clone()
    other[0, 4] += 10  # a padding position: must not count
    other[1, 0] -= 1
    assert sequence_kl(logp, other, mask).tolist() == pytest.approx([0.0, 1.0])


def test_ema_baseline_updates():
    b, n = torch.tensor(0.0), torch.tensor(0.0)
    b, n = update_baseline(b, n, torch.tensor(8.0), torch.tensor(4.0), "ema", 0.9)
    assert (b.item(), n.item()) == (2.0, 4.0)  # the first batch sets it
    b, n = update_baseline(b, n, torch.tensor(4.0), torch.tensor(4.0), "ema", 0.9)
    assert b.item() == pytest.approx(0.9 * 2.0 + 0.1 * 1.0)


def test_running_mean_baseline_is_mean_of_all_rewards():
    rewards = [torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0, 5.0]), torch.tensor([-6.0])]
    b, n = torch.tensor(0.0), torch.tensor(0.0)
    for r in rewards:
        b, n = update_baseline(b, n, r.sum(), torch.tensor(float(r.numel())), "mean", 0.9)
    assert b.item() == pytest.approx(torch.cat(rewards).mean().item())
    assert n.item() == 6
    with pytest.raises(InputError, match="baseline must be"):
        update_baseline(b, n, torch.tensor(1.0), torch.tensor(1.0), "median", 0.9)


def test_cvar_is_the_mean_of_the_worst_q_mass_by_hand():
    p = torch.tensor([[0.1, 0.2, 0.3, 0.4, 0, 0, 0, 0, 0, 0]])
    assert score_cvar(p, 0.1).item() == pytest.approx(1.0)
    assert score_cvar(p, 0.25).item() == pytest.approx((0.1 * 1 + 0.15 * 2) / 0.25)
    assert score_cvar(p, 1.0).item() == pytest.approx(expected_score(p).item())
    assert distribution_reward(p, "cvar", quantile=0.5).item() == pytest.approx((0.1 + 0.4 + 0.6) / 0.5)
    # Smooth in p where the quantile jumps: a little mass moved changes CVaR a little.
    q = torch.tensor([[0.1, 0.19, 0.31, 0.4, 0, 0, 0, 0, 0, 0]])
    assert abs(score_cvar(q, 0.3) - score_cvar(p, 0.3)).item() < 0.05
    assert score_quantile(q, 0.3).item() != score_quantile(p, 0.3).item()


def test_read_rewards_scalar_and_distribution():
    scalar = read_rewards(torch.tensor([0.5, -1.0]))
    assert list(scalar) == ["score"] and scalar["score"].tolist() == [0.5, -1.0]
    logits = torch.cat([point_mass(3), torch.zeros(1, 10)])
    read = read_rewards(logits, "mean_minus_std", risk_lambda=1.0)
    assert read["score_mean"].tolist() == pytest.approx([3.0, 5.5], rel=1e-4)
    assert read["score"].tolist() == pytest.approx([3.0, 5.5 - math.sqrt(99 / 12)], rel=1e-4)
    assert read["score_entropy"][1].item() == pytest.approx(math.log(10))


def test_shaped_reward_by_hand():
    score = torch.tensor([2.0, 0.0, -1.0])
    finished = torch.tensor([True, False, True])
    kl = torch.tensor([0.0, 4.0, 10.0])
    got = shaped_reward(score, finished, kl, shift=0.5, scale=2.0, unfinished_penalty=1.0, beta=0.1)
    expected = [(2 - 0.5) / 2, (0 - 0.5) / 2 - 1.0 - 0.4, (-1 - 0.5) / 2 - 1.0]
    assert got.tolist() == pytest.approx(expected)


def test_no_baseline_stays_zero():
    b, n = update_baseline(torch.tensor(0.0), torch.tensor(0.0), torch.tensor(8.0), torch.tensor(4.0), "none", 0.9)
    assert (b.item(), n.item()) == (0.0, 4.0)
