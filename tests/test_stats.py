"""Statistics against known answers: hand computation, and interval coverage on simulated data."""

import math

import pytest
import torch

import rlhf.stats as st


def covers(interval, truth=0.0):
    return interval[0] <= truth <= interval[1]


def test_bootstrap_covers_the_mean_about_95_percent_of_the_time():
    g = torch.Generator().manual_seed(0)
    hits = [covers(st.bootstrap_ci(torch.randn(60, generator=g), 1000, seed=i)) for i in range(200)]
    assert 0.88 <= sum(hits) / len(hits) <= 0.99


def test_clustered_values_need_the_cluster_bootstrap():
    """Pairs that share a prompt are not independent: resampling pairs undercovers, resampling prompts does not."""
    g = torch.Generator().manual_seed(1)
    naive, clustered = [], []
    clusters = [c for c in range(30) for _ in range(10)]
    for i in range(200):
        values = torch.randn(30, generator=g).repeat_interleave(10) + 0.1 * torch.randn(300, generator=g)
        naive.append(covers(st.bootstrap_ci(values, 1000, seed=i)))
        clustered.append(covers(st.cluster_bootstrap_ci(values, clusters, 1000, seed=i)))
    assert sum(naive) / 200 < 0.6
    assert 0.88 <= sum(clustered) / 200 <= 0.99


def test_hierarchical_bootstrap_counts_seed_variance():
    g = torch.Generator().manual_seed(2)
    hits, widths, prompt_only = [], [], []
    for i in range(150):
        seed_effect = torch.randn(10, 1, generator=g)  # run-to-run variation, as large as the prompt noise
        values = seed_effect + torch.randn(10, 40, generator=g)
        interval = st.hierarchical_bootstrap_ci(values, 1000, seed=i)
        hits.append(covers(interval))
        widths.append(interval[1] - interval[0])
        low, high = st.bootstrap_ci(values.flatten(), 1000, seed=i)
        prompt_only.append(high - low)
    assert sum(hits) / 150 >= 0.85  # ten seeds; a percentile bootstrap over few units is a little narrow
    assert sum(widths) / sum(prompt_only) > 2.0  # ignoring seeds would claim far more certainty


def test_t_interval_by_hand():
    low, high = st.t_interval(torch.tensor([1.0, 2.0, 3.0]))
    half = 4.303 * 1.0 / 3**0.5
    assert (low, high) == pytest.approx((2 - half, 2 + half), rel=1e-4)


def test_holm_by_hand():
    adjusted = st.holm({"a": 0.01, "b": 0.04, "c": 0.03})
    assert adjusted == pytest.approx({"a": 0.03, "c": 0.06, "b": 0.06})


def test_sign_flip_test_rejects_a_consistent_gain_and_not_noise():
    assert (
        st.sign_flip_pvalue(torch.ones(20) + 0.1 * torch.randn(20, generator=torch.Generator().manual_seed(0))) < 0.01
    )
    symmetric = torch.tensor([1.0, -1.0] * 10)
    assert st.sign_flip_pvalue(symmetric) > 0.5


def test_win_rate_counts_identical_responses_as_ties():
    outcome = st.win_rate(torch.tensor([1.0, 0.0, 2.0, 5.0]), torch.tensor([0.0, 1.0, 2.0, 5.000001]),
                       identical=torch.tensor([False, False, False, True]))  # fmt: skip
    assert outcome.tolist() == [1.0, 0.0, 0.5, 0.5]


def test_length_control_removes_a_gain_that_is_only_length():
    g = torch.Generator().manual_seed(3)
    sft_len = torch.randint(50, 300, (400,), generator=g).double()
    policy_len = sft_len + 50  # the policy only writes longer
    judge = lambda n: 0.01 * n + 0.2 * torch.randn(n.shape, generator=g, dtype=torch.float64)  # noqa: E731
    controlled, slope = st.length_controlled_differences(judge(policy_len), judge(sft_len), policy_len, sft_len)
    assert slope == pytest.approx(0.01, rel=0.15)
    raw = (judge(policy_len) - judge(sft_len)).mean().item()
    assert raw == pytest.approx(0.5, abs=0.1) and abs(controlled.mean().item()) < 0.1


def test_expected_calibration_error_by_hand():
    p = torch.tensor([0.9, 0.9, 0.6, 0.3])  # P(first side wins)
    first_won = torch.tensor([1.0, 0.0, 1.0, 1.0])  # the last pair: 0.3 favours the second side, which lost
    # bins of width 0.05 on [0.5, 1]: {0.9, 0.9} conf 0.9 acc 0.5; {0.6} conf 0.6 acc 1; {0.7} conf 0.7 acc 0
    assert st.expected_calibration_error(p, first_won) == pytest.approx(0.5 * 0.4 + 0.25 * 0.4 + 0.25 * 0.7)
    calibrated = torch.tensor([0.75, 0.75, 0.75, 0.25])
    assert st.expected_calibration_error(calibrated, torch.tensor([1.0, 1.0, 0.0, 0.0])) == pytest.approx(0.0)


def test_average_ranks_and_spearman_by_hand():
    assert st.average_ranks(torch.tensor([10.0, 20.0, 20.0, 5.0])).tolist() == [1.0, 2.5, 2.5, 0.0]
    x = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0])
    assert st.spearman(x, x**3) == pytest.approx(1.0)  # monotone, not linear
    assert st.spearman(x, -x) == pytest.approx(-1.0)


def test_cluster_bootstrap_of_a_statistic():
    x = torch.arange(40, dtype=torch.float64)
    clusters = [i // 4 for i in range(40)]
    assert st.cluster_bootstrap_statistic_ci(st.spearman, [x, 2 * x], clusters) == pytest.approx([1.0, 1.0])
    # The mean through the generic path agrees with the dedicated clustered interval (same resampling scheme).
    generic = st.cluster_bootstrap_statistic_ci(lambda v: v.mean().item(), [x], clusters, resamples=4000)
    dedicated = st.cluster_bootstrap_ci(x, clusters)
    assert generic == pytest.approx(dedicated, abs=0.6)


def test_cluster_bootstrap_leaves_out_resamples_where_the_statistic_is_undefined():
    # 40 clusters, one of them the only member of group 1: about a third of resamples miss it and the difference
    # of group means is NaN there. Those are left out, not allowed to turn the whole interval into NaN.
    values = torch.arange(40, dtype=torch.float64)
    group = (values == 39).double()
    difference = lambda v, g: float("nan") if not g.any() else (v[g.bool()].mean() - v[~g.bool()].mean()).item()  # noqa: E731
    low, high = st.cluster_bootstrap_statistic_ci(difference, [values, group], list(range(40)))
    assert 0 < low <= high and not math.isnan(high)
    # Where most resamples are undefined, there is no interval.
    always = lambda v: float("nan")  # noqa: E731
    assert all(map(math.isnan, st.cluster_bootstrap_statistic_ci(always, [values], list(range(40)))))


def test_wilson_interval_by_hand():
    # Wilson 95% for 0 of 10: [0, z^2/(n+z^2)] = [0, 0.2775]; for 5 of 10: 0.5 -/+ 0.3004 / 1.3841
    assert st.wilson_ci(0, 10) == pytest.approx([0.0, 0.27753], abs=1e-5)
    assert st.wilson_ci(10, 10) == pytest.approx([0.72247, 1.0], abs=1e-5)
    assert st.wilson_ci(5, 10) == pytest.approx([0.23659, 0.76341], abs=1e-5)
    assert all(math.isnan(x) for x in st.wilson_ci(0, 0))
