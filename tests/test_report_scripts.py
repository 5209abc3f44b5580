"""Report scripts on hand-made logs and generations: the baseline ablation's statistics, training progress and
curves, the RMs' validation curves, the summaries, finish rates."""

import csv
import json

import pytest
import transformers
import yaml
from helpers import load_script

from rlhf.evaluate import write_jsonl

ablation = load_script("scripts/report/baseline_ablation.py")
rm_curves = load_script("scripts/report/rm_curves.py")
finish_rates = load_script("scripts/report/finish_rates.py")
probe_by_length = load_script("scripts/report/probe_by_length.py")
by_length_gap = load_script("scripts/report/rm_by_length_gap.py")
progress = load_script("scripts/report/training_progress.py")
plot_curves = load_script("scripts/report/plot_curves.py")
pairs_table = load_script("scripts/report/rm_pairs_table.py")


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


def test_training_progress_by_hand(tmp_path, monkeypatch):
    six = {"train/rm_score": [1.0, 3.0, 5.0, 5.0, 7.0, 9.0], "train/kl": [0.0, 0.0, 0.0, 1.0, 1.0, 1.0],
           "train/response_length": [10.0] * 6, "train/unfinished": [0.5, 0.5, 0.0, 0.0, 1.0, 1.0],
           "train/reward": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]}  # fmt: skip
    path = tmp_path / "scalars.csv"
    write_scalars(path, {"s0": six, "s1": {**six, "train/rm_score": [0.0] * 6}})
    with open(path, "a", newline="") as f:  # dev checks, and a step logged twice (the later row counts)
        csv.writer(f).writerows([["/art/s0/logs", "dev/reward_gain", 6, 0.25], ["/art/s0/logs", "train/kl", 5, 3.0]])
    run = progress.run_progress(progress.read_scalars(str(path))["s0"], block=2)
    assert run["first_steps"] == [0, 1] and run["last_steps"] == [4, 5] and run["steps"] == 6
    assert run["train"]["train/rm_score"] == {"first": 2.0, "last": 8.0}
    assert run["train"]["train/kl"] == {"first": 0.0, "last": 2.0}  # steps 4 and 5: 1.0 and the later 3.0
    assert run["dev"] == {"dev/reward_gain": {"6": 0.25}}
    out = tmp_path / "progress.json"
    monkeypatch.setattr("sys.argv", ["x", str(path), "--runs", "s0,s1", "--block", "2", "--out", str(out)])
    progress.main()
    result = json.loads(out.read_text())
    assert result["mean_over_runs"]["train"]["train/rm_score"] == {"first": 1.0, "last": 4.0}
    table = (tmp_path / "progress.md").read_text().splitlines()
    assert table[2].startswith("| s0 | 0–1, 4–5 | 2.000 → 8.000 | 0.000 → 2.000 |")
    assert "| s0 | 6 | 0.250 | n/a | n/a | n/a | n/a |" in table
    with pytest.raises(SystemExit, match="would overlap"):
        progress.run_progress(progress.read_scalars(str(path))["s0"], block=4)
    # R = (score - shift) / scale - penalty * unfinished - beta * KL, so the score's change in SFT std is
    # dR + penalty * d(unfinished) + beta * d(KL): here 0.1 + 2 * 0.2 + 0.1 * 1.0
    train = {tag: {"first": 0.0, "last": 0.0} for tag in progress.TRAIN}
    train.update({"train/reward": {"first": 0.0, "last": 0.1}, "train/unfinished": {"first": 0.5, "last": 0.7},
                  "train/kl": {"first": 0.2, "last": 1.2}})  # fmt: skip
    change = progress.standardised_score_change(train, beta=0.1, unfinished_penalty=2.0)
    assert change["score_sft_std"] == pytest.approx(0.6) and change["taken_by_unfinished_penalty"] == pytest.approx(0.4)
    assert change["taken_by_kl"] == pytest.approx(0.1)
    monkeypatch.setattr("sys.argv", ["x", str(path), "--runs", "s0,s9", "--out", str(out)])
    with pytest.raises(SystemExit, match="no scalars for runs"):
        progress.main()


def test_curves_read_seeds_from_a_csv_by_run_name(tmp_path):
    path = tmp_path / "scalars.csv"
    write_scalars(path, {"a": {"train/kl": [0.0, 1.0]}, "b": {"train/kl": [2.0, 3.0]}})
    series = plot_curves.seed_series("b,a", plot_curves.read_scalars(str(path)))
    assert [s["train/kl"] for s in series] == [{0: 2.0, 1: 3.0}, {0: 0.0, 1: 1.0}]
    with pytest.raises(SystemExit, match=r"\['c'\]"):
        plot_curves.seed_series("a,c", plot_curves.read_scalars(str(path)))


def test_pairs_table_sets_the_rm_beside_the_length_baseline(tmp_path, monkeypatch):
    report = {
        "n_pairs": 1043,
        "n_prompts": 889,
        "pairs_dropped_for_length": 0,
        "max_length": 3072,
        "accuracy": {"mean": 0.7, "ci95": [0.65, 0.75]},
        "length_baseline": {"mean": 0.71, "ci95": [0.68, 0.74]},
    }
    newer = {**report, "length_controls": {"rm_minus_length_baseline": {"mean": -0.01, "ci95": [-0.03, 0.01]}}}
    older, path = tmp_path / "old.json", tmp_path / "new.json"
    older.write_text(json.dumps(report))
    path.write_text(json.dumps(newer))
    out = tmp_path / "t.md"
    monkeypatch.setattr("sys.argv", ["x", "--report", f"RM_A|human={older}", "--report", f"RM_B|human={path}",
                                     "--out", str(out)])  # fmt: skip
    pairs_table.main()
    rows = out.read_text().splitlines()
    assert rows[2] == ("| RM_A | human | 1,043 (889 prompts) | 0 at 3,072 tokens | 0.700 [0.650, 0.750] "
                       "| 0.710 [0.680, 0.740] | not in this report |")  # fmt: skip
    assert rows[3].endswith("| -0.010 [-0.030, 0.010] |")
    monkeypatch.setattr("sys.argv", ["x", "--report", f"RM_A={older}", "--out", str(out)])
    with pytest.raises(SystemExit, match="expected RM|PAIRS=FILE"):
        pairs_table.main()


def test_rm_curves_in_step_order(tmp_path):
    logs = tmp_path / "rm_a" / "logs" / "rm_a" / "version_0"
    logs.mkdir(parents=True)
    for step, accuracy in [(250, 0.7), (62, 0.6)]:
        report = {"global_step": step, "accuracy": {"mean": accuracy, "ci95": [0.5, 0.8], "n": 192}}
        (logs / f"rm_val_step{step}.json").write_text(json.dumps(report))
    reports = rm_curves.validations(str(tmp_path / "rm_a"))
    assert [r["global_step"] for r in reports] == [62, 250]
    assert "| RM_A | 62 | 0.600 | [0.500, 0.800] | 192 |" in rm_curves.markdown({"RM_A": reports})


def test_rm_curves_keep_the_recorded_curve_of_an_rm_made_again_without_validations(tmp_path, monkeypatch):
    logs = tmp_path / "rm_b" / "logs"
    logs.mkdir(parents=True)
    (logs / "rm_val_step62.json").write_text(json.dumps({"global_step": 62, "accuracy": {"mean": 0.5}}))
    (tmp_path / "rm_a").mkdir()  # made again: no validation reports
    out = tmp_path / "curves.json"
    args = ["x", "--run", f"RM_A={tmp_path / 'rm_a'}", "--run", f"RM_B={tmp_path / 'rm_b'}", "--out", str(out)]
    monkeypatch.setattr("sys.argv", args)
    with pytest.raises(SystemExit, match="no rm_val_step"):  # nothing recorded either
        rm_curves.main()
    recorded = {"RM_A": [{"global_step": 250, "accuracy": {"mean": 0.9, "ci95": [0.8, 1.0], "n": 192}}], "RM_B": []}
    out.write_text(json.dumps(recorded))
    monkeypatch.setattr(rm_curves, "markdown", lambda curves: "")
    rm_curves.main()
    written = json.loads(out.read_text())
    assert written["RM_A"] == recorded["RM_A"] and written["RM_B"] == [{"global_step": 62, "accuracy": {"mean": 0.5}}]


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


def test_spread_on_labelled_pairs_by_hand(tmp_path, monkeypatch):
    """Four pairs on two prompts. RM_B is RM_A with the sides of p1 and p3 swapped: the two disagree on those pairs
    only, with the same |z_A - z_B| on their four responses and 0 elsewhere; p's spread is 1 on p0, 3 on the rest;
    the distributional RM orders p2 wrongly; lengths rise with the rows. By hand: Spearman(spread, |z_A - z_B|) =
    16 / sqrt(24 * 32) = 1/sqrt(3), Spearman(spread, length) = 24 / sqrt(24 * 42) = sqrt(4/7); spread where the RMs
    disagree minus where they agree (3 + 3)/2 - (1 + 3)/2 = 1; where the dist RM is wrong minus right 3 - 7/3."""
    rm_a = {"p0": (2, 1), "p1": (4, 2), "p2": (3, 2.5), "p3": (1, 3)}
    rm_b = {**rm_a, "p1": (2, 4), "p3": (3, 1)}
    dist = {"p0": (6, 5, 1.0), "p1": (6, 5, 3.0), "p2": (5, 6, 3.0), "p3": (6, 5, 3.0)}
    lengths = {"p0": (10, 11), "p1": (30, 31), "p2": (32, 33), "p3": (34, 35)}

    def records(scores: dict) -> list[dict]:
        return [{"prompt_hash": "x" if k in ("p0", "p1") else "y", "pair": k, "chosen_length": lengths[k][0],
                 "rejected_length": lengths[k][1],
                 **{side: {"score": v[i], **({"score_std": v[2]} if len(v) > 2 else {})}
                    for i, side in enumerate(("chosen", "rejected"))}}
                for k, v in scores.items()]  # fmt: skip

    level1, level2 = tmp_path / "l1", tmp_path / "l2"
    for kind in ("test", "human"):
        write_jsonl(level1 / f"rm_a_{kind}_pair_scores.jsonl.gz", records(rm_a))
        write_jsonl(level1 / f"rm_b_{kind}_pair_scores.jsonl.gz", records(rm_b))
        write_jsonl(level2 / f"dist_a_{kind}_pair_scores.jsonl.gz", records(dist))
    out = tmp_path / "spread_pairs.json"
    argv = ["spread_analysis.py", "--dist", "dist_a", "--pairs", str(level1), str(level2), "--out", str(out)]
    monkeypatch.setattr("sys.argv", argv)
    spread.main()
    for kind in ("test", "human"):
        result = json.loads(out.read_text())["pairs"][kind]
        assert result["pairs"] == 4
        assert result["a_spread_vs_judge_disagreement"]["value"] == pytest.approx(3**-0.5)
        assert result["b_spread_vs_length"]["value"] == pytest.approx((4 / 7) ** 0.5)
        assert (result["rm_a_rm_b_disagree_share"], result["dist_wrong_share"]) == (0.5, 0.25)
        assert result["spread_where_rms_disagree_minus_agree"]["value"] == pytest.approx(1.0)
        assert result["spread_where_dist_wrong_minus_right"]["value"] == pytest.approx(2 / 3)
    write_jsonl(level2 / "dist_a_human_pair_scores.jsonl.gz", records(dict(list(dist.items())[:3])))
    with pytest.raises(ValueError, match="different pairs"):
        spread.main()
    monkeypatch.setattr("sys.argv", argv[:3] + ["--eval", "e", "--out", str(out)])  # --eval without --policy-runs
    with pytest.raises(SystemExit):
        spread.main()


summary = load_script("scripts/report/summary.py")


def write_study(tmp_path, rms: list[str], policies: dict[str, tuple[int, dict]], compare: dict, dist=False):
    """Result files and run configs as a study driver leaves them: ``policies[name] = (seed, init_args)``."""
    art, res = tmp_path / "art", tmp_path / "results"
    res.mkdir()
    config = {"trainer": {"precision": "bf16-mixed", "accumulate_grad_batches": 4, "max_steps": 150}}
    runs = {**{rm: (0, {"lr": 5e-5}) for rm in rms}, **policies}
    for name, (seed, model) in runs.items():
        logs = art / name / "logs" / name / "version_0"
        logs.mkdir(parents=True)
        data = {"train_roles": [name], "max_length": 1024, "batch_size": 2 if name in rms else 16}
        logs.joinpath("config.yaml").write_text(
            yaml.safe_dump({**config, "seed_everything": seed, "data": data, "model": {"init_args": model}})
        )
    for name in rms:
        (art / name / "export").mkdir()
        (art / name / "export" / "training.json").write_text(json.dumps({"pairs_trained": 2000}))
        (art / name / "export" / "model.safetensors").write_bytes(b"weights")
        controls = {"rm_minus_length_baseline": {"mean": -0.1, "ci95": [-0.15, -0.05], "n": 500},
                    "rm_prefers_longer": {"mean": 0.9, "ci95": [0.85, 0.95], "n": 500},
                    "accuracy_chosen_longer": {"mean": 0.75, "ci95": [0.7, 0.8], "n": 400},
                    "accuracy_chosen_shorter": {"mean": None, "ci95": None, "n": 0}}  # fmt: skip
        pairs = {"accuracy": {"mean": 0.7, "ci95": [0.6, 0.8]}, "n_pairs": 500,
                 "length_baseline": {"mean": 0.8, "ci95": [0.7, 0.9]}, "length_controls": controls}  # fmt: skip
        if dist:
            pairs["distribution"] = {"p_win_mean": 0.62, "log_loss": 0.6, "ece_p_win": 0.05, "score_std_mean": 1.5,
                                     "entropy_mean": 1.9}  # fmt: skip
        for kind in ("test", "human"):
            (res / f"{name}_{kind}_pairs.json").write_text(json.dumps(pairs))
        (res / f"{name}_probe.json").write_text(json.dumps({"probe_beats_answer": 0.1}))
    family = {"secondary_p": {"x/rm_a": 0.01, "x/length": 0.04}, "holm_adjusted_p": {"x/rm_a": 0.02, "x/length": 0.04}}
    (res / "test_compare.json").write_text(json.dumps({**compare, **family}))
    splits = tmp_path / "splits.json"
    splits.write_text(json.dumps({"data_sha256": "abc"}))
    return art, res, splits


REINFORCE = {"lr": 3e-6, "beta": 0.05, "max_new_tokens": 256, "baseline": "ema", "baseline_momentum": 0.9}


def judged(gain: float, ci: list[float]) -> dict:
    return {"seeds": 2, "prompts": 160, "gain": gain, "gain_reference_std": gain / 2, "ci95_hierarchical": ci,
            "ci95_t_over_seeds": [ci[0] - 0.1, ci[1] + 0.1]}  # fmt: skip


def test_level1_summary_holds_the_issue_fields(tmp_path):
    compare = {"primary": {"policy": "reinforce", "judge": "rm_b"},
               "policies": {"reinforce": {"runs": ["/eval/l1_seed0", "/eval/l1_seed1/"],
                                          "judges": {"rm_b": judged(0.3, [0.1, 0.5]),
                                                     "rm_a": judged(1.2, [0.8, 1.6])}}}}  # fmt: skip
    policies = {"l1_seed0": (0, REINFORCE), "l1_seed1": (1, REINFORCE)}
    art, res, splits = write_study(tmp_path, ["rm_a", "rm_b"], policies, compare)
    (res / "rm_b_probe.json").write_text(
        json.dumps({"probe_beats_answer": 0.1, "probe_beats_answer_ci95": [0.05, 0.15]})
    )
    write_scalars(res / "training_scalars.csv", {"l1_seed0": {"train/reward": [0.0] * 150}})
    (art / "l1_seed1" / "cpus.log").write_text("2026-12-02T06:00:00Z start AMD EPYC\n"
                                               "2026-12-02T09:00:00Z resume Intel(R) Xeon(R) Processor\n")  # fmt: skip
    result = summary.level1(str(res), str(art), None, str(splits))
    assert result["reinforce"]["cpus"] == ["AMD EPYC", "Intel(R) Xeon(R) Processor"] and result["rm"]["A"]["cpus"] == []
    for rm in ("A", "B"):
        assert result["rm"][rm]["pairs_trained"] == 2000
        assert set(result["rm"][rm]["val_accuracy"]) == {"mean", "ci95", "n"} == set(result["rm"][rm]["human_accuracy"])
    reinforce = result["reinforce"]
    assert reinforce["seeds"] == [0, 1] and reinforce["steps"] == 150 and reinforce["rollouts_per_step"] == 16
    assert (reinforce["max_new_tokens"], reinforce["lr"], reinforce["beta"], reinforce["baseline"]) == (
        256,
        3e-6,
        0.05,
        "ema",
    )
    assert result["test_prompts"] == 160 and result["primary"]["decision"] == "beats SFT"
    assert reinforce["compute_hours"] == [0.0, 0.0] and "cores" in result["hardware"]  # no events logged here
    assert result["software"]["transformers"] == transformers.__version__
    assert {"judge", "gain", "gain_sft_std", "ci95", "method"} <= result["primary"].keys()
    assert result["secondary"]["x/rm_a"] == {"p": 0.01, "holm_adjusted_p": 0.02}
    assert result["judge_change"]["surviving_share"] == pytest.approx(0.25)  # 0.15 of 0.6 SFT std survive
    tables = summary.markdown(result)
    assert "| A | 2,000 | 0.700 [0.600, 0.800] (n=500) | 0.800 [0.700, 0.900] |" in tables
    (row_a,), (row_b,) = ([r for r in tables.splitlines() if r.startswith(f"| {rm} | 2,000 |")] for rm in "AB")
    assert row_a.endswith("| 0.100 |") and row_b.endswith("| 0.100 [0.050, 0.150] |")  # the probe's interval, if any
    row = "| B | human | -0.100 [-0.150, -0.050] | 0.900 [0.850, 0.950] | 0.750 [0.700, 0.800] (n=400) | n/a (n=0) |"
    assert row in tables.splitlines()
    assert result["rm"]["A"]["length_controls"]["test"]["accuracy_chosen_longer"]["n"] == 400
    assert "gain +0.300 [+0.100, +0.500]" in tables and "**beats SFT**" in tables
    assert "| x/rm_a | 0.0100 | 0.0200 |" in tables
    assert "+0.600 SFT standard deviations under rm_a (the training RM) and +0.150 under rm_b" in tables


def test_level1_summary_of_runs_made_on_a_gpu_machine(tmp_path):
    """The GPU replicate's weights stay on the machine it ran on: their sha256 comes from its manifest, the hardware
    and the steps each seed reached from its run record; a model file neither here nor listed is an error."""
    compare = {"primary": {"policy": "reinforce", "judge": "rm_b"},
               "policies": {"reinforce": {"runs": ["/eval/seed0"],
                                          "judges": {"rm_b": judged(0.3, [-0.1, 0.5]),
                                                     "rm_a": judged(1.2, [0.8, 1.6])}}}}  # fmt: skip
    art, res, splits = write_study(tmp_path, ["rm_a", "rm_b"], {"seed0": (0, REINFORCE)}, compare)
    write_scalars(res / "training_scalars.csv", {"seed0": {"train/reward": [0.0] * 40}})
    for rm in ("rm_a", "rm_b"):
        (art / rm / "export" / "model.safetensors").unlink()
    manifest = res / "artifacts.sha256"
    manifest.write_text("aa11  rm_a/export/model.safetensors\nbb22  rm_b/export/model.safetensors\n")
    record = res / "run.json"
    record.write_text(json.dumps({"gpu": "NVIDIA H200", "cuda": "13.0", "torch": "2.11.0", "transformers": "5.23.0",
                                  "steps": 40, "steps_reached": {"seed0": 40}}))  # fmt: skip
    result = summary.level1(str(res), str(art), None, str(splits), str(manifest), str(record))
    assert (result["rm"]["A"]["weights_sha256"], result["rm"]["B"]["weights_sha256"]) == ("aa11", "bb22")
    assert result["hardware"].startswith("NVIDIA H200 (CUDA 13.0)") and result["reinforce"]["steps_reached"] == {
        "seed0": 40
    }
    assert result["primary"]["decision"] == "inconclusive at this scale"
    manifest.write_text("aa11  rm_a/export/model.safetensors\n")
    with pytest.raises(FileNotFoundError, match="rm_b/export/model.safetensors"):
        summary.level1(str(res), str(art), None, str(splits), str(manifest), str(record))
    with pytest.raises(FileNotFoundError):  # without a manifest, as before: the file must be here
        summary.level1(str(res), str(art), None, str(splits))


def test_rm_summary_before_any_policy(tmp_path):
    art, res, splits = write_study(tmp_path, ["rm_a", "rm_b"], {}, {})
    (res / "rm_a_probe.json").unlink()  # the probe runs on SFT's test answers, with the test evaluation
    (res / "rm_b_probe.json").unlink()
    result = summary.level1_rms(str(res), str(art), None, str(splits))
    assert result["rm"]["A"]["probe_beats_sft_answer"] is None and result["rm"]["B"]["pairs_trained"] == 2000
    assert set(result["rm"]["B"]["human_accuracy"]) == {"mean", "ci95", "n"} and "primary" not in result
    tables = summary.markdown(result).splitlines()
    assert "| A | 2,000 | 0.700 [0.600, 0.800] (n=500) | 0.800 [0.700, 0.900] | 0.700 [0.600, 0.800] (n=500) " \
           "| 0.800 [0.700, 0.900] | not yet run |" in tables  # fmt: skip
    assert any(row.startswith("| B | human | -0.100") for row in tables)  # the length controls too
    with pytest.raises(FileNotFoundError):  # the full Level-1 summary needs the probe
        summary.rm_entry(str(res), str(art), "rm_a")


def write_pair_scores(path, margins: list[float], prompts: list[str]) -> None:
    """Pair scores as ``evaluate.py pairs --scores-out`` keeps them, with the given margins (chosen - rejected)."""
    write_jsonl(path, [{"prompt_hash": h, "pair": f"p{i}", "chosen_length": 10, "rejected_length": 5,
                        "chosen": {"score": m}, "rejected": {"score": 0.0}}
                       for i, (m, h) in enumerate(zip(margins, prompts))])  # fmt: skip


def test_rm_agreement_on_the_same_pairs_by_hand(tmp_path):
    """Two RMs' verdicts on the same pairs: margins A (1, 2, -1, 3) and B (2, -1, -2, 1) pick the same response on
    pairs 0, 2, 3 (3/4), are both right on 0 and 3 (1/2), both wrong on 2 (1/4); their margins' ranks (2, 3, 1, 4)
    and (4, 2, 1, 3) correlate at 2/5. A record without the pair scores has no agreement table."""
    art, res, splits = write_study(tmp_path, ["rm_a", "rm_b"], {}, {})
    assert summary.level1_rms(str(res), str(art), None, str(splits))["rm_agreement"] == {}
    for kind in ("test", "human"):
        write_pair_scores(res / f"rm_a_{kind}_pair_scores.jsonl.gz", [1, 2, -1, 3], ["x", "x", "y", "y"])
        write_pair_scores(res / f"rm_b_{kind}_pair_scores.jsonl.gz", [2, -1, -2, 1], ["x", "x", "y", "y"])
    result = summary.level1_rms(str(res), str(art), None, str(splits))
    held_out = result["rm_agreement"]["A / B"]["test"]
    assert held_out["n_pairs"] == 4 and held_out["spearman_margins"] == pytest.approx(0.4)
    shares = {k: held_out[k]["mean"] for k in ("same_choice", "both_right", "both_wrong")}
    assert shares == {"same_choice": 0.75, "both_right": 0.5, "both_wrong": 0.25}
    assert "| A / B | held-out | 4 | 0.750 [" in summary.markdown(result)
    assert summary.level1_rms(str(res), str(art), None, str(splits), rms=("A",))["rm_agreement"] == {}  # one RM
    write_pair_scores(res / "rm_b_human_pair_scores.jsonl.gz", [2, -1, -2], ["x", "x", "y"])
    with pytest.raises(ValueError, match="rm_a, rm_b are of different pairs"):
        summary.level1_rms(str(res), str(art), None, str(splits))


def test_rm_summary_of_rm_a_alone_while_rm_b_trains(tmp_path, monkeypatch, capsys):
    art, res, splits = write_study(tmp_path, ["rm_a"], {}, {})  # RM_B neither trained nor judged yet
    monkeypatch.setattr("sys.argv", ["summary.py", "level1", "--rms", "A", "--results", str(res), "--out", "x.json"])
    with pytest.raises(SystemExit):  # a full summary needs every RM
        summary.main()
    assert "--rms goes with level1-rms and level2-rms only" in capsys.readouterr().err
    result = summary.level1_rms(str(res), str(art), None, str(splits), rms=("A",))
    assert list(result["rm"]) == ["A"] and result["rm"]["A"]["pairs_trained"] == 2000
    assert [row.split(" |")[0] for row in summary.markdown(result).splitlines() if row.startswith("| A")] == ["| A"] * 3
    with pytest.raises(FileNotFoundError):  # both, by default: RM_B's files are missing
        summary.level1_rms(str(res), str(art), None, str(splits))


def test_distributional_rm_summary_before_any_policy(tmp_path, monkeypatch, capsys):
    art, res, splits = write_study(tmp_path, ["dist_a"], {}, {}, dist=True)  # the ablation not trained yet
    grades = {"n": 300, "nll": 2.1, "mean_abs_error": 1.6, "within_central_80": 0.7, "pearson": 0.4,
              "marginal_baseline": {"nll": 2.3, "mean_abs_error": 1.9}}  # fmt: skip
    distribution = {"p_win_mean": 0.62, "log_loss": 0.6, "ece_p_win": 0.05, "score_std_mean": 1.5, "entropy_mean": 1.9}
    test = json.loads((res / "dist_a_test_pairs.json").read_text())
    (res / "dist_a_test_pairs.json").write_text(
        json.dumps({**test, "distribution": {**distribution, "grades": grades}})
    )
    (res / "dist_a_human_pairs.json").write_text(json.dumps({**test, "distribution": distribution}))
    (res / "dist_a_probe.json").unlink()  # the probe runs on SFT's test answers, later
    result = summary.level2_rms(str(res), str(art), None, str(splits), rms=("dist",))
    assert list(result["rm"]) == ["dist"] and result["rm"]["dist"]["ece"] == 0.05
    tables = summary.markdown(result).splitlines()
    assert "| dist | held-out | 0.620 | 0.600 | 0.050 | 1.50 | 1.90 | 300 | 2.10 / 2.30 | 1.60 / 1.90 | 0.70 | 0.40 |" \
        in tables  # fmt: skip
    assert "| dist | human | 0.620 | 0.600 | 0.050 | 1.50 | 1.90 | 0 | n/a | n/a | n/a | n/a |" in tables
    with pytest.raises(FileNotFoundError):  # both, by default: the ablation's files are missing
        summary.level2_rms(str(res), str(art), None, str(splits))
    monkeypatch.setattr("sys.argv", ["summary.py", "level2-rms", "--rms", "A", "--results", str(res), "--out", "x"])
    with pytest.raises(SystemExit):  # RM_A is not one of Level 2's RMs
        summary.main()
    assert "--rms of level2-rms: dist, dist_pairwise_only" in capsys.readouterr().err


def test_compute_hours_leave_out_the_breaks_between_sessions(tmp_path):
    from torch.utils.tensorboard import SummaryWriter

    def log(walltimes, first_step):  # one process: one event file
        writer = SummaryWriter(str(tmp_path))
        for step, walltime in enumerate(walltimes, first_step):
            writer.add_scalar("train/loss", 1.0, step, walltime=walltime)
        writer.close()

    start = 1_800_000_000.0
    # Process 1: logging every 10 min, with a 15-min gap (a bf16 validation) and a 30-min one (a float32 one).
    first = [start + 600 * i for i in range(7)] + [start + 4500 + 600 * i for i in range(4)]
    first += [first[-1] + 1800 + 600 * i for i in range(4)]
    # Process 2 resumes 6 min after process 1's last event (a short break between sessions) and logs 1 h.
    second = [first[-1] + 360 + 600 * i for i in range(7)]
    log(first, 0)
    log(second, len(first))
    inside = (3600 + 900 + 1800 + 1800 + 1800) / 3600 + 1  # every gap inside a process; never the 6-min break
    assert summary.compute_hours(str(tmp_path)) == pytest.approx(inside)
    assert summary.compute_hours(str(tmp_path), max_gap_s=1200) == pytest.approx(inside - 0.5)
    assert summary.compute_hours(str(tmp_path), max_gap_s=700) == pytest.approx(inside - 0.75)
    paused = [(first[2] + 100, first[3]), (second[-1] - 60, second[-1] + 900)]  # by hand: 500 s, then the last 60 s
    assert summary.compute_hours(str(tmp_path), paused=paused) == pytest.approx(inside - 560 / 3600)
    log_file = tmp_path / "run" / "pauses.log"
    log_file.parent.mkdir()
    log_file.write_text("2027-01-15T08:00:00Z 2027-01-15T08:20:00Z python evaluate.py generate\n")
    assert summary.paused_spans(str(tmp_path), "run") == [(1_800_000_000.0, 1_800_001_200.0)]
    assert summary.paused_spans(str(tmp_path), "other") == []


def test_model_hash_covers_a_directory_model_file_by_file(tmp_path):
    import hashlib

    weights = tmp_path / "model.gguf"
    weights.write_bytes(b"weights")
    assert summary.sha256(str(weights)) == hashlib.sha256(b"weights").hexdigest()
    model = tmp_path / "hf"
    (model / "sub").mkdir(parents=True)
    (model / "config.json").write_text("{}")
    (model / "sub" / "model.safetensors").write_bytes(b"weights")
    first = summary.sha256(str(model))
    assert first == summary.sha256(str(model)) and len(first) == 64
    (model / "sub" / "model.safetensors").write_bytes(b"weightz")  # a changed byte changes the hash
    assert summary.sha256(str(model)) != first
    (model / "sub" / "model.safetensors").write_bytes(b"weights")
    (model / "sub" / "model.safetensors").rename(model / "model.safetensors")  # so does a moved file
    assert summary.sha256(str(model)) != first


def test_level2_summary_holds_the_issue_fields(tmp_path):
    runs = lambda name: [f"/eval/{name}_seed{s}" for s in range(2)]  # noqa: E731
    compare = {
        "primary": {"policy": "mean - scalar", "judge": "rm_b"},
        "policies": {
            "scalar": {"runs": runs("l1"), "judges": {"rm_b": judged(0.3, [0.1, 0.5])}},
            "mean": {"runs": runs("l2_mean"), "judges": {"rm_b": judged(0.2, [0.0, 0.4])}},
            "mean_minus_std": {"runs": runs("l2_mean_minus_std"), "judges": {"rm_b": judged(0.1, [0.0, 0.2])}},
            "mean - scalar": {"runs": runs("l2_mean"), "judges": {"rm_b": judged(-0.1, [-0.3, -0.05])}},
        },
    }
    policies = {
        f"l2_{f}_seed{s}": (s, {**REINFORCE, "reward_functional": f, "risk_lambda": 1.0})
        for f in ("mean", "mean_minus_std")
        for s in range(2)
    }
    art, res, splits = write_study(tmp_path, ["dist_a", "dist_a_pairwise"], policies, compare, dist=True)
    result = summary.level2(str(res), str(art), None, str(splits))
    for rm in ("dist", "dist_pairwise_only"):
        assert {"pairs_trained", "val_accuracy", "human_accuracy", "ece"} <= result["rm"][rm].keys()
        assert result["rm"][rm]["ece"] == 0.05
    assert set(result["reinforce"]["functionals"]) == {"mean", "mean_minus_std"}
    assert result["reinforce"]["functionals"]["mean_minus_std"]["reward_functional"] == "mean_minus_std"
    assert result["reinforce"]["seeds"] == [0, 1] and result["reinforce"]["steps"] == 150
    primary = result["primary"]
    assert (primary["comparison"], primary["judge"], primary["gain"]) == ("mean - scalar", "rm_b", -0.1)
    assert primary["decision"] == "worse than the Level-1 policy"  # the whole interval lies below 0
    assert {"ci95", "method"} <= primary.keys() and result["test_prompts"] == 160
    assert "| dist_pairwise_only | 2,000 |" in summary.markdown(result)


examples = load_script("scripts/report/examples.py")


def test_examples_follow_the_rule_fixed_in_advance(tmp_path):
    hashes = [f"h{i:03d}" for i in range(160)]
    for run, shift in [("sft", 0.0), ("pol", 1.0)]:
        (tmp_path / run).mkdir()
        first = {"text": f"{run} answer to {{}}", "length": 7, "finished": run == "sft"}
        generations = [
            {"prompt_hash": h, "samples": [{**first, "text": first["text"].format(h)}, {}]} for h in hashes[::-1]
        ]
        (tmp_path / run / "generations.jsonl").write_text("".join(json.dumps(g) + "\n" for g in generations))
        scores = [{"prompt_hash": h, "sample0": {"score": i + shift}} for i, h in enumerate(hashes)]
        (tmp_path / run / "scores_rm_b.jsonl").write_text("".join(json.dumps(s) + "\n" for s in scores))
    runs = {"SFT": examples.first_sample(str(tmp_path), "sft", ["rm_b"])}
    runs["pol"] = examples.first_sample(str(tmp_path), "pol", ["rm_b"])
    assert examples.chosen_prompts(hashes[::-1]) == ["h000", "h031", "h063", "h095", "h127", "h159"]
    text = examples.markdown({h: f"question {h}" for h in hashes}, runs, ["rm_b"])
    assert text.count("#### Test prompt ranked") == 6 and "question h031" in text and "question h030" not in text
    assert "**pol** (rm_b +32.00; 7 tokens, cut at the budget)" in text  # h031 is row 31: 31 + 1
    assert "**SFT** (rm_b +159.00; 7 tokens, finished)" in text
    with pytest.raises(ValueError, match="at least 160"):
        examples.chosen_prompts(hashes[:100])


def test_example_fence_cannot_be_closed_by_the_response():
    assert examples.fence("plain").startswith("```text\n")
    assert examples.fence("code:\n```python\nx\n```").startswith("````text\n")


text_shift = load_script("scripts/report/text_shift.py")


def test_text_shift_finds_a_planted_habit(tmp_path):
    """The policy adds "Great question!" and a bullet list to half its responses; SFT never does."""
    prompts = [f"p{i}" for i in range(20)]
    plain = "The answer is four because two and two make four."
    habit = "Great question!\n- The answer is four."
    for run, texts in [("sft", [plain, plain]), ("pol0", [habit, plain]), ("pol1", [plain, habit])]:
        (tmp_path / run).mkdir()
        records = [{"prompt_hash": p, "samples": [{"text": t} for t in texts]} for p in prompts]
        (tmp_path / run / "generations.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    result = text_shift.analyse(str(tmp_path), "sft", {"pol": ["pol0", "pol1"]})
    markers = result["policies"]["pol"]["markers"]
    assert markers["bullet list"] == {"sft": 0.0, "policy": 0.5, "difference": 0.5, "ci95": [0.5, 0.5]}
    assert markers["exclamation"]["difference"] == 0.5 and markers["numbered list"]["difference"] == 0.0
    rose = result["policies"]["pol"]["ngrams"]["rose"]
    assert {"ngram": "great question", "sft": 0.0, "policy": 0.5} in rose
    assert result["policies"]["pol"]["responses"] == 80
    openings = {o["opening"]: o["share"] for o in result["policies"]["pol"]["openings"]}
    assert openings == {"The answer is": 0.5, "Great question! -": 0.5}
    assert "| bullet list | 0.000 | 0.500 | +0.500 [+0.500, +0.500] |" in text_shift.markdown(result)


def test_text_shift_refuses_runs_on_other_prompts(tmp_path):
    for run, prompts in [("sft", ["a", "b"]), ("pol", ["a"])]:
        (tmp_path / run).mkdir()
        records = [{"prompt_hash": p, "samples": [{"text": "x"}]} for p in prompts]
        (tmp_path / run / "generations.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    with pytest.raises(ValueError, match="different prompts"):
        text_shift.analyse(str(tmp_path), "sft", {"pol": ["pol"]})


def test_same_steps_finds_the_first_step_where_runs_part(tmp_path):
    from torch.utils.tensorboard import SummaryWriter

    same_steps = load_script("scripts/report/same_steps.py")

    def log(name: str, rewards: list[float], speed: float) -> str:
        with SummaryWriter(str(tmp_path / name)) as writer:
            for step, reward in enumerate(rewards):
                writer.add_scalar("train/reward", reward, step)
                writer.add_scalar("train/rollouts_per_s", speed, step)  # wall clock: differs, ignored
        return str(tmp_path / name)

    dev = log("dev", [0.5, 0.25, 0.125], speed=1.0)
    longer = log("seed0", [0.5, 0.25, 0.125, 2.0], speed=2.0)
    parted = log("other", [0.5, 0.3, 0.125], speed=1.0)
    result = same_steps.same_steps(longer, dev)
    assert (result["common_steps"], result["last_common_step"], result["identical"]) == (3, 2, True)
    assert result["tags"] == ["train/reward"]
    result = same_steps.same_steps(parted, dev)
    assert not result["identical"] and result["first_differing_step"] == {"train/reward": 1}
    (events,) = (tmp_path / "dev").glob("events.out.tfevents.*")  # one event file of a log directory
    assert same_steps.same_steps(str(events), dev)["identical"]
    csv = tmp_path / "record.csv"  # a lost run's record, as export_scalars.py writes it: exact values
    values = [0.5, 0.25, 0.125 + 1e-9]  # the last a rounding apart from the logged 0.125
    csv.write_text(
        "run,tag,step,value\n" + "".join(f"/art/seed0/logs,train/reward,{s},{v!r}\n" for s, v in enumerate(values))
    )
    result = same_steps.same_steps(f"{csv}:seed0", dev)
    assert result["common_steps"] == 3 and result["first_differing_step"] == {"train/reward": 2}
    with pytest.raises(KeyError, match="no run 'seed1'"):
        same_steps.same_steps(f"{csv}:seed1", dev)


def test_finish_rates_by_hand_and_refused_past_the_runs_budget(tmp_path, monkeypatch):
    def response(length: int, finished: bool) -> dict:
        return {"length": length, "finished": finished}

    records = [  # prompt 1: samples end at 100 and 300 tokens; prompt 2: one at 200, one never (cut at 384)
        {"greedy": response(90, True), "samples": [response(100, True), response(300, True)]},
        {"greedy": response(384, False), "samples": [response(200, True), response(384, False)]},
    ]
    out = finish_rates.finish_rates(records, [128, 256, 384])
    assert {b: r["sampled_finished"] for b, r in out["budgets"].items()} == {"128": 0.25, "256": 0.5, "384": 0.75}
    assert {b: r["greedy_finished"] for b, r in out["budgets"].items()} == {"128": 0.5, "256": 0.5, "384": 0.5}
    assert out["prompts"] == 2 and out["sampled_responses"] == 4 and out["median_length_finished_samples"] == 200
    run = tmp_path / "sft"
    run.mkdir()
    (run / "generations.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    settings = {"policy": str(tmp_path / "missing.gguf"), "max_new_tokens": 384, "samples": 2, "temperature": 1.0,
                "seed": 0, "precision": "32", "max_prompt_length": 384, "sources": ["a"], "out": "x"}  # fmt: skip
    (run / "generate_settings.json").write_text(json.dumps(settings))
    argv = ["finish_rates.py", "--run", f"sft={run / 'generations.jsonl'}", "--out", str(tmp_path / "rates.json")]
    monkeypatch.setattr("sys.argv", [*argv, "--budgets", "256", "512"])
    with pytest.raises(SystemExit, match="made with 384 new tokens"):  # 512 would count unfinished-at-384 as never
        finish_rates.main()
    monkeypatch.setattr("sys.argv", [*argv, "--budgets", "128", "384"])
    finish_rates.main()
    written = json.loads((tmp_path / "rates.json").read_text())["runs"]["sft"]
    assert written["budgets"]["384"]["sampled_finished"] == 0.75 and written["max_new_tokens"] == 384
    assert "out" not in written and "| sft (2) | 384 | 0.75 [" in (tmp_path / "rates.md").read_text()


def test_probe_by_length_groups_sft_answers_by_hand():
    def prompt(name: str, answer: float, probe: float) -> dict:
        return {"prompt_hash": name, "answer": {"score": answer}, "probe": {"score": probe}}

    greedy = {  # two short finished answers, one of 64 tokens (the next group's first), two cut at the budget
        "a": {"length": 10, "finished": True},
        "b": {"length": 63, "finished": True},
        "c": {"length": 64, "finished": True},
        "d": {"length": 256, "finished": False},
        "e": {"length": 256, "finished": False},
    }
    scores = {"a": (0.0, 1.0), "b": (2.0, 1.0), "c": (0.0, 1.0), "d": (3.0, 1.0), "e": (1.0, 1.0)}  # e: a tie, no win
    per_prompt = [prompt(name, answer, probe) for name, (answer, probe) in scores.items()]
    out = probe_by_length.probe_by_length(per_prompt, greedy)
    assert list(out) == ["finished, 0-63 tokens", "finished, 64-127 tokens", "unfinished"]
    assert [g["prompts"] for g in out.values()] == [2, 1, 2]
    assert [g["probe_beats_answer"] for g in out.values()] == [0.5, 1.0, 0.0]
    assert out["finished, 0-63 tokens"]["mean_answer_length"] == 36.5
    assert out["unfinished"]["probe_beats_answer_ci95"][1] > 0  # 0 of 2 is not a certain 0
    assert probe_by_length.answer_group({"length": 300, "finished": True}) == "finished, 128+ tokens"
    with pytest.raises(SystemExit, match="1 probe prompts have no SFT answer"):
        probe_by_length.probe_by_length([*per_prompt, prompt("f", 0.0, 1.0)], greedy)


def test_rm_by_length_gap_splits_pairs_by_the_length_ratio_by_hand(tmp_path):
    def pair(prompt: str, chosen_length: int, rejected_length: int, chosen: float, rejected: float) -> dict:
        lengths = {"prompt_length": 5, "chosen_length": chosen_length, "rejected_length": rejected_length}
        return {"prompt_hash": prompt, **lengths, "chosen": {"score": chosen}, "rejected": {"score": rejected}}

    pairs = [
        pair("a", 100, 100, 1.0, 0.0),  # equal lengths: the length rule ties (1/2), the RM is right
        pair("a", 110, 100, 0.0, 1.0),  # ratio 1.1, chosen longer: the rule is right, the RM wrong
        pair("b", 100, 124, 1.0, 1.0),  # ratio 1.24, chosen shorter: the rule wrong, the RM ties (1/2)
        pair("b", 125, 100, 2.0, 1.0),  # ratio 1.25 exactly: the next group's first; both right
        pair("c", 50, 100, 1.0, 0.0),  # ratio 2, chosen shorter: the RM right, the rule wrong
    ]
    out = by_length_gap.by_length_gap(pairs[::-1])  # groups in their fixed order, whatever the pairs' order
    assert list(out) == ["all", "equal", "< 1.25", "1.25 to 2", ">= 2"]
    assert list(by_length_gap.by_length_gap(pairs[1:3])) == ["all", "< 1.25"]  # empty groups left out
    assert [out[g]["pairs"] for g in out] == [5, 1, 2, 1, 1] and out["< 1.25"]["prompts"] == 2
    assert out["all"]["rm_accuracy"]["mean"] == pytest.approx((1 + 0 + 0.5 + 1 + 1) / 5)
    assert out["all"]["length_rule_accuracy"]["mean"] == pytest.approx((0.5 + 1 + 0 + 1 + 0) / 5)
    assert out["< 1.25"]["rm_accuracy"]["mean"] == 0.25 and out["< 1.25"]["length_rule_accuracy"]["mean"] == 0.5
    assert out["< 1.25"]["rm_minus_length_rule"]["mean"] == -0.25 and out[">= 2"]["rm_minus_length_rule"]["mean"] == 1
    low, high = out["all"]["rm_minus_length_rule"]["ci95"]  # resamples the three prompts, not the five pairs
    assert low <= out["all"]["rm_minus_length_rule"]["mean"] <= high
    assert by_length_gap.gap_group(1, 0) == ">= 2"  # an empty response: no division by zero

    scores = tmp_path / "scores.jsonl.gz"
    write_jsonl(str(scores), pairs)
    by_length_gap.main(["--rm", "RM_X", "--scores", f"held-out={scores}", "--out", str(tmp_path / "gap.json")])
    table = (tmp_path / "gap.md").read_text()
    assert "| held-out | < 1.25 | 2 (2) | 0.250 [" in table and table.startswith("| RM_X on |")
    assert "| held-out | equal | 1 (1) | 1.000 — | 0.500 — | +0.500 — |" in table  # one prompt: no interval
    with pytest.raises(SystemExit, match="expected NAME=FILE"):
        by_length_gap.main(["--rm", "RM_X", "--scores", str(scores), "--out", str(tmp_path / "x.json")])
