"""End-to-end ``cli.py`` runs on the tiny model: fit, export, resume, validate, and DDP on two CPU processes."""

import json
import os
import re
import subprocess
import sys

import pytest
import torch
import yaml
from conftest import REPO
from helpers import load_script

from cli import main
from rlhf.callbacks import DevEvaluation
from rlhf.models import load_reward_model, reward_logits

export_reward_model = load_script("scripts/tools/export_reward_model.py")


def tiny_args(configs, tiny_model, pairs_file, tmp_path, *extra, callbacks=()):
    """Run shipped config(s) on the tiny model, on the CPU at the configs' own precision (bf16 mixed; the RM's
    16-mixed becomes bf16-mixed on a CPU, as Lightning does), with a checkpoint every step."""
    callbacks_file = tmp_path / "callbacks.yaml"
    callbacks_file.write_text(
        yaml.safe_dump(
            {
                "trainer": {
                    "callbacks": [
                        {
                            "class_path": "lightning.pytorch.callbacks.ModelCheckpoint",
                            "init_args": {
                                "dirpath": str(tmp_path / "ckpt"),
                                "every_n_train_steps": 1,
                                "save_last": True,
                            },
                        },
                        {
                            "class_path": "helpers.RecordTrainingState",
                            "init_args": {"out_dir": str(tmp_path / "record")},
                        },
                        *callbacks,
                    ]
                }
            }
        )
    )
    shipped = [configs] if isinstance(configs, str) else configs
    return [
        *[arg for name in shipped for arg in ("--config", str(REPO / "configs" / name))],
        "--config",
        str(callbacks_file),
        f"--data.path={pairs_file}",
        f"--data.tokenizer={tiny_model}",
        "--data.val_fraction=0.25",
        "--trainer.accelerator=cpu",
        "--trainer.enable_progress_bar=false",
        f"--trainer.logger.init_args.save_dir={tmp_path / 'logs'}",
        *extra,
    ]


def rm_args(tiny_model, pairs_file, tmp_path, *extra):
    """The shipped RM config on the tiny model, 4 pairs per batch."""
    model = f"--model.init_args.model={tiny_model}"
    return tiny_args("reward_model.yaml", tiny_model, pairs_file, tmp_path, model, "--data.batch_size=4", *extra)


def records(tmp_path, rank=0):
    return json.loads((tmp_path / "record" / f"rank{rank}.json").read_text())


def test_reward_model_fit_export_and_resume(tiny_model, pairs_file, tmp_path):
    export = tmp_path / "export"
    args = rm_args(
        tiny_model,
        pairs_file,
        tmp_path,
        f"--model.init_args.export_dir={export}",
        "--trainer.max_steps=4",
        "--trainer.val_check_interval=4",
    )
    cli = main(["fit", *args])
    assert cli.trainer.global_step == 4
    assert {"train/loss", "train/accuracy", "train/tokens_per_s", "val/accuracy"} <= cli.trainer.callback_metrics.keys()
    assert (tmp_path / "ckpt" / "last.ckpt").exists()
    assert list((tmp_path / "logs").rglob("events.out.tfevents.*"))
    report = json.loads(next((tmp_path / "logs").rglob("rm_val_step4_*.json")).read_text())
    assert 0 <= report["accuracy"]["mean"] <= 1 and report["accuracy"]["n"] == 30

    # The export loads back as a scalar RM and gives the trained module's rewards.
    exported = load_reward_model(str(export), pad_token_id=2).eval()
    batch = next(iter(cli.datamodule.val_dataloader()))
    module = cli.model.eval()
    with torch.no_grad():
        ids, mask = batch["input_ids"], batch["attention_mask"]
        assert torch.allclose(reward_logits(exported, ids, mask), reward_logits(module.model, ids, mask), atol=1e-5)

    # An intermediate checkpoint exports the same RM (scripts/tools/export_reward_model.py).
    export_reward_model.main(str(tmp_path / "ckpt" / "last.ckpt"), str(tmp_path / "from_ckpt"))
    from_ckpt = load_reward_model(str(tmp_path / "from_ckpt"), pad_token_id=2).eval()
    with torch.no_grad():
        assert torch.allclose(reward_logits(from_ckpt, ids, mask), reward_logits(exported, ids, mask), atol=1e-5)
    assert json.loads((tmp_path / "from_ckpt" / "training.json").read_text())["pairs_trained"] == 4 * 4

    resumed = main(["fit", *args[:-1], "--trainer.max_steps=6", f"--ckpt_path={tmp_path / 'ckpt' / 'last.ckpt'}"])
    assert resumed.trainer.global_step == 6
    assert [r["step"] for r in records(tmp_path)] == [5, 6]  # continued at step 4, not from scratch
    assert json.loads((export / "training.json").read_text()) == {"pairs_trained": 6 * 4, "optimizer_steps": 6}
    resumed_batches = [r["batch"] for r in records(tmp_path)]

    # The resumed run trains on the batches an uninterrupted run trains on at steps 5 and 6.
    uninterrupted = tmp_path / "uninterrupted"
    uninterrupted.mkdir()
    main(
        [
            "fit",
            *rm_args(
                tiny_model,
                pairs_file,
                uninterrupted,
                "--model.init_args.export_dir=null",
                "--trainer.max_steps=6",
            ),
        ]
    )
    assert [r["batch"] for r in records(uninterrupted)][4:] == resumed_batches


def test_in_epoch_validations_do_not_change_what_the_rm_learns(tiny_model, pairs_file, tmp_path):
    """A pinned RM is made again without its in-epoch validations (scripts/study/reward_model.sh: the record has
    them, the pin checks the weights), which holds only if validating draws on nothing that training uses."""
    from safetensors.torch import load_file

    def fit(name: str, steps: int, checks: str) -> dict:
        out = tmp_path / name
        out.mkdir()
        extra = [f"--model.init_args.export_dir={out / 'export'}", f"--trainer.max_steps={steps}", checks]
        cli = main(["fit", *rm_args(tiny_model, pairs_file, out, "--trainer.accumulate_grad_batches=2", *extra)])
        assert ("val/accuracy" in cli.trainer.callback_metrics) == ("val_check" in checks)
        return load_file(out / "export" / "model.safetensors")

    def same(a: dict, b: dict) -> bool:
        return a.keys() == b.keys() and all(torch.equal(a[key], b[key]) for key in a)

    checked = fit("checked", 6, "--trainer.val_check_interval=2")
    assert same(checked, fit("unchecked", 6, "--trainer.limit_val_batches=0"))
    assert not same(checked, fit("one_step_less", 5, "--trainer.limit_val_batches=0"))  # a step shows in the bits


def test_a_resumed_epoch_shows_its_bar_from_where_it_stopped(tiny_model, pairs_file, tmp_path, capsys):
    args = rm_args(
        tiny_model,
        pairs_file,
        tmp_path,
        "--model.init_args.export_dir=null",
        "--trainer.limit_val_batches=0",
        "--trainer.max_steps=2",
    )
    main(["fit", *args])
    capsys.readouterr()
    last = tmp_path / "ckpt" / "last.ckpt"
    main(["fit", *args[:-1], "--trainer.max_steps=4", "--trainer.enable_progress_bar=true", f"--ckpt_path={last}"])
    shown = "".join(capsys.readouterr())
    epoch_bar = shown[shown.index("Epoch 0:") :]  # Lightning's own bar read 'Training: 3/?' from here on
    assert re.search(r"\b2/(\d+)", epoch_bar) and re.search(r"\b4/(\d+)", epoch_bar) and "/?" not in epoch_bar


def test_reward_model_test_stage_on_a_separate_file(tiny_model, pairs_file, tmp_path):
    args = tiny_args(
        "reward_model.yaml",
        tiny_model,
        pairs_file,
        tmp_path,
        f"--model.init_args.model={tiny_model}",
        f"--data.test_path={pairs_file}",
    )
    main(["test", *args])
    report = json.loads(next((tmp_path / "logs").rglob("rm_test_step0_*.json")).read_text())
    assert report["accuracy"]["n"] == 120  # the whole file, no split


def test_distributional_reward_model_fit(tiny_model, pairs_file, tmp_path):
    export = tmp_path / "export"
    args = tiny_args(
        ["reward_model.yaml", "distributional_reward_model.yaml"],
        tiny_model,
        pairs_file,
        tmp_path,
        f"--model.init_args.model={tiny_model}",
        f"--model.init_args.export_dir={export}",
        "--model.init_args.rating_range=[1, 10]",
        "--data.batch_size=4",
        "--trainer.max_steps=3",
        "--trainer.val_check_interval=3",
    )
    cli = main(["fit", *args])
    metrics = cli.trainer.callback_metrics
    for key in (
        "val/accuracy",
        "val/accuracy_expected",
        "val/p_win",
        "val/calibration_error",
        "val/entropy",
        "val/score_std",
        "val/extreme_mass",
        "train/pairwise_loss",
    ):
        assert key in metrics, key
    assert json.loads((export / "config.json").read_text())["reward_head"] == "distribution"


@pytest.mark.parametrize("rm_fixture", ["scalar_rm", "distribution_rm"])
def test_reinforce_fit_validate_and_resume(rm_fixture, tiny_model, pairs_file, tmp_path, request, monkeypatch):
    rm = request.getfixturevalue(rm_fixture)
    configs = ["reinforce.yaml"] + (["reinforce_distributional.yaml"] if rm_fixture == "distribution_rm" else [])
    settings = [
        f"--model.init_args.policy={tiny_model}",
        f"--model.init_args.reward_model={rm}",
        "--model.init_args.max_new_tokens=8",
        "--model.init_args.standardization_batches=1",
        "--model.init_args.sample_log_every_n_steps=1",
        "--model.init_args.reward_functional=mean_minus_std",
        "--data.batch_size=4",
        "--data.eval_batch_size=8",
        "--trainer.profiler=simple",
    ]
    dev = [{"class_path": "rlhf.callbacks.DevEvaluation", "init_args": {"every_n_steps": 2}}]
    args = tiny_args(configs, tiny_model, pairs_file, tmp_path, *settings, callbacks=dev)
    cli = main(["fit", *args, "--trainer.max_steps=2"])
    phases = cli.trainer.profiler.recorded_durations  # the sections of a step that `--trainer.profiler` times
    for phase in ("rollout", "reference_logprobs", "reward_model", "policy_logprobs"):
        assert len(phases[f"[ReinforceModule]{phase}"]) == 2, phase
    summary = json.loads(next((tmp_path / "logs").rglob("dev_step2.json")).read_text())  # DevEvaluation's check
    assert summary["prompts"] == 10 and len(summary["policy"]) == len(summary["sft"]) == 10
    assert {"reward_gain", "greedy_win_rate", "kl", "length", "unfinished"} <= summary.keys()
    if rm_fixture == "distribution_rm":
        assert "train/rm_score_std" in cli.trainer.callback_metrics
    assert "train/grad_norm" in cli.trainer.callback_metrics  # clipping ran under bf16-mixed with the fused AdamW
    baseline_at_2 = records(tmp_path)[-1]

    last = tmp_path / "ckpt" / "last.ckpt"
    answered = []  # which model DevEvaluation makes answer: SFT's answers come back from the checkpoint
    answers = DevEvaluation._answers

    def counted(callback, trainer, module, model):
        answered.append(model)
        return answers(callback, trainer, module, model)

    monkeypatch.setattr(DevEvaluation, "_answers", counted)
    resumed = main(["fit", *args, "--trainer.max_steps=4", f"--ckpt_path={last}"])
    assert answered == [resumed.model.policy]
    monkeypatch.undo()
    assert [r["step"] for r in records(tmp_path)] == [3, 4]
    assert records(tmp_path)[0]["baseline_count"] == baseline_at_2["baseline_count"] + 4
    assert resumed.model.reward_stats_ready.item()

    # The resumed steps drew the prompts and the samples an uninterrupted run draws: the same baselines.
    (tmp_path / "straight").mkdir()
    straight = tiny_args(configs, tiny_model, pairs_file, tmp_path / "straight", *settings, callbacks=dev)
    main(["fit", *straight, "--trainer.max_steps=4"])
    assert records(tmp_path / "straight")[2:] == records(tmp_path)
    final_check = next((tmp_path / "logs").rglob("dev_step4.json"))  # DevEvaluation at the end of the resumed fit
    straight_check = next((tmp_path / "straight" / "logs").rglob("dev_step4.json"))
    assert json.loads(final_check.read_text())["sft"] == json.loads(straight_check.read_text())["sft"]

    # Stopped during that final check (after the last checkpoint): the resumed fit has no step left to train,
    # and still makes the check the lr rule reads.
    final_check.unlink()
    main(["fit", *args, "--trainer.max_steps=4", f"--ckpt_path={last}"])
    checks = [json.loads(path.read_text()) for path in (tmp_path / "logs").rglob("dev_step4.json")]
    assert [c["global_step"] for c in checks] == [4]  # in the new run's log directory


def run_ddp(args):
    result = subprocess.run(
        [sys.executable, str(REPO / "cli.py"), "fit", *args, "--trainer.strategy=ddp", "--trainer.devices=2"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": f"{REPO}:{REPO / 'tests'}"},
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_ddp_reward_model_on_two_cpu_processes(tiny_model, pairs_file, tmp_path):
    run_ddp(
        rm_args(
            tiny_model,
            pairs_file,
            tmp_path,
            f"--model.init_args.export_dir={tmp_path / 'export'}",
            "--trainer.max_steps=3",
            "--trainer.val_check_interval=3",
        )
    )
    rank0, rank1 = records(tmp_path, 0), records(tmp_path, 1)
    assert [r["step"] for r in rank0] == [r["step"] for r in rank1] == [1, 2, 3]
    assert [r["batch"] for r in rank0] != [r["batch"] for r in rank1]  # each rank trains on its own shard
    assert (tmp_path / "export" / "config.json").exists()


def test_ddp_reinforce_keeps_identical_baselines(tiny_model, scalar_rm, pairs_file, tmp_path):
    run_ddp(
        tiny_args(
            "reinforce.yaml",
            tiny_model,
            pairs_file,
            tmp_path,
            f"--model.init_args.policy={tiny_model}",
            f"--model.init_args.reward_model={scalar_rm}",
            "--model.init_args.max_new_tokens=8",
            "--model.init_args.standardization_batches=1",
            "--data.batch_size=4",
            "--trainer.max_steps=3",
            "--trainer.val_check_interval=3",
        )
    )
    rank0, rank1 = records(tmp_path, 0), records(tmp_path, 1)
    state = [{k: r[k] for k in ("step", "baseline", "baseline_count")} for r in rank0]
    assert state == [{k: r[k] for k in ("step", "baseline", "baseline_count")} for r in rank1] and len(state) == 3
    assert [r["batch"] for r in rank0] != [r["batch"] for r in rank1]
    # 8 SFT samples (4 per rank) start the baseline; then both ranks' rewards enter every update.
    assert [r["baseline_count"] for r in rank0] == [16, 24, 32]
    assert len({r["baseline"] for r in rank0}) == 3


def run_cli(*args, env=None):
    return subprocess.run(
        [sys.executable, str(REPO / "cli.py"), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": f"{REPO}:{REPO / 'tests'}", **(env or {})},
    )


BAD_INPUTS = [
    ("--data.path=/no/such/pairs.jsonl", "error: data path '/no/such/pairs.jsonl' does not exist"),
    ("--model.init_args.model=./no/such/model", "error: model path './no/such/model' does not exist"),
    ("--data.mode=prompts", "error: RewardModelModule trains on data.mode='pairs'"),
    ("--data.max_length=4", "error: train pairs: max_length=4 drops all"),
]


def bad_input_args(tiny_model, pairs_file, tmp_path, override) -> list[str]:
    args = ["fit", "--config", str(REPO / "configs/reward_model.yaml"), f"--data.path={pairs_file}"]
    args += [f"--data.tokenizer={tiny_model}", f"--model.init_args.model={tiny_model}", "--trainer.accelerator=cpu"]
    return args + [f"--trainer.logger.init_args.save_dir={tmp_path}", "--trainer.max_steps=1", override]


@pytest.mark.parametrize("override, message", BAD_INPUTS)
def test_bad_input_ends_with_one_clear_line(tiny_model, pairs_file, tmp_path, override, message):
    result = run_cli(*bad_input_args(tiny_model, pairs_file, tmp_path, override))
    assert result.returncode == 2, result.stderr[-2000:]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(message) and "Traceback" not in result.stderr, result.stderr[-2000:]


def test_bad_input_shows_its_traceback_on_request(tiny_model, pairs_file, tmp_path):
    # one case: the switch is in run_with_one_line_errors, the same for every error (a subprocess costs ~15 s here)
    result = run_cli(*bad_input_args(tiny_model, pairs_file, tmp_path, BAD_INPUTS[0][0]), env={"RLHF_TRACEBACK": "1"})
    assert result.returncode != 0 and "Traceback" in result.stderr and "does not exist" in result.stderr


def study_data(tmp_path) -> tuple[str, str]:
    """Synthetic pairs from two sources and a split file with the study's four roles (as make_splits.py writes)."""
    from rlhf.dataset import prompt_hash
    from rlhf.tiny import synthetic_preference_rows, write_jsonl

    rows = synthetic_preference_rows(num_prompts=48, pairs_per_prompt=2)
    for i, row in enumerate(rows):
        row["source"] = "arena-bench-v1" if i // 2 % 3 == 0 else "alpaca_eval2_weighted"
    hashes = sorted({prompt_hash(r) for r in rows})
    roles = {"rm_a": hashes[:18], "rm_b": hashes[18:36], "dev": hashes[36:42], "test": hashes[42:]}
    splits = tmp_path / "splits.json"
    splits.write_text(json.dumps({"seed": 0, "data_sha256": "synthetic", "roles": roles}))
    return str(write_jsonl(rows, tmp_path / "pairs.jsonl")), str(splits)


def test_study_overlays_run_as_the_drivers_run_them(tiny_model, scalar_rm, tmp_path):
    """configs/study/*.yaml on top of the base configs, as scripts/study/*.sh pass them, shortened only in steps."""
    from rlhf.dataset import load_split_file, prompt_hash

    pairs, splits = study_data(tmp_path)
    logs = f"--trainer.logger.init_args.save_dir={tmp_path / 'logs'}"
    common = [f"--data.path={pairs}", f"--data.tokenizer={tiny_model}", f"--data.splits={splits}", logs,
              "--trainer.enable_progress_bar=false"]  # fmt: skip
    config = lambda *names: [a for n in names for a in ("--config", str(REPO / "configs" / n))]  # noqa: E731

    # The RM: micro-batches of 2 pairs, 4 per optimizer step, four validations inside the epoch, the export.
    main(["fit", *config("reward_model.yaml", "study/reward_model_cpu.yaml"), *common,
          f"--model.init_args.model={tiny_model}", f"--model.init_args.export_dir={tmp_path / 'rm'}",
          "--trainer.limit_train_batches=8", "--trainer.limit_val_batches=1"])  # fmt: skip
    training = json.loads((tmp_path / "rm" / "training.json").read_text())
    assert (training["pairs_trained"], training["optimizer_steps"]) == (16, 2)
    validations = [json.loads(p.read_text()) for p in (tmp_path / "logs").rglob("rm_val_step*.json")]
    assert sorted(v["pairs_trained"] for v in validations) == [4, 8, 12, 16]  # two of them at optimizer step 1

    # REINFORCE: the policy trains on the AlpacaEval prompts of rm_a and rm_b only, and is checked on dev prompts.
    cli = main(["fit", *config("reinforce.yaml", "study/reinforce_cpu.yaml"), *common,
                f"--model.init_args.policy={tiny_model}", f"--model.init_args.reward_model={scalar_rm}",
                f"--model.init_args.export_dir={tmp_path / 'policy'}", "--model.init_args.max_new_tokens=8",
                "--model.init_args.standardization_batches=1", "--data.batch_size=4",
                "--trainer.max_steps=2"])  # fmt: skip
    rows = [json.loads(line) for line in open(pairs)]
    roles = load_split_file(splits)
    alpaca = lambda role: {prompt_hash(r) for r in rows if r["source"] == "alpaca_eval2_weighted"} & roles[role]  # noqa: E731
    assert len(cli.datamodule.datasets["train"]) == len(alpaca("rm_a") | alpaca("rm_b"))
    check = json.loads(next((tmp_path / "logs").rglob("dev_step2.json")).read_text())
    assert check["prompts"] == len(alpaca("dev"))
    assert (tmp_path / "policy" / "config.json").exists()


def test_level2_study_overlays_run_as_the_driver_runs_them(tiny_model, distribution_rm, tmp_path):
    """The Level-2 compositions of scripts/study/level2.sh: the distributional RM (and its pairwise-only ablation)
    as base + CONFIGS overlay + study overlay; REINFORCE against it with the risk-averse functional."""
    pairs, splits = study_data(tmp_path)
    common = [f"--data.path={pairs}", f"--data.tokenizer={tiny_model}", f"--data.splits={splits}",
              "--trainer.enable_progress_bar=false"]  # fmt: skip
    config = lambda *names: [a for n in names for a in ("--config", str(REPO / "configs" / n))]  # noqa: E731

    rm_configs = config("reward_model.yaml", "distributional_reward_model.yaml", "study/reward_model_cpu.yaml")
    for name, extra in [("dist", []), ("pairwise", ["--model.init_args.entropy_weight=0",
                                                    "--model.init_args.rating_weight=0"])]:  # fmt: skip
        cli = main(["fit", *rm_configs, *common, f"--trainer.logger.init_args.save_dir={tmp_path / name}",
                    f"--model.init_args.model={tiny_model}", f"--model.init_args.export_dir={tmp_path / name / 'rm'}",
                    "--model.init_args.rating_range=[1, 10]", *extra,
                    "--trainer.limit_train_batches=8", "--trainer.limit_val_batches=1"])  # fmt: skip
        hp = cli.model.hparams
        assert type(cli.model).__name__ == "DistributionalRewardModule" and tuple(hp.rating_range) == (1, 10)
        assert (hp.entropy_weight, hp.rating_weight) == ((0, 0) if extra else (0.01, 0.1))  # REPORT.md §3.2
        assert cli.trainer.accumulate_grad_batches == 4 and cli.datamodule.hparams.max_length == 1024
        training = json.loads((tmp_path / name / "rm" / "training.json").read_text())
        assert (training["pairs_trained"], training["optimizer_steps"]) == (16, 2)
        rm = load_reward_model(str(tmp_path / name / "rm"), pad_token_id=0)
        ids = torch.tensor([[5, 6, 7]])
        assert reward_logits(rm, ids, torch.ones_like(ids)).shape == (1, 10)

    policy_configs = config("reinforce.yaml", "reinforce_distributional.yaml", "study/reinforce_cpu.yaml")
    cli = main(["fit", *policy_configs, *common, f"--trainer.logger.init_args.save_dir={tmp_path / 'logs'}",
                f"--model.init_args.policy={tiny_model}", f"--model.init_args.reward_model={distribution_rm}",
                "--model.init_args.reward_functional=mean_minus_std",
                f"--model.init_args.export_dir={tmp_path / 'policy'}", "--model.init_args.max_new_tokens=8",
                "--model.init_args.standardization_batches=1", "--data.batch_size=4",
                "--trainer.max_steps=2"])  # fmt: skip
    assert cli.model.hparams.reward_functional == "mean_minus_std" and cli.trainer.max_steps == 2
    metrics = cli.trainer.callback_metrics
    assert {"train/rm_score_std", "train/rm_score_mean"} <= set(metrics)
    assert (tmp_path / "policy" / "config.json").exists()


@pytest.mark.parametrize("native", [False, True])
def test_bf16_runs_warn_only_where_the_cpu_emulates_bf16(tiny_model, pairs_file, tmp_path, monkeypatch, native):
    import warnings

    from rlhf import hardware

    monkeypatch.setattr(hardware, "cpu_has_native_bf16", lambda: native)
    args = tiny_args(
        "reward_model.yaml", tiny_model, pairs_file, tmp_path, f"--model.init_args.model={tiny_model}",
        f"--data.test_path={pairs_file}",
    )  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        main(["test", *args])
    emulated = [w for w in caught if "without bf16 instructions" in str(w.message)]
    assert len(emulated) == (0 if native else 1)


def test_gpu_overlays_run_as_the_replicate_runs_them(tiny_model, scalar_rm, tmp_path):
    """configs/gpu/*.yaml as scripts/gpu/replicate.sh passes them (here on the CPU, shortened only in steps): the RM
    takes 8 pairs per optimizer step without accumulation; REINFORCE 64 rollouts per step, checked every 25 steps."""
    pairs, splits = study_data(tmp_path)
    logs = f"--trainer.logger.init_args.save_dir={tmp_path / 'logs'}"
    common = [f"--data.path={pairs}", f"--data.tokenizer={tiny_model}", f"--data.splits={splits}", logs,
              "--trainer.enable_progress_bar=false"]  # fmt: skip
    config = lambda *names: [a for n in names for a in ("--config", str(REPO / "configs" / n))]  # noqa: E731

    cli = main(["fit", *config("reward_model.yaml", "gpu/reward_model_gpu.yaml"), *common,
                f"--model.init_args.model={tiny_model}", f"--model.init_args.export_dir={tmp_path / 'rm'}",
                "--trainer.limit_train_batches=2", "--trainer.limit_val_batches=1"])  # fmt: skip
    assert cli.trainer.accumulate_grad_batches == 1 and cli.datamodule.hparams.max_length == 1024
    training = json.loads((tmp_path / "rm" / "training.json").read_text())
    assert (training["pairs_trained"], training["optimizer_steps"]) == (16, 2)

    cli = main(["fit", *config("reinforce.yaml", "gpu/reinforce_gpu.yaml"), *common,
                f"--model.init_args.policy={tiny_model}", f"--model.init_args.reward_model={scalar_rm}",
                f"--model.init_args.export_dir={tmp_path / 'policy'}", "--model.init_args.max_new_tokens=8",
                "--trainer.max_steps=1"])  # fmt: skip
    assert cli.datamodule.hparams.batch_size == 64 and cli.model.hparams.standardization_batches == 2
    (check,) = [c for c in cli.trainer.callbacks if type(c).__name__ == "DevEvaluation"]
    assert check.every_n_steps == 25 and (tmp_path / "policy" / "config.json").exists()
