"""Report scripts on hand-made logs: the baseline ablation's statistics and the RMs' validation curves."""

import csv
import json

import pytest
import yaml
from helpers import load_script

ablation = load_script("scripts/report/baseline_ablation.py")
rm_curves = load_script("scripts/report/rm_curves.py")


def write_scalars(path, runs: dict[str, dict[str, list[float]]]) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["run", "tag", "step", "value"])
        for name, tags in runs.items():
            for tag, values in tags.items():
                for step, value in enumerate(values):
                    writer.writerow([f"/art/{name}/logs", tag, step, value])


def test_ablation_statistics_by_hand(tmp_path):
    run = {
        "train/advantage_mean": [1.0, -1.0, 0.0, 0.0],
        "train/advantage_std": [1.0, 1.0, 2.0, 0.0],
        "train/grad_norm": [1.0, 3.0, 1.0, 3.0],
        "train/reward": [0.0, 1.0, 2.0, 3.0],
        "train/rm_score": [5.0, 5.0, 6.0, 8.0],
    }
    path = tmp_path / "scalars.csv"
    write_scalars(path, {"ema_seed0": run})
    stats = ablation.run_statistics(ablation.read_scalars(str(path))["ema_seed0"], block=2)
    assert stats["advantage_second_moment"] == pytest.approx((2 + 2 + 4 + 0) / 4)
    assert stats["grad_norm_variance"] == pytest.approx(4 / 3)  # sample variance of 1, 3, 1, 3
    assert stats["reward_by_block"] == {"0-1": 0.5, "2-3": 2.5}
    assert stats["rm_score_last_block"] == pytest.approx(7.0)  # steps 2 and 3


def test_rm_curves_in_step_order(tmp_path):
    logs = tmp_path / "rm_a" / "logs" / "rm_a" / "version_0"
    logs.mkdir(parents=True)
    for step, accuracy in [(250, 0.7), (62, 0.6)]:
        report = {"global_step": step, "accuracy": {"mean": accuracy, "ci95": [0.5, 0.8], "n": 192}}
        (logs / f"rm_val_step{step}.json").write_text(json.dumps(report))
    reports = rm_curves.validations(str(tmp_path / "rm_a"))
    assert [r["global_step"] for r in reports] == [62, 250]
    assert "| RM_A | 62 | 0.600 | [0.500, 0.800] | 192 |" in rm_curves.markdown({"RM_A": reports})


spread = load_script("scripts/report/spread_analysis.py")


def one_hot(mode: int) -> list[float]:
    return [1.0 if s == mode else 0.0 for s in range(1, 11)]


def write_eval_run(root, run: str, readings: dict) -> None:
    """A run as the evaluate stages leave it: readings[prompt][key] = (rm_a, rm_b, dist std, dist mode score)."""
    keys = ("greedy", "sample0", "sample1")
    (root / run).mkdir(parents=True)
    generations, scores = [], {"rm_a": [], "rm_b": [], "dist": []}
    for i, (prompt, by_key) in enumerate(readings.items()):
        responses = [{"length": 10 + i + n, "finished": True} for n in range(3)]
        generations.append({"prompt_hash": prompt, "greedy": responses[0], "samples": responses[1:]})
        for j, judge in enumerate(("rm_a", "rm_b")):
            scores[judge].append({"prompt_hash": prompt, **{k: {"score": by_key[k][j]} for k in keys}})
        dist = {k: {"score": by_key[k][3], "score_std": by_key[k][2], "probs": one_hot(by_key[k][3])} for k in keys}
        scores["dist"].append({"prompt_hash": prompt, **dist})
    (root / run / "generations.jsonl").write_text("".join(json.dumps(g) + "\n" for g in generations))
    for judge, records in scores.items():
        (root / run / f"scores_{judge}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))


def test_spread_analysis_on_a_built_case(tmp_path):
    keys = ("greedy", "sample0", "sample1")
    base = {f"p{i}": {k: i + 0.1 * n for n, k in enumerate(keys)} for i in range(6)}
    # SFT: both judges agree, spread 1, mode 3.
    write_eval_run(tmp_path, "sft", {p: {k: (v, v, 1.0, 3) for k, v in ks.items()} for p, ks in base.items()})
    # The policy gains under both judges on p0-p2 (spread 1, mode 8: the distributions say it wins), and under
    # RM_A only on p3-p5 (RM_B: a loss), where its spread is 3 and p(s) equals SFT's (a tie to the distributions).
    policy = {}
    for i, (p, ks) in enumerate(base.items()):
        kept = i < 3
        policy[p] = {
            k: (v + 1, v + 1 if kept else v - 1, 1.0 if kept else 3.0, 8 if kept else 3) for k, v in ks.items()
        }
    write_eval_run(tmp_path, "pol", policy)
    result = spread.analyse(str(tmp_path), "sft", ["pol"], "dist", None)
    # The spread splits the rows as the disagreement does (up to float rounding among the disagreeing rows' |z_A - z_B|)
    assert result["a_spread_vs_judge_disagreement"]["value"] == pytest.approx(1.0, abs=0.02)
    d = result["d_spread_where_gain_does_not_survive"]
    assert d["units_with_rm_a_gain"] == 6 and d["not_surviving_share"] == 0.5
    assert d["spread_difference_lost_minus_kept"]["value"] == pytest.approx(2.0)
    e = result["e_p_policy_beats_sft"]
    assert e["pairs"] == 12 and e["mean_p"] == pytest.approx(0.75) and e["rm_b_win_rate"] == 0.5
    assert e["ece"] == pytest.approx(0.0, abs=1e-9)  # sure and right on p0-p2; a declared coin flip on p3-p5
    assert e["brier"] == pytest.approx(0.125)  # (0.5 - 0)^2 on half the pairs


level1_summary = load_script("scripts/report/level1_summary.py")


def test_level1_summary_holds_the_issue_fields(tmp_path):
    art, res = tmp_path / "art", tmp_path / "results"
    res.mkdir()
    config = {"seed_everything": 0, "trainer": {"precision": "bf16-mixed", "accumulate_grad_batches": 4,
                                                "max_steps": 150}}  # fmt: skip
    for name, seed in [("rm_a", 0), ("rm_b", 0), ("l1_seed0", 0), ("l1_seed1", 1)]:
        logs = art / name / "logs" / name / "version_0"
        logs.mkdir(parents=True)
        data = {"train_roles": [name], "max_length": 1024, "batch_size": 2 if name.startswith("rm") else 16}
        model = {"lr": 5e-5} if name.startswith("rm") else {"lr": 3e-6, "beta": 0.05, "max_new_tokens": 256,
                                                             "baseline": "ema", "baseline_momentum": 0.9}  # fmt: skip
        logs.joinpath("config.yaml").write_text(
            yaml.safe_dump({**config, "seed_everything": seed, "data": data, "model": {"init_args": model}})
        )
        if name.startswith("rm"):
            (art / name / "export").mkdir()
            (art / name / "export" / "training.json").write_text(json.dumps({"pairs_trained": 2000}))
            (art / name / "export" / "model.safetensors").write_bytes(b"weights")
            pairs = {"accuracy": {"mean": 0.7, "ci95": [0.6, 0.8]}, "n_pairs": 500, "length_baseline": {"mean": 0.8}}
            for kind in ("test", "human"):
                (res / f"{name}_{kind}_pairs.json").write_text(json.dumps(pairs))
            (res / f"{name}_probe.json").write_text(json.dumps({"probe_beats_answer": 0.1}))
    judged = {"seeds": 2, "prompts": 160, "gain": 0.3, "gain_reference_std": 0.2, "ci95_hierarchical": [0.1, 0.5],
              "ci95_t_over_seeds": [0.0, 0.6]}  # fmt: skip
    runs = ["/eval/l1_seed0", "/eval/l1_seed1/"]
    compare = {"primary": {"policy": "reinforce", "judge": "rm_b"},
               "policies": {"reinforce": {"runs": runs, "judges": {"rm_b": judged}}}}  # fmt: skip
    (res / "test_compare.json").write_text(json.dumps(compare))
    write_scalars(res / "training_scalars.csv", {"l1_seed0": {"train/reward": [0.0] * 150}})
    splits = tmp_path / "splits.json"
    splits.write_text(json.dumps({"data_sha256": "abc"}))
    summary = level1_summary.summarize(str(res), str(art), None, str(splits))
    for rm in ("A", "B"):
        assert summary["rm"][rm]["pairs_trained"] == 2000
        assert (
            set(summary["rm"][rm]["val_accuracy"]) == {"mean", "ci95", "n"} == set(summary["rm"][rm]["human_accuracy"])
        )
    reinforce = summary["reinforce"]
    assert reinforce["seeds"] == [0, 1] and reinforce["steps"] == 150 and reinforce["rollouts_per_step"] == 16
    assert (reinforce["max_new_tokens"], reinforce["lr"], reinforce["beta"], reinforce["baseline"]) == (
        256,
        3e-6,
        0.05,
        "ema",
    )
    assert summary["test_prompts"] == 160 and summary["primary"]["decision"] == "beats SFT"
    assert {"judge", "gain", "gain_sft_std", "ci95", "method"} <= summary["primary"].keys()
