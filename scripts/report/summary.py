"""results/level{1,2}/summary.json from a study's result files (scripts/study/level{1,2}.sh write them all): the RMs'
accuracies, the REINFORCE settings as run, and the pre-registered primary endpoint with its decision, with the
sha256 of every model file the numbers came from.

python scripts/report/summary.py level1 --results results/level1 --artifacts $RLHF_ARTIFACTS --model $MODEL \
    --out results/level1/summary.json
python scripts/report/summary.py level2 --results results/level2 --artifacts $RLHF_ARTIFACTS --model $MODEL \
    --out results/level2/summary.json
python scripts/report/summary.py level1-rms --results results/level1 --artifacts $RLHF_ARTIFACTS --model $MODEL \
    --out results/level1/rm_summary.json     # the Level-1 RMs alone, as soon as they are judged
python scripts/report/summary.py level1-rms --rms A ...   # RM_A alone, judged before RM_B exists
python scripts/report/summary.py level2-rms --results results/level2 --artifacts $RLHF_ARTIFACTS --model $MODEL \
    --out results/level2/rm_summary.json     # the distributional RMs alone, as they are judged (--rms dist: one)
python scripts/report/summary.py level1 --results results/gpu --artifacts $RLHF_ARTIFACTS/gpu \
    --manifest results/gpu/artifacts.sha256 --run-record results/gpu/run.json --model $MODEL \
    --out results/gpu/summary.json           # the GPU replicate (scripts/gpu/device.sh unpack): its weights stayed
                                             # on the GPU machine, their sha256 in its manifest
Each also writes its tables for REPORT.md beside it (summary.md, rm_summary.md).
"""

import argparse
import csv
import datetime
import glob
import hashlib
import importlib.metadata
import itertools
import json
import os
from functools import partial

import torch
import yaml
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from rlhf.compare import secondary_markdown
from rlhf.evaluate import pair_margins, pair_scores_file, read_pair_scores
from rlhf.paths import write_result
from rlhf.stats import cluster_bootstrap_ci, spearman

FUNCTIONAL_ARGS = ("reward_functional", "risk_lambda")
HIERARCHICAL = "95% hierarchical bootstrap over seeds, then prompts (rlhf.stats)"


def load(path: str) -> dict:
    with open(path) as f:
        return json.load(f)


def sha256(path: str) -> str:
    """Of a file's bytes; of a directory (a Hugging Face model), of its files' relative names and bytes in order."""
    if not os.path.exists(path):  # not the empty digest of no files
        raise FileNotFoundError(f"{path}: no such file or directory to hash")
    digest = hashlib.sha256()
    files = [path] if os.path.isfile(path) else sorted(glob.glob(os.path.join(path, "**", "*"), recursive=True))
    for file in filter(os.path.isfile, files):
        if file != path:
            digest.update(os.path.relpath(file, path).encode() + b"\0")
        with open(file, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def weights_sha256(artifacts: str, relative: str, manifest: str | None = None) -> str:
    """Of a model file under ``artifacts``; where the file is not here (a run on another machine), as its
    ``manifest`` (``sha256sum`` lines, names relative to ``artifacts``) records it."""
    path = os.path.join(artifacts, relative)
    if os.path.exists(path) or manifest is None:
        return sha256(path)
    with open(manifest) as f:
        pins = dict(reversed(line.split()) for line in f if line.strip())
    if relative not in pins:
        raise FileNotFoundError(f"{path} is not here and {manifest} does not list {relative}")
    return pins[relative]


def log_dir(artifacts: str, name: str) -> str:
    return os.path.join(artifacts, name, "logs", name, "version_0")


def run_config(artifacts: str, name: str) -> dict:
    with open(os.path.join(log_dir(artifacts, name), "config.yaml")) as f:
        return yaml.safe_load(f)


def compute_hours(log_dir: str, max_gap_s: float | None = None, paused: list[tuple[float, float]] = ()) -> float:
    """Hours a run computed, from the wall times of its logged scalars: within each event file (one process; a
    resumed run adds one), the sum of the gaps between consecutive events, less the time the process was stopped by
    hand (``paused``: (start, end) wall times, ``scripts/study/pause_run.sh``). Every other gap inside a process
    counts: its longest are its in-epoch validations and dev checks, which at float32 on two cores (the Zen 3 chain)
    take longer than any cut-off meant for a bf16 run would allow; ``max_gap_s`` leaves out longer gaps where that
    is not so. The break between a stopped process and its resumption is never counted, however short; steps the
    stopped process computed after its last checkpoint count again when the resumption repeats them."""

    def stopped(a: float, b: float) -> float:
        return sum(max(0.0, min(b, end) - max(a, start)) for start, end in paused)

    hours = 0.0
    for events in sorted(glob.glob(os.path.join(log_dir, "events.out.tfevents.*"))):
        accumulator = EventAccumulator(events, size_guidance={"scalars": 0})
        accumulator.Reload()
        times = sorted(e.wall_time for tag in accumulator.Tags()["scalars"] for e in accumulator.Scalars(tag))
        gaps = [(a, b) for a, b in zip(times, times[1:]) if max_gap_s is None or b - a <= max_gap_s]
        hours += sum(b - a - stopped(a, b) for a, b in gaps) / 3600
    return hours


def paused_spans(artifacts: str, name: str) -> list[tuple[float, float]]:
    """When a run's process was stopped by hand to free the cores for a short measurement (its ``pauses.log``,
    written by scripts/study/pause_run.sh: one ``START END`` pair of UTC ISO times per line)."""
    path = os.path.join(artifacts, name, "pauses.log")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        rows = [line.split()[:2] for line in f if line.strip()]
    return [tuple(datetime.datetime.fromisoformat(t).timestamp() for t in row) for row in rows]


def cpus(artifacts: str, name: str) -> list[str]:
    """The CPUs a run started or resumed on (scripts/study/env.sh's cpus.log): a run is exactly repeatable only on
    one kind, since bf16 kernels round differently from one CPU to another."""
    path = os.path.join(artifacts, name, "cpus.log")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return sorted({line.split(" ", 2)[2].strip() for line in f if line.strip()})


def rm_entry(results: str, artifacts: str, name: str, probe_needed: bool = True, manifest: str | None = None) -> dict:
    """One RM as trained (its config and ``training.json``) and as judged (``<name>_{test,human}_pairs.json``,
    ``<name>_probe.json``, which the probe on SFT's test answers writes later than the others: without
    ``probe_needed`` a missing one reads as None); a distributional RM adds what its p(s) says on the test pairs."""
    probe = os.path.join(results, f"{name}_probe.json")
    config = run_config(artifacts, name)
    data, trainer = config["data"], config["trainer"]
    train = load(os.path.join(artifacts, name, "export", "training.json"))
    accuracy = lambda r: {"mean": r["accuracy"]["mean"], "ci95": r["accuracy"]["ci95"], "n": r["n_pairs"]}  # noqa: E731
    test, human = (load(os.path.join(results, f"{name}_{k}_pairs.json")) for k in ("test", "human"))
    entry = {
        "pairs_trained": train["pairs_trained"],
        "train_roles": data["train_roles"],
        "max_length": data["max_length"],
        "pairs_per_optimizer_step": data["batch_size"] * trainer["accumulate_grad_batches"],
        "lr": config["model"]["init_args"]["lr"],
        "precision": trainer["precision"],
        "val_accuracy": accuracy(test),  # held-out substitute pairs (test prompts), prompt-clustered CI
        "human_accuracy": accuracy(human),
        "length_baseline": {"test": test["length_baseline"], "human": human["length_baseline"]},
        "length_controls": {"test": test["length_controls"], "human": human["length_controls"]},
        "probe_beats_sft_answer": load(probe)["probe_beats_answer"] if probe_needed or os.path.exists(probe) else None,
        "probe_beats_sft_answer_ci95": load(probe).get("probe_beats_answer_ci95") if os.path.exists(probe) else None,
        "weights_sha256": weights_sha256(artifacts, f"{name}/export/model.safetensors", manifest),
        "compute_hours": compute_hours(log_dir(artifacts, name), paused=paused_spans(artifacts, name)),
        "cpus": cpus(artifacts, name),
    }
    if "distribution" in test:
        entry["ece"] = test["distribution"]["ece_p_win"]
        entry["distribution"] = {"test": test["distribution"], "human": human["distribution"]}
    return entry


def rm_agreement(results: str, runs: dict[str, str]) -> dict:
    """How far two RMs' verdicts on the same pairs are one verdict, for every two of ``runs`` (summary key: run name)
    whose pair scores were kept: the share of pairs where both pick the same response, where both are right and
    where both are wrong (prompt-clustered intervals), and the rank correlation of their margins (chosen - rejected).
    RM_B is an independent judge only in its data; this is how independent its verdicts are on labelled pairs."""
    agreement = {}
    for (a, run_a), (b, run_b) in itertools.combinations(runs.items(), 2):
        for kind in ("test", "human"):
            files = {run: pair_scores_file(results, run, kind) for run in (run_a, run_b)}
            if not all(os.path.exists(f) for f in files.values()):
                continue
            keys, scores = read_pair_scores(files)
            margin_a, margin_b = pair_margins(scores[run_a], keys), pair_margins(scores[run_b], keys)
            clusters = [scores[run_a][k]["prompt_hash"] for k in keys]
            shares = {
                "same_choice": margin_a.sign() == margin_b.sign(),
                "both_right": (margin_a > 0) & (margin_b > 0),
                "both_wrong": (margin_a < 0) & (margin_b < 0),
            }
            agreement.setdefault(f"{a} / {b}", {})[kind] = {
                "n_pairs": len(keys),
                **{
                    k: {"mean": v.double().mean().item(), "ci95": cluster_bootstrap_ci(v, clusters)}
                    for k, v in shares.items()
                },
                "spearman_margins": spearman(margin_a, margin_b),
            }
    return agreement


def decision(ci: list[float], better: str, worse: str) -> str:
    """The pre-registered rule (REPORT.md §3.1, §3.2) applied to the primary interval."""
    return better if ci[0] > 0 else worse if ci[1] < 0 else "inconclusive at this scale"


def reinforce_settings(artifacts: str, runs: list[str]) -> dict:
    names = [os.path.basename(os.path.normpath(run)) for run in runs]
    configs = [run_config(artifacts, name) for name in names]
    model = configs[0]["model"]["init_args"]
    return {
        "runs": names,
        "compute_hours": [
            compute_hours(log_dir(artifacts, name), paused=paused_spans(artifacts, name)) for name in names
        ],
        "cpus": sorted({cpu for name in names for cpu in cpus(artifacts, name)}),
        "seeds": [c["seed_everything"] for c in configs],
        "steps": configs[0]["trainer"]["max_steps"],
        "rollouts_per_step": configs[0]["data"]["batch_size"],
        "max_new_tokens": model["max_new_tokens"],
        "lr": model["lr"],
        "beta": model["beta"],
        "baseline": model["baseline"],
        "baseline_momentum": model["baseline_momentum"],
        "precision": configs[0]["trainer"]["precision"],
    }


def primary_entry(compare: dict, method: str, better: str, worse: str) -> dict:
    primary = compare["primary"]
    result = compare["policies"][primary["policy"]]["judges"][primary["judge"]]
    return {
        "judge": primary["judge"],
        "comparison": primary["policy"],
        "gain": result["gain"],
        "gain_sft_std": result["gain_reference_std"],
        "ci95": result["ci95_hierarchical"],
        "ci95_t_over_seeds": result["ci95_t_over_seeds"],
        "method": method,
        "decision": decision(result["ci95_hierarchical"], better, worse),
    }


def judge_change(compare: dict, training_judge: str = "rm_a") -> dict:
    """How much of the gain the training RM sees survives the change to the independent judge, both in units of
    each judge's SFT score standard deviation (so RMs of different scales compare)."""
    primary = compare["primary"]
    judges = compare["policies"][primary["policy"]]["judges"]
    seen, independent = judges[training_judge]["gain_reference_std"], judges[primary["judge"]]["gain_reference_std"]
    return {
        "training_judge": training_judge,
        "independent_judge": primary["judge"],
        "training_gain_sft_std": seen,
        "independent_gain_sft_std": independent,
        "surviving_share": independent / seen if seen else None,
    }


def secondary_entry(compare: dict) -> dict:
    """The secondary endpoints' family (rlhf.compare.secondary_pvalues) with raw and Holm-adjusted p-values."""
    return {k: {"p": p, "holm_adjusted_p": compare["holm_adjusted_p"][k]} for k, p in compare["secondary_p"].items()}


def hardware(run_record: str | None = None) -> str:
    """The machine this summary was written on (the study's runs and this script share it), or, for runs made on a
    GPU machine, what their ``run_record`` (scripts/gpu/replicate.sh's run.json) says of it."""
    if run_record:
        run = load(run_record)
        return f"{run['gpu']} (CUDA {run['cuda']}), torch {run['torch']}, transformers {run['transformers']}"
    with open("/proc/cpuinfo") as f:
        model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "unknown CPU")
    return f"{model}, {os.cpu_count()} cores, no GPU used; torch {torch.__version__}"


# the packages whose versions can change the arithmetic (constraints.txt pins them); the earlier sessions did not
# record theirs, which left a library change open as a cause of the re-made RM's difference (REPORT.md status)
PACKAGES = ("torch", "transformers", "lightning", "accelerate", "gguf", "numpy", "safetensors", "tokenizers")


def software() -> dict:
    return {name: importlib.metadata.version(name) for name in PACKAGES}


def provenance(model_file: str | None, splits: str, sources: list[str], run_record: str | None = None) -> dict:
    return {
        "hardware": hardware(run_record),
        "software": software(),
        "sft_model": {"path": model_file, "sha256": sha256(model_file) if model_file else None},
        "data_sha256": load(splits)["data_sha256"],
        "sources": sources,
    }


def level1(
    results: str, artifacts: str, model_file: str | None, splits: str, manifest: str | None = None,
    run_record: str | None = None,
) -> dict:  # fmt: skip
    compare = load(os.path.join(results, "test_compare.json"))
    primary = compare["primary"]
    with open(os.path.join(results, "training_scalars.csv")) as f:
        steps = max(int(r["step"]) for r in csv.DictReader(f) if r["tag"] == "train/reward")
    method = (
        "mean over test prompts and seeds of (policy's mean judge score over its 2 sampled responses - SFT's); "
        + HIERARCHICAL
    )
    return {
        "rm": {k: rm_entry(results, artifacts, f"rm_{k.lower()}", manifest=manifest) for k in ("A", "B")},
        "rm_agreement": rm_agreement(results, {"A": "rm_a", "B": "rm_b"}),
        "reinforce": {
            **reinforce_settings(artifacts, compare["policies"][primary["policy"]]["runs"]),
            "last_logged_step": steps,
            **({"steps_reached": load(run_record)["steps_reached"]} if run_record else {}),
        },
        "test_prompts": compare["policies"][primary["policy"]]["judges"][primary["judge"]]["prompts"],
        "primary": {**primary_entry(compare, method, "beats SFT", "worse than SFT"), "policy": primary["policy"]},
        "judge_change": judge_change(compare),
        "secondary": secondary_entry(compare),
        **provenance(
            model_file,
            splits,
            ["test_compare.json", "dev_budget.json", "dev_lr.json", "rm_*.json", "rm_*_pair_scores.jsonl.gz"],
            run_record,
        ),
    }


def level1_rms(
    results: str, artifacts: str, model_file: str | None, splits: str, rms: tuple[str, ...] = ("A", "B")
) -> dict:
    """The Level-1 RMs as judged (both, or RM_A alone while RM_B trains), before any policy exists (the probe's
    column once the test evaluation ran)."""
    return {
        "rm": {k: rm_entry(results, artifacts, f"rm_{k.lower()}", probe_needed=False) for k in rms},
        "rm_agreement": rm_agreement(results, {k: f"rm_{k.lower()}" for k in rms}),
        **provenance(model_file, splits, ["rm_*.json", "rm_*_pair_scores.jsonl.gz"]),
    }


DIST_RMS = {"dist": "dist_a", "dist_pairwise_only": "dist_a_pairwise"}  # summary key: run name (level2.sh)


def level2_rms(
    results: str, artifacts: str, model_file: str | None, splits: str, rms: tuple[str, ...] = tuple(DIST_RMS)
) -> dict:
    """The distributional RMs as judged on the pairs (both, or the first alone while the ablation trains), before any
    policy exists (the probe's column once SFT's test answers are there)."""
    return {
        "rm": {k: rm_entry(results, artifacts, DIST_RMS[k], probe_needed=False) for k in rms},
        "rm_agreement": rm_agreement(results, {k: DIST_RMS[k] for k in rms}),
        **provenance(model_file, splits, ["dist_*.json", "dist_*_pair_scores.jsonl.gz"]),
    }


def level2(results: str, artifacts: str, model_file: str | None, splits: str) -> dict:
    compare = load(os.path.join(results, "test_compare.json"))
    primary = compare["primary"]
    functionals = [name for name in compare["policies"] if " - " not in name and name != "scalar"]
    settings = {f: reinforce_settings(artifacts, compare["policies"][f]["runs"]) for f in functionals}
    method = (
        "mean over test prompts and seeds of (Level-2 policy's mean judge score over its 2 sampled responses - the "
        "Level-1 policy's of the same seed index); " + HIERARCHICAL
    )
    return {
        "rm": {k: rm_entry(results, artifacts, name) for k, name in DIST_RMS.items()},
        "rm_agreement": rm_agreement(results, DIST_RMS),
        "reinforce": {
            **{k: v for k, v in settings[functionals[0]].items() if k not in ("runs", "compute_hours")},
            "functionals": {
                f: {k: run_config(artifacts, s["runs"][0])["model"]["init_args"][k] for k in FUNCTIONAL_ARGS}
                | {"runs": s["runs"], "compute_hours": s["compute_hours"]}
                for f, s in settings.items()
            },
        },
        "test_prompts": compare["policies"][primary["policy"]]["judges"][primary["judge"]]["prompts"],
        "primary": primary_entry(compare, method, "better than the Level-1 policy", "worse than the Level-1 policy"),
        "secondary": secondary_entry(compare),
        **provenance(
            model_file, splits, ["test_compare.json", "dist_*.json", "dist_*_pair_scores.jsonl.gz", "spread.json"]
        ),
    }


def rm_markdown(rms: dict) -> list[str]:
    """The RMs as judged: accuracy beside the length baseline (held-out and human pairs), the probe, length controls."""
    interval = lambda a: f"{a['mean']:.3f} [{a['ci95'][0]:.3f}, {a['ci95'][1]:.3f}]"  # noqa: E731
    lines = [
        "| RM | pairs trained | held-out pairs: accuracy [95% CI] | length baseline | human pairs: accuracy [95% CI] "
        "| length baseline | garbage answer beats SFT's |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, rm in rms.items():
        test, human, baseline = rm["val_accuracy"], rm["human_accuracy"], rm["length_baseline"]
        probe, probe_ci = rm["probe_beats_sft_answer"], rm.get("probe_beats_sft_answer_ci95")
        probe_cell = "not yet run" if probe is None else f"{probe:.3f}"
        if probe_ci:  # probe files since 2026-12-07
            probe_cell += f" [{probe_ci[0]:.3f}, {probe_ci[1]:.3f}]"
        lines.append(
            f"| {name} | {rm['pairs_trained']:,} | {interval(test)} (n={test['n']}) | {interval(baseline['test'])} "
            f"| {interval(human)} (n={human['n']}) | {interval(baseline['human'])} "
            f"| {probe_cell} |"
        )
    return [*lines, "", *length_controls_markdown(rms), *distribution_markdown(rms)]


def distribution_markdown(rms: dict) -> list[str]:
    """What a distributional RM's p(s) says (rlhf.evaluate.distribution_report): its P(chosen > rejected) and that
    probability's calibration, the spread of p, and how p fits the arena grades beside one fixed p (the grade shares
    of its training pairs)."""
    rows = [(name, kind, rm["distribution"][kind]) for name, rm in rms.items() if "distribution" in rm
            for kind in ("test", "human")]  # fmt: skip
    if not rows:
        return []
    lines = [
        "",
        "| RM | pairs | P(chosen ≻ rejected): mean | log loss | ECE | std of p (mean) | entropy of p (mean, nats) "
        "| grades: n | NLL, p / fixed p | MAE of E[s], p / fixed p | in p's central 80% | Pearson(E[s], grade) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, kind, d in rows:
        cells = [f"{d['p_win_mean']:.3f}", f"{d['log_loss']:.3f}", f"{d['ece_p_win']:.3f}",
                 f"{d['score_std_mean']:.2f}", f"{d['entropy_mean']:.2f}"]  # fmt: skip
        lines.append(
            f"| {name} | {'held-out' if kind == 'test' else 'human'} | " + " | ".join(cells + grade_cells(d)) + " |"
        )
    return lines


def grade_cells(report: dict) -> list[str]:
    """How p fits the pairs' grades (n, NLL and MAE beside one fixed p's, coverage, correlation); n/a without grades."""
    g = report.get("grades")
    if g is None:
        return ["0", "n/a", "n/a", "n/a", "n/a"]
    fixed = g.get("marginal_baseline")
    pair = lambda k: f"{g[k]:.2f} / {fixed[k]:.2f}" if fixed else f"{g[k]:.2f}"  # noqa: E731
    return [str(g["n"]), pair("nll"), pair("mean_abs_error"), f"{g['within_central_80']:.2f}", f"{g['pearson']:.2f}"]


def markdown(summary: dict) -> str:
    """The summary's tables for REPORT.md: the RMs as judged, the primary endpoint, the secondary family."""
    lines = rm_markdown(summary["rm"]) + agreement_markdown(summary.get("rm_agreement", {}))
    if "primary" not in summary:  # the RMs alone (level1-rms)
        return "\n".join(lines) + "\n"
    primary = summary["primary"]
    low, high = primary["ci95"]
    lines += [
        "",
        f"**Primary endpoint** ({primary['comparison']}, judge {primary['judge']}): gain {primary['gain']:+.3f} "
        f"[{low:+.3f}, {high:+.3f}] ({primary['gain_sft_std']:+.3f} SFT standard deviations; {primary['method']}): "
        f"**{primary['decision']}**.",
        "",
        *judge_change_markdown(summary.get("judge_change")),
        secondary_markdown(
            {k: v["p"] for k, v in summary["secondary"].items()},
            {k: v["holm_adjusted_p"] for k, v in summary["secondary"].items()},
        ),
    ]
    return "\n".join(lines) + "\n"


def agreement_markdown(agreement: dict) -> list[str]:
    """Two RMs on the same pairs (``rm_agreement``); nothing where no two RMs' pair scores were kept."""
    if not agreement:
        return []
    cell = lambda a: f"{a['mean']:.3f} [{a['ci95'][0]:.3f}, {a['ci95'][1]:.3f}]"  # noqa: E731
    lines = [
        "",
        "| RMs | pairs | n | same choice [95% CI] | both right | both wrong | Spearman of the margins |",
        "|---|---|---|---|---|---|---|",
    ]
    for names, kinds in agreement.items():
        for kind, a in kinds.items():
            lines.append(
                f"| {names} | {'held-out' if kind == 'test' else kind} | {a['n_pairs']} | {cell(a['same_choice'])} "
                f"| {cell(a['both_right'])} | {cell(a['both_wrong'])} | {a['spearman_margins']:.3f} |"
            )
    return lines


def length_controls_markdown(rms: dict) -> list[str]:
    """Does each RM know more than "the longer response wins"? (rlhf.evaluate.length_controls)"""
    cell = lambda a: "n/a" if a["mean"] is None else f"{a['mean']:.3f} [{a['ci95'][0]:.3f}, {a['ci95'][1]:.3f}]"  # noqa: E731
    lines = [
        "| RM | pairs | accuracy − length baseline [95% CI] | prefers the longer response | accuracy where the "
        "chosen is longer | accuracy where the chosen is shorter |",
        "|---|---|---|---|---|---|",
    ]
    for name, rm in rms.items():
        for kind, label in (("test", "held-out"), ("human", "human")):
            c = rm["length_controls"][kind]
            longer, shorter = c["accuracy_chosen_longer"], c["accuracy_chosen_shorter"]
            lines.append(
                f"| {name} | {label} | {cell(c['rm_minus_length_baseline'])} | {cell(c['rm_prefers_longer'])} "
                f"| {cell(longer)} (n={longer['n']}) | {cell(shorter)} (n={shorter['n']}) |"
            )
    return lines


def judge_change_markdown(change: dict | None) -> list[str]:
    if change is None:
        return []
    share = "n/a" if change["surviving_share"] is None else f"{change['surviving_share']:.2f}"
    return [
        f"**Change of judge:** the gain is {change['training_gain_sft_std']:+.3f} SFT standard deviations under "
        f"{change['training_judge']} (the training RM) and {change['independent_gain_sft_std']:+.3f} under "
        f"{change['independent_judge']}: a share of {share} survives.",
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("level", choices=["level1", "level2", "level1-rms", "level2-rms"])
    parser.add_argument("--results", required=True)
    parser.add_argument("--artifacts", default=os.path.expanduser("~/rlhf_artifacts"))
    parser.add_argument("--model", default=os.environ.get("MODEL"), help="the SFT model file (its sha256 is recorded)")
    parser.add_argument("--splits", default="splits/prefmix.json")
    parser.add_argument("--rms", nargs="+", choices=["A", "B", *DIST_RMS], help="level{1,2}-rms: the RMs to include")
    parser.add_argument("--manifest", help="level1: the sha256 of model files made elsewhere (results/gpu)")
    parser.add_argument("--run-record", help="level1: the run.json of runs made on a GPU machine (results/gpu)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if args.rms and args.level not in ("level1-rms", "level2-rms"):
        parser.error("--rms goes with level1-rms and level2-rms only (the full summaries need every RM)")
    level_rms = {"level1-rms": ["A", "B"], "level2-rms": list(DIST_RMS)}.get(args.level, [])
    if args.rms and not set(args.rms) <= set(level_rms):
        parser.error(f"--rms of {args.level}: {', '.join(level_rms)}")
    if (args.manifest or args.run_record) and args.level != "level1":
        parser.error("--manifest and --run-record go with level1 only (the GPU replicate)")
    make = {
        "level1": partial(level1, manifest=args.manifest, run_record=args.run_record),
        "level2": level2,
        "level1-rms": partial(level1_rms, rms=tuple(args.rms or "AB")),
        "level2-rms": partial(level2_rms, rms=tuple(args.rms or DIST_RMS)),
    }
    summary = make[args.level](args.results, args.artifacts, args.model, args.splits)
    write_result(args.out, summary, markdown(summary))
    print(markdown(summary))


if __name__ == "__main__":
    main()
