import itertools
import math

import pytest
import torch

from rlhf.losses import bradley_terry_loss, log_preference_probability, rating_nll, rating_to_score, reinforce_loss
from rlhf.paths import InputError


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


def test_bradley_terry_matches_hand_computation():
    chosen, rejected = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 2.0])
    expected = -(math.log(sigmoid(1.0)) + math.log(sigmoid(-2.0))) / 2
    assert bradley_terry_loss(chosen, rejected).item() == pytest.approx(expected, rel=1e-6)


def test_bradley_terry_gradient_raises_chosen_and_lowers_rejected():
    chosen, rejected = torch.zeros(3, requires_grad=True), torch.zeros(3, requires_grad=True)
    bradley_terry_loss(chosen, rejected).backward()
    assert (chosen.grad < 0).all() and (rejected.grad > 0).all()
    assert chosen.grad[0].item() == pytest.approx(-0.5 / 3)


def brute_force_p_win(pw, pl, compare):
    return sum(pw[i] * pl[j] * compare(i, j) for i, j in itertools.product(range(len(pw)), range(len(pl))))


def exact_compare(i, j):
    return 1.0 if i > j else 0.5 if i == j else 0.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pairwise_probability_matches_brute_force_enumeration(seed):
    g = torch.Generator().manual_seed(seed)
    lw, ll = torch.randn(4, 10, generator=g), torch.randn(4, 10, generator=g)
    got = log_preference_probability(lw, ll).exp()
    for b in range(4):
        pw, pl = lw[b].softmax(-1).tolist(), ll[b].softmax(-1).tolist()
        assert got[b].item() == pytest.approx(brute_force_p_win(pw, pl, exact_compare), abs=1e-6)


def test_smooth_comparison_matches_brute_force():
    g = torch.Generator().manual_seed(3)
    lw, ll = torch.randn(2, 10, generator=g), torch.randn(2, 10, generator=g)
    tau = 0.7
    got = log_preference_probability(lw, ll, comparison="smooth", tau=tau).exp()
    for b in range(2):
        pw, pl = lw[b].softmax(-1).tolist(), ll[b].softmax(-1).tolist()
        assert got[b].item() == pytest.approx(brute_force_p_win(pw, pl, lambda i, j: sigmoid((i - j) / tau)), abs=1e-6)


def test_pairwise_probability_agrees_with_monte_carlo():
    g = torch.Generator().manual_seed(0)
    lw, ll = torch.randn(1, 10, generator=g), torch.randn(1, 10, generator=g)
    n = 400_000
    i = torch.multinomial(lw.softmax(-1)[0], n, replacement=True, generator=g)
    j = torch.multinomial(ll.softmax(-1)[0], n, replacement=True, generator=g)
    monte_carlo = ((i > j).float() + 0.5 * (i == j).float()).mean().item()
    assert log_preference_probability(lw, ll).exp().item() == pytest.approx(monte_carlo, abs=4e-3)


def point_mass(score, sharpness=50.0):
    logits = torch.full((1, 10), -sharpness)
    logits[0, score - 1] = sharpness
    return logits


def test_ties_count_half_and_order_decides():
    assert log_preference_probability(point_mass(6), point_mass(6)).exp().item() == pytest.approx(0.5)
    assert log_preference_probability(point_mass(7), point_mass(3)).exp().item() == pytest.approx(1.0)
    # The reverse order is (numerically) impossible but the log stays finite, so the loss is usable.
    reverse = log_preference_probability(point_mass(3), point_mass(7))
    assert torch.isfinite(reverse) and reverse.exp().item() < 1e-12


def test_pairwise_gradient_moves_chosen_mass_up_the_scale():
    chosen = torch.zeros(1, 10, requires_grad=True)
    rejected = torch.zeros(1, 10, requires_grad=True)
    (-log_preference_probability(chosen, rejected).mean()).backward()
    assert chosen.grad[0, -1] < 0 < chosen.grad[0, 0]  # raising p_w(10) lowers the loss; raising p_w(1) raises it
    assert rejected.grad[0, 0] < 0 < rejected.grad[0, -1]


def test_rating_map_rounds_halves_up_keeps_nulls_and_refuses_out_of_range():
    helpsteer = rating_to_score(torch.tensor([0.0, 4.0, 2.0, 3.2, 0.4, float("nan")]), 0.0, 4.0)
    # 1 + 9r/4: 1, 10, 5.5 -> 6 (half up, where round-half-even gives 5), 8.2 -> 8, 1.9 -> 2
    assert helpsteer[:5].tolist() == [1.0, 10.0, 6.0, 8.0, 2.0]
    assert math.isnan(helpsteer[5].item())
    grades = rating_to_score(torch.arange(1.0, 11.0), 1.0, 10.0)
    assert grades.tolist() == list(range(1, 11))
    with pytest.raises(InputError, match=r"rating 7 is outside rating_range \[0, 4\]"):
        rating_to_score(torch.tensor([2.0, 7.0]), 0.0, 4.0)


def test_rating_nll_skips_null_ratings():
    logits = torch.randn(3, 10, requires_grad=True)
    scores = torch.tensor([3.0, float("nan"), 10.0])
    expected = -(logits[0].log_softmax(-1)[2] + logits[2].log_softmax(-1)[9]) / 2
    assert rating_nll(logits, scores).item() == pytest.approx(expected.item(), rel=1e-6)
    none = rating_nll(logits, torch.full((3,), float("nan")))
    none.backward()
    assert none.item() == 0.0 and logits.grad is not None


def test_reinforce_gradient_is_minus_advantage_times_score_function():
    # A one-token "policy" with logits theta: log pi(y) = log_softmax(theta)[y]; grad = onehot(y) - softmax(theta).
    theta = torch.tensor([0.2, -0.1, 0.5], requires_grad=True)
    actions, rewards, baseline = torch.tensor([0, 2]), torch.tensor([1.0, -0.5]), 0.25
    logprobs = theta.log_softmax(-1)[actions]
    reinforce_loss(logprobs, rewards - baseline).backward()
    probs = theta.detach().softmax(-1)
    expected = torch.zeros(3)
    for a, r in zip(actions, rewards):
        expected -= (r - baseline) * (torch.nn.functional.one_hot(a, 3).float() - probs) / 2
    assert torch.allclose(theta.grad, expected, atol=1e-6)


def test_reinforce_advantage_is_a_constant():
    advantages = torch.tensor([2.0], requires_grad=True)
    logprobs = torch.tensor([-1.0], requires_grad=True)
    reinforce_loss(logprobs, advantages).backward()
    assert advantages.grad is None and logprobs.grad.item() == -2.0
