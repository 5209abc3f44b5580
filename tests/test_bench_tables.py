"""The benchmarks' result tables (the rows REPORT.md shows through scripts/report/fill_tables.py), on made-up runs."""

import pytest
from conftest import REPO
from helpers import load_script


@pytest.fixture
def bench(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "bench"))  # the benchmarks import their shared `common` module
    return lambda name: load_script(f"bench/{name}.py")


def test_matmul_table_sets_this_machine_beside_an_earlier_run(bench):
    here = {
        "settings": {
            "size": 64,
            "repeats": 3,
            "iterations": 2,
            "dtypes": ["float32"],
            "against": "old.json",
            "out": "new.json",
        },  # fmt: skip
        "cpu_model": "Made-up CPU (family 1, model 2)",
        "environment": {"threads": 2, "torch": "x"},
        "median_gflops": {"float32": 100.0},
    }
    earlier = {"median_gflops": {"float32": 80.0, "bfloat16": 400.0}}  # an older file: no cpu_model
    rows = bench("bench_matmul").table(here, earlier).splitlines()
    assert rows[2] == "| this machine (Made-up CPU (family 1, model 2)) | 100 | not run | 0.25 |"
    assert rows[3] == "| old.json | 80 | 400 | 0.20 |"  # each float32 rate over the earlier run's bf16 rate
    assert rows[-1].endswith("`python bench/bench_matmul.py --dtypes float32 --against old.json --out new.json`")


def test_precision_table_shows_the_medians_and_their_ratio(bench):
    rates = {"forward_backward.32-true": 100.0, "forward_backward.bf16-mixed": 5.0, "forward.32-true": 400.0,
             "forward.bf16-mixed": 64.0}  # fmt: skip
    result = {
        "tokens_per_s": rates,
        "bf16_over_fp32": {"forward_backward": 0.05, "forward": 0.16},
        "runs": {key: [value, value] for key, value in rates.items()},
        "cpu_model": "Made-up CPU",
        "cpu_capability": "AVX2",
        "environment": {"threads": 2, "torch": "x"},
        "sequences": 2,
        "length": 256,
    }
    rows = bench("bench_precision").table(result, "out.json").splitlines()
    assert rows[2:4] == ["| forward + backward | 100.0 | 5.0 | 0.05 |", "| forward | 400.0 | 64.0 | 0.16 |"]
    assert "medians of 2 runs per side in turns" in rows[-1] and "--out out.json" in rows[-1]


def test_decode_linear_table_sums_a_decode_step_and_is_bit_equal_only_if_every_shape_is(bench):
    module = bench("bench_decode_linear")
    shapes = {"a": {"out_features": 4, "in_features": 2, "calls_per_decode_step": 3},
              "b": {"out_features": 8, "in_features": 2, "calls_per_decode_step": 1}}  # fmt: skip
    results = {
        "a": {"1": {"ms": {"linear": 1.0, "tall_weight": 0.5}, "bit_equal": True},
              "4": {"ms": {"linear": 2.0, "tall_weight": 4.0}, "bit_equal": True}},
        "b": {"1": {"ms": {"linear": 3.0, "tall_weight": 1.5}, "bit_equal": True},
              "4": {"ms": {"linear": 1.0, "tall_weight": 1.0}, "bit_equal": False}},
    }  # fmt: skip
    result = {"shapes": shapes, "results": results, "cpu_model": "Made-up CPU",
              "environment": {"threads": 2, "torch": "x"}, "settings": {"repeats": 5, "out": "o.json"}}  # fmt: skip
    rows = module.table(result).splitlines()
    assert rows[2] == "| a (4 x 2) | 1 | 1.000 | 0.500 | 2.00x | yes |"
    assert rows[5] == "| b (8 x 2) | 4 | 1.000 | 1.000 | 1.00x | no |"
    # 3 calls of a plus 1 of b per step; bit-equal only where both shapes are
    assert rows[6] == "| one decode step's linears | 1 | 6.0 | 3.0 | 2.00x | yes |"
    assert rows[7] == "| one decode step's linears | 4 | 7.0 | 13.0 | 0.54x | no |"
    assert rows[-1].endswith("`python bench/bench_decode_linear.py --out o.json`")


def test_float32_bits_table_says_which_settings_another_cpu_repeats_bit_for_bit(bench):
    def run(scores, speed):
        return {"rm_scores": scores, "rm_grads": "g", "rollout": "r", "fwd_bwd_tokens_per_s": speed,
                "decode_tokens_per_s": 30.0}  # fmt: skip

    here = {"cpu": "CPU one", "cores": 2, "settings": {"default": run("a", 200.0), "mkl_avx2": run("b", 150.0)}}
    other = {"cpu": "CPU two", "settings": {"default": run("z", 90.0), "mkl_avx2": run("b", 80.0)}}
    rows = bench("float32_bits").table(here, {"two.json": other}, "one.json").splitlines()
    assert rows[0].endswith("| same bits on CPU two |") and rows[1] == "|---" * 7 + "|"
    assert rows[2] == "| default | a | g | r | 200.0 (1.00) | 30.0 | no |"
    assert rows[3] == "| mkl_avx2 | b | g | r | 150.0 (0.75) | 30.0 | yes |"  # another CPU's speed is not compared
    assert rows[-1].endswith("`python bench/float32_bits.py --out one.json`")


def test_policy_memory_table_gives_checkpointing_cost_against_the_same_rollouts(bench):
    result = {
        "settings": {"rollouts": [8, 16], "prompt_length": 384, "response_length": 256},
        "cpu_model": "Made-up CPU (family 1, model 2)",
        "environment": {"threads": 2, "torch": "x"},
        "results": [
            {"rollouts": 8, "checkpointing": True, "seconds": 44.0, "peak_rss_gib": 3.0},
            {"rollouts": 8, "checkpointing": False, "seconds": 40.0, "peak_rss_gib": 9.5},
            {"rollouts": 16, "checkpointing": True, "seconds": 90.0, "peak_rss_gib": 5.5},
            {"rollouts": 16, "checkpointing": False, "failed": -9},
        ],
    }
    rows = bench("bench_policy_memory").table(result, "m.json").splitlines()
    assert rows[2] == "| 8 | yes | 3.00 | 44.0 | 1.10 |"
    assert rows[3] == "| 8 | no | 9.50 | 40.0 | 1.00 |"
    assert rows[4] == "| 16 | yes | 5.50 | 90.0 | n/a |"  # nothing to compare with: the other case was killed
    assert rows[5] == "| 16 | no | killed (exit -9) | | |"
    assert rows[-1].startswith("Made-up CPU (family 1, model 2), 2 threads")
    assert rows[-1].endswith("`python bench/bench_policy_memory.py --rollouts 8 16 --out m.json`")


def test_rm_padding_by_hand(bench):
    """One micro-batch of two pairs, chosen lengths (10, 12), rejected (4, 12): 38 real tokens in 4 x 12 slots; one
    pair per micro-batch: 2 x 10 + 2 x 12 = 44 slots."""
    result = bench("rm_padding").padding([[10, 12, 4, 12]])
    assert (result["real_tokens"], result["token_slots"]) == (38, 48)
    assert result["padded_share"] == pytest.approx(10 / 48)
    assert result["padded_share_one_pair_per_batch"] == pytest.approx(6 / 44)


def test_fraction_of_peak_by_hand(bench):
    fraction_of_peak = bench("fraction_of_peak")
    rates = {"forward.32-true": 500.0, "forward_backward.32-true": 100.0}
    throughput = {"cpu_model": "CPU", "tokens_per_s": rates}
    matmul = {"cpu_model": "CPU", "median_gflops": {"float32": 120}}
    result = fraction_of_peak.fraction_of_peak(throughput, "32-true", matmul, "float32", 10**8)
    assert result["passes"]["forward"]["model_gflops"] == pytest.approx(2 * 1e8 * 500 / 1e9)  # 100 GFLOP/s
    assert result["passes"]["forward_backward"]["fraction_of_matmul"] == pytest.approx(6 * 1e8 * 100 / 1e9 / 120)
    table = fraction_of_peak.table(result, "cmd").splitlines()
    assert table[2] == "| forward | 500.0 | 100 | 120 | 0.83 |"
    assert table[3] == "| forward + backward | 100.0 | 60 | 120 | 0.50 |"
    with pytest.raises(SystemExit, match="other CPUs"):  # a ratio across two machines means nothing
        fraction_of_peak.fraction_of_peak(throughput, "32-true", {**matmul, "cpu_model": "Other"}, "float32", 1)
