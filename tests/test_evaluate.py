"""The evaluation stages end to end on the tiny model: generate -> judge -> compare, pairs, probe, resume."""

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import REPO, write_rows

from evaluate import main
from rlhf.dataset import prompt_hash
from rlhf.evaluate import distribution_report, length_controls, read_jsonl, repeated_ngram_fraction
from rlhf.paths import InputError
from rlhf.tiny import build_tiny_model, synthetic_preference_rows


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """Data with a split file, and two 'policies': the SFT tiny model and another tiny model (a different seed)."""
    root = tmp_path_factory.mktemp("eval")
    rows = synthetic_preference_rows(num_prompts=12, pairs_per_prompt=2)
    data = write_rows(root / "pairs.jsonl", rows)
    roles = {"test": sorted({prompt_hash(r) for r in rows[:16]}), "dev": sorted({prompt_hash(r) for r in rows[16:]})}
    (root / "splits.json").write_text(json.dumps({"roles": roles}))
    return {
        "root": root,
        "data": data,
        "splits": str(root / "splits.json"),
        "dev_rows": rows[16:],
        "other": str(build_tiny_model(root / "other", seed=1)),
    }


def generate(study, policy, out, seed=0, *extra):
    main(
        ["generate", "--policy", policy, "--reference", study["sft"], "--tokenizer", study["sft"]]
        + ["--data", study["data"], "--splits", study["splits"], "--roles", "test", "--samples", "2"]
        + ["--max-new-tokens", "6", "--batch-size", "3", "--seed", str(seed), "--out", str(out), *extra]
    )
    return [json.loads(line) for line in out.read_text().splitlines()]


def test_generate_judge_compare(study, tiny_model, scalar_rm, distribution_rm):
    study["sft"] = tiny_model
    root = study["root"]
    sft = generate(study, tiny_model, root / "sft/generations.jsonl")
    assert len(sft) == 8 and all(len(r["samples"]) == 2 for r in sft)
    assert all(abs(s["kl"]) < 1e-4 for r in sft for s in r["samples"])  # SFT against itself: KL 0
    for seed in (0, 1):
        generate(study, study["other"], root / f"other/seed{seed}/generations.jsonl", seed)
    # Resume: a partial file is completed, not redone.
    partial = root / "other/partial/generations.jsonl"
    partial.parent.mkdir(parents=True)
    partial.write_text(
        "".join(line + "\n" for line in (root / "other/seed0/generations.jsonl").read_text().splitlines()[:3])
    )
    assert len(generate(study, study["other"], partial)) == 8
    runs = [root / "sft", root / "other/seed0", root / "other/seed1"]
    for judge, rm in (("scalar", scalar_rm), ("dist", distribution_rm)):
        for run in runs:
            main(
                [
                    "judge",
                    "--rm",
                    rm,
                    "--generations",
                    str(run / "generations.jsonl"),
                    "--out",
                    str(run / f"scores_{judge}.jsonl"),
                ]
            )
    scores = [json.loads(line) for line in (root / "sft/scores_dist.jsonl").read_text().splitlines()]
    assert {"greedy", "sample0", "sample1"} <= scores[0].keys() and "score_std" in scores[0]["greedy"]
    probs = torch.tensor(scores[0]["greedy"]["probs"])  # p(s) itself, and the score is its mean
    assert probs.sum().item() == pytest.approx(1, abs=1e-4)
    assert (probs * torch.arange(1, 11)).sum().item() == pytest.approx(scores[0]["greedy"]["score"], abs=1e-4)

    out = root / "table.json"
    policy = f"other={runs[1]},{runs[2]}"
    main(["compare", "--sft", str(runs[0]), "--policy", policy, "--policy", f"sft_again={runs[0]},{runs[0]}"]
         + ["--versus", "other:sft_again", "--judges", "scalar", "dist", "length", "--primary", "other/scalar"]
         + ["--secondary", "other - sft_again", "--out", str(out)])  # fmt: skip
    table = json.loads(out.read_text())
    same = table["policies"]["sft_again"]["judges"]["scalar"]
    assert same["gain"] == 0 and same["greedy_win_rate"] == 0.5 and same["greedy_identical"] == 1.0
    # Policy against policy, seeds paired: the second "policy" is SFT twice, so this must equal "other vs SFT".
    versus = table["policies"]["other - sft_again"]["judges"]["dist"]
    assert versus["gain"] == pytest.approx(table["policies"]["other"]["judges"]["dist"]["gain"])
    other = table["policies"]["other"]["judges"]["length"]
    assert other["seeds"] == 2 and len(other["gain_per_seed"]) == 2 and other["prompts"] == 8
    assert other["ci95_hierarchical"][0] <= other["gain"] <= other["ci95_hierarchical"][1]
    # The secondary family: the primary comparison under the other judges, its length-controlled gain and greedy
    # win rate under the primary judge, and what --secondary names; the rest is descriptive.
    assert set(table["holm_adjusted_p"]) == {
        "other/dist", "other/length", "other/scalar length-controlled", "other/scalar greedy win rate",
        "other - sft_again/scalar",
    }  # fmt: skip
    assert all(table["holm_adjusted_p"][k] >= p for k, p in table["secondary_p"].items())
    assert same["p_value"] == same["greedy_win_p_value"] == 1.0  # SFT against itself: every difference is 0
    assert "kl" in table["policies"]["other"]["behaviour"][0]
    tables = out.with_suffix(".md").read_text()
    assert tables.startswith("| policy (vs SFT, or a - b) | judge |")
    behaviour = table["policies"]["other"]["behaviour"][1]
    assert f"| other seed 1 | {behaviour['kl']:.2f} | {behaviour['length']:.1f} |" in tables
    assert "| SFT | " in tables and "other - sft_again seed" not in tables
    assert "| other/scalar greedy win rate | " in tables
    seed1 = [table["policies"]["other"]["judges"][j]["gain_per_seed"][1] for j in ("scalar", "dist", "length")]
    cells = " | ".join(f"{c['mean']:+.3g} [{c['ci95'][0]:+.3g}, {c['ci95'][1]:+.3g}]" for c in seed1)
    assert f"| other | 1 | {cells} |" in tables.splitlines()
    with pytest.raises(InputError, match="not among the comparisons"):  # a misspelt endpoint is not dropped silently
        main(["compare", "--sft", str(runs[0]), "--policy", policy, "--judges", "scalar", "--secondary", "othr"]
             + ["--out", str(out)])  # fmt: skip


def test_pairs_and_probe(study, tiny_model, scalar_rm, distribution_rm, tmp_path):
    study["sft"] = tiny_model
    out = tmp_path / "acc.json"
    main(
        [
            "pairs",
            "--rm",
            scalar_rm,
            "--pairs",
            study["data"],
            "--splits",
            study["splits"],
            "--roles",
            "test",
            "--out",
            str(out),
            "--scores-out",
            str(tmp_path / "pair_scores.jsonl.gz"),
        ]
    )
    report = json.loads(out.read_text())
    assert report["n_pairs"] == 16 and report["n_prompts"] == 8
    # the pairs' scores give back the report's accuracy and length baseline, one record per pair
    pairs = read_jsonl(tmp_path / "pair_scores.jsonl.gz")
    assert len(pairs) == 16 and len({p["pair"] for p in pairs}) == 16 and len({p["prompt_hash"] for p in pairs}) == 8
    agree = [(p["chosen"]["score"] > p["rejected"]["score"]) + 0.5 * (p["chosen"]["score"] == p["rejected"]["score"])
             for p in pairs]  # fmt: skip
    longer = [(p["chosen_length"] > p["rejected_length"]) + 0.5 * (p["chosen_length"] == p["rejected_length"])
              for p in pairs]  # fmt: skip
    assert sum(agree) / 16 == pytest.approx(report["accuracy"]["mean"])
    assert sum(longer) / 16 == pytest.approx(report["length_baseline"]["mean"])
    assert all(min(p["prompt_length"], p["chosen_length"], p["rejected_length"]) > 0 for p in pairs)  # responses' own
    subset = tmp_path / "subset.json"
    main(["pairs", "--rm", scalar_rm, "--pairs", study["data"], "--splits", study["splits"], "--max-prompts", "3",
          "--out", str(subset)])  # fmt: skip
    assert json.loads(subset.read_text())["n_prompts"] == 3 and json.loads(subset.read_text())["n_pairs"] == 6
    assert report["pairs_dropped_for_length"] == 0 and report["precision"] == "bf16-mixed"  # the default, recorded
    short = tmp_path / "short.json"  # too short for some responses: the pairs dropped are counted
    main(["pairs", "--rm", scalar_rm, "--pairs", study["data"], "--splits", study["splits"], "--roles", "test",
          "--max-length", "60", "--out", str(short)])  # fmt: skip
    counted = json.loads(short.read_text())
    assert counted["pairs_dropped_for_length"] + counted["n_pairs"] == 16 and 0 < counted["n_pairs"] < 16
    assert 0 <= report["accuracy"]["mean"] <= 1 and 0 <= report["length_baseline"]["mean"] <= 1
    controls = report["length_controls"]  # the same pairs, split by which side is longer
    split = controls["accuracy_chosen_longer"]["n"] + controls["accuracy_chosen_shorter"]["n"]
    assert controls["rm_minus_length_baseline"]["n"] == 16 and split <= 16
    assert controls["rm_minus_length_baseline"]["mean"] == pytest.approx(
        report["accuracy"]["mean"] - report["length_baseline"]["mean"]
    )
    gens = tmp_path / "sft/generations.jsonl"
    generate(study, tiny_model, gens)
    probe = tmp_path / "probe.txt"
    probe.write_text(" } } } garbage }")
    main(
        [
            "probe",
            "--rm",
            scalar_rm,
            "--generations",
            str(gens),
            "--probe",
            str(probe),
            "--out",
            str(tmp_path / "p.json"),
        ]
    )
    report = json.loads((tmp_path / "p.json").read_text())
    per_prompt = report["per_prompt"]  # the report's share, from its per-prompt scores
    assert len(per_prompt) == report["n_prompts"] == len({r["prompt_hash"] for r in per_prompt})
    share = sum(r["probe"]["score"] > r["answer"]["score"] for r in per_prompt) / len(per_prompt)
    assert report["probe_beats_answer"] == pytest.approx(share, abs=1e-5)
    low, high = report["probe_beats_answer_ci95"]
    assert 0 <= low <= report["probe_beats_answer"] <= high <= 1
    main(["probe", "--rm", distribution_rm, "--generations", str(gens), "--probe", str(probe),
          "--out", str(tmp_path / "pd.json")])  # fmt: skip
    report = json.loads((tmp_path / "pd.json").read_text())
    assert 0 < report["spread_answer_mean"] < 4.5 and 0 < report["spread_probe_mean"] < 4.5  # std on 1..10
    gap = report["spread_probe_minus_answer"]  # the paired difference of the two means, with its interval
    assert gap["mean"] == pytest.approx(report["spread_probe_mean"] - report["spread_answer_mean"], abs=1e-5)
    assert gap["ci95"][0] <= gap["mean"] <= gap["ci95"][1]
    assert report["precision"] == "bf16-mixed"


class CutAfter:
    """reward_logits that stops the run (as a session's end does) after ``calls`` batches; counts the batches."""

    def __init__(self, real, calls=None):
        self.real, self.calls, self.batches = real, calls, 0

    def __call__(self, *args):
        if self.calls is not None and self.batches == self.calls:
            raise KeyboardInterrupt("cut off")
        self.batches += 1
        return self.real(*args)


def test_cut_off_scoring_resumes_after_its_last_batch_bit_for_bit(scalar_rm, distribution_rm, monkeypatch, tmp_path):
    import rlhf.evaluate as stages
    from rlhf.models import load_reward_model, load_tokenizer

    tokenizer = load_tokenizer(scalar_rm)
    rm = load_reward_model(scalar_rm, tokenizer.pad_token_id).eval()
    sequences, pad, fp32 = [list(range(5, 5 + n)) for n in (9, 3, 7, 4, 12, 5, 8)], tokenizer.pad_token_id, "32"
    whole = stages.rm_outputs(rm, sequences, pad, 2, stages._autocast(fp32))  # 4 batches, uninterrupted

    def progress(model=rm, seqs=sequences, batch_size=2, context=fp32):
        return stages.ScoringProgress(tmp_path / "p.pt", model, seqs, batch_size, context)

    cut = CutAfter(stages.reward_logits, calls=2)
    monkeypatch.setattr(stages, "reward_logits", cut)
    with pytest.raises(KeyboardInterrupt):
        stages.rm_outputs(rm, sequences, pad, 2, stages._autocast(fp32), progress())
    assert len(progress().load()) == 2 and not (tmp_path / "p.pt.tmp").exists()
    resumed = CutAfter(cut.real)
    monkeypatch.setattr(stages, "reward_logits", resumed)
    assert torch.equal(stages.rm_outputs(rm, sequences, pad, 2, stages._autocast(fp32), progress()), whole)
    assert resumed.batches == 2  # only the batches the cut-off run had not done
    # another RM, other sequences, another batch size or precision: the kept batches are not theirs
    other_rm = load_reward_model(distribution_rm, tokenizer.pad_token_id)
    assert all(progress(**change).load() == [] for change in (
        {"model": other_rm}, {"seqs": sequences[:-1]}, {"batch_size": 3}, {"context": "bf16-mixed"}))  # fmt: skip
    progress().finish()
    assert not (tmp_path / "p.pt").exists()


def test_a_cut_off_stage_writes_what_an_uninterrupted_one_writes(study, scalar_rm, monkeypatch, tmp_path):
    import rlhf.evaluate as stages

    def pairs(out, *extra):
        main(["pairs", "--rm", scalar_rm, "--pairs", study["data"], "--splits", study["splits"], "--roles", "test",
              "--batch-size", "4", "--out", str(out), "--scores-out", f"{out}.scores.jsonl", *extra])  # fmt: skip
        return out.read_text(), Path(f"{out}.scores.jsonl").read_text()

    whole = pairs(tmp_path / "whole.json")
    kept = tmp_path / "elsewhere/progress.pt"
    real = stages.reward_logits
    monkeypatch.setattr(stages, "reward_logits", CutAfter(real, calls=3))
    with pytest.raises(KeyboardInterrupt):
        pairs(tmp_path / "cut.json", "--progress", str(kept))
    assert kept.exists() and not (tmp_path / "cut.json").exists()
    resumed = CutAfter(real)
    monkeypatch.setattr(stages, "reward_logits", resumed)
    assert pairs(tmp_path / "cut.json", "--progress", str(kept)) == whole
    assert resumed.batches == 8 - 3 and not kept.exists()  # 32 responses in batches of 4
    assert not list(tmp_path.glob("*.partial.pt*"))  # the default progress files went with their runs


def test_length_controls_by_hand():
    agree = torch.tensor([1.0, 0.0, 1.0, 1.0, 0.5])  # the last: the RM ties
    chosen_len, rejected_len = torch.tensor([10, 5, 3, 7, 9]), torch.tensor([5, 10, 8, 7, 4])
    controls = length_controls(agree, chosen_len, rejected_len, ["p", "p", "q", "r", "s"])
    # length baseline per pair: 1, 0, 0, 1/2, 1; the RM prefers the longer: 1, 1, 0, (equal) 1/2, 1/2
    assert controls["rm_minus_length_baseline"]["mean"] == pytest.approx((0 + 0 + 1 + 0.5 - 0.5) / 5)
    assert controls["rm_prefers_longer"]["mean"] == pytest.approx(3 / 5)
    assert controls["accuracy_chosen_longer"] == {"mean": 0.75, "n": 2, "ci95": [0.5, 1.0]}  # pairs 1 and 5
    assert controls["accuracy_chosen_shorter"]["mean"] == 0.5 and controls["accuracy_chosen_shorter"]["n"] == 2
    none_shorter = length_controls(agree[:1], chosen_len[:1], rejected_len[:1], ["p"])["accuracy_chosen_shorter"]
    assert none_shorter == {"mean": None, "n": 0, "ci95": None}


def one_hot_logits(scores: list[int]) -> torch.Tensor:
    """Logits whose softmax is (to float precision) all mass on the given score of 1..10."""
    return 50.0 * torch.nn.functional.one_hot(torch.tensor(scores) - 1, 10).float()


def test_distribution_report_by_hand():
    chosen, rejected = one_hot_logits([8, 6]), one_hot_logits([3, 6])  # a clear win, then a sure tie
    ratings = torch.tensor([8.0, 6.0]), torch.tensor([3.0, float("nan")])  # one response without a grade
    report = distribution_report(chosen, rejected, *ratings, rating_range=[1, 10])
    assert report["p_win_mean"] == pytest.approx(0.75)  # P = 1 and P = 1/2 (ties count half)
    assert report["p_win_accuracy"] == pytest.approx(0.75)
    assert report["log_loss"] == pytest.approx(math.log(2) / 2)
    assert report["ece_p_win"] == pytest.approx(0.0, abs=1e-6)  # sure and right; a coin flip scored as a coin flip
    assert report["score_std_mean"] == pytest.approx(0.0, abs=1e-6)
    grades = report["grades"]
    assert grades["n"] == 3 and grades["nll"] == pytest.approx(0.0, abs=1e-6)
    assert grades["mean_abs_error"] == pytest.approx(0.0, abs=1e-5) and grades["pearson"] == pytest.approx(1.0)
    assert grades["within_central_80"] == 1.0
    assert "grades" not in distribution_report(chosen, rejected, *ratings)  # no scale given: no grade analysis


def test_grade_baseline_is_the_training_grades_shares_by_hand():
    chosen, rejected = one_hot_logits([8, 6]), one_hot_logits([3, 6])
    ratings = torch.tensor([8.0, 6.0]), torch.tensor([3.0, float("nan")])
    prior = torch.tensor([8.0, 8.0, 3.0, float("nan")])  # counts 2 x 8, 1 x 3, plus one of each score: 13
    baseline = distribution_report(chosen, rejected, *ratings, [1, 10], prior)["grades"]["marginal_baseline"]
    shares = [1 / 13] * 10
    shares[7], shares[2] = 3 / 13, 2 / 13
    assert baseline["n_prior"] == 3 and baseline["shares"] == pytest.approx(shares)
    assert baseline["nll"] == pytest.approx(-(math.log(3 / 13) + math.log(1 / 13) + math.log(2 / 13)) / 3)
    mean = sum((s + 1) * share for s, share in enumerate(shares))  # 74 / 13
    assert baseline["mean_abs_error"] == pytest.approx((abs(mean - 8) + abs(mean - 6) + abs(mean - 3)) / 3)
    assert baseline["within_central_80"] == 1.0  # its 10% and 90% quantiles are 2 and 9


def test_pairs_of_a_distributional_rm(study, distribution_rm, tmp_path):
    out = tmp_path / "dist.json"
    scores = [tmp_path / f"dist_scores_{i}.jsonl.gz" for i in (0, 1)]
    for path in scores:  # twice: the same pairs give the same bytes
        main(["pairs", "--rm", distribution_rm, "--pairs", study["data"], "--splits", study["splits"],
              "--rating-range", "1", "10", "--out", str(out), "--scores-out", str(path)])  # fmt: skip
    assert scores[0].read_bytes() == scores[1].read_bytes()
    for side in (p[key] for p in read_jsonl(scores[0]) for key in ("chosen", "rejected")):  # p(s) and its mean
        assert sum(side["probs"]) == pytest.approx(1, abs=1e-5)
        assert side["score"] == pytest.approx(sum((s + 1) * q for s, q in enumerate(side["probs"])), abs=1e-4)
    report = json.loads(out.read_text())
    distribution = report["distribution"]
    assert 0 <= distribution["ece_p_win"] <= 0.5 and distribution["grades"]["n"] == 2 * report["n_pairs"]
    assert 0 < distribution["entropy_mean"] <= math.log(10) + 1e-6
    main(["pairs", "--rm", distribution_rm, "--pairs", study["data"], "--splits", study["splits"],
          "--rating-range", "1", "10", "--grade-prior-roles", "dev", "--out", str(out)])  # fmt: skip
    baseline = json.loads(out.read_text())["distribution"]["grades"]["marginal_baseline"]
    grades = [r[f"{side}_rating"] for r in study["dev_rows"] for side in ("chosen", "rejected")]
    counts = [grades.count(s) + 1 for s in range(1, 11)]
    assert baseline["n_prior"] == len(grades) and baseline["shares"] == pytest.approx([c / sum(counts) for c in counts])
    with pytest.raises(InputError, match="--rating-range"):
        main(["pairs", "--rm", distribution_rm, "--pairs", study["data"], "--splits", study["splits"],
              "--grade-prior-roles", "dev", "--out", str(out)])  # fmt: skip


def test_repetition_measure():
    assert repeated_ngram_fraction([1, 2, 3, 4] * 10) > 0.8
    assert repeated_ngram_fraction(list(range(40))) == 0.0


def test_bad_input_is_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, str(REPO / "evaluate.py"), "judge", "--rm", str(tmp_path / "nope"),
         "--generations", "x.jsonl", "--out", "y.jsonl"],
        capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip
    assert result.returncode == 2 and result.stderr.strip().startswith("error: model path")


def test_scoring_runs_at_the_precision_asked_for(study, tiny_model, scalar_rm, monkeypatch, tmp_path):
    """judge, probe and pairs take --precision like generate: float32 scores are the RM's float32 outputs."""
    import rlhf.evaluate as stages
    from evaluate import parser
    from rlhf.models import load_reward_model, load_tokenizer, reward_logits

    tokenizer = load_tokenizer(scalar_rm)
    rm = load_reward_model(scalar_rm, tokenizer.pad_token_id).eval()
    sequences, pad = [[5, 6, 7, 8], [9, 10]], tokenizer.pad_token_id
    ids, mask = torch.tensor([[5, 6, 7, 8], [9, 10, pad, pad]]), torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]])
    with torch.inference_mode():
        fp32 = reward_logits(rm, ids, mask)
    assert torch.equal(stages.rm_outputs(rm, sequences, pad, 2, stages._autocast("32")), fp32)
    assert not torch.equal(stages.rm_outputs(rm, sequences, pad, 2, stages._autocast("bf16-mixed")), fp32)

    asked = []
    real = stages._autocast
    monkeypatch.setattr(
        stages, "_autocast", lambda precision, device: asked.append((precision, device)) or real(precision)
    )
    study["sft"] = tiny_model
    generate(study, tiny_model, tmp_path / "generations.jsonl", 0, "--precision", "32")
    main(["judge", "--rm", scalar_rm, "--generations", str(tmp_path / "generations.jsonl")]
         + ["--out", str(tmp_path / "scores.jsonl"), "--precision", "32"])  # fmt: skip
    assert asked == [("32", "cpu"), ("32", "cpu")]  # generate, then judge
    for stage in ("probe", "pairs"):
        required = {"probe": ["--generations", "g", "--probe", "p"], "pairs": ["--pairs", "p"]}[stage]
        assert parser().parse_args([stage, "--rm", "r", *required, "--out", "o", "--precision", "32"]).precision == "32"


def test_every_scoring_stage_runs_where_asked_and_names_a_missing_gpu(
    study, tiny_model, scalar_rm, monkeypatch, tmp_path
):
    """--device (the GPU replicate passes cuda) reaches every stage; asking for a GPU that is not there is a named
    error before anything runs, not a crash inside PyTorch."""
    from evaluate import parser

    for stage, required in {"generate": ["--policy", "p", "--tokenizer", "t", "--data", "d"],
                            "judge": ["--rm", "r", "--generations", "g"], "pairs": ["--rm", "r", "--pairs", "p"],
                            "probe": ["--rm", "r", "--generations", "g", "--probe", "p"]}.items():  # fmt: skip
        assert parser().parse_args([stage, *required, "--out", "o"]).device == "cpu"
        assert parser().parse_args([stage, *required, "--out", "o", "--device", "cuda"]).device == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(InputError, match="no CUDA device"):
        main(["pairs", "--rm", scalar_rm, "--pairs", study["data"], "--device", "cuda", "--out", str(tmp_path / "a")])
    assert not (tmp_path / "a").exists()
