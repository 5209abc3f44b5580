"""The GPU replicate (scripts/gpu/replicate.sh): its rule for the number of REINFORCE steps, and its wiring, run with
`python` replaced by a stub that records its arguments (as tests/test_study_drivers.py runs the CPU drivers): a run
that gets one GPU lease must not find a wiring mistake there."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from helpers import load_script

ROOT = Path(__file__).resolve().parents[1]
rollout_speed = load_script("scripts/gpu/rollout_speed.py")
STUB = """#!/usr/bin/env bash
if [[ $1 == -c || "$1 $2" == "scripts/gpu/rollout_speed.py steps" ]]; then exec "$REAL_PYTHON" "$@"; fi
printf '%s\\n' "$*" >> "$CALLS"
all="$*" && out=${all##*--out } && out=${out%% *}
for arg; do  # a fit leaves its model
  [[ $arg == --model.init_args.export_dir=* ]] && mkdir -p "${arg#*=}" && echo "$*" > "${arg#*=}/model.safetensors"
  [[ $arg == --trainer.max_steps=* ]] && echo "policy after ${arg#*=} steps saved to ..."  # as ReinforceModule logs
done
case "$1 $2" in
  "scripts/gpu/rollout_speed.py measure") echo '{"runs": [{"processes": 3, "step_s_mean": 4.0}]}' > "$out" ;;
  "evaluate.py generate") mkdir -p "${out%/*}" && echo "$*" > "$out" ;;
esac
"""


def test_steps_that_fit_by_hand():
    assert rollout_speed.steps_that_fit(4.0, 420) == 90  # 105 steps' time, 10 reserved: 95, down to a multiple of 10
    assert rollout_speed.steps_that_fit(4.0, 400) == 90
    assert rollout_speed.steps_that_fit(4.0, 399) == 80
    assert rollout_speed.steps_that_fit(4.0, 30) == 10  # never fewer than one multiple
    assert rollout_speed.steps_that_fit(0.5, 10_000) == 150  # never more than the CPU chain's 150


def test_the_replicate_trains_judges_and_compares_as_registered(tmp_path):
    repo, bin_dir, calls, art = tmp_path / "repo", tmp_path / "bin", tmp_path / "calls.txt", tmp_path / "art"
    shutil.copytree(ROOT / "scripts" / "gpu", repo / "scripts" / "gpu")
    choices = repo / "results" / "level1" / "lost_amd"  # a chain's dev choices, as dev_choices.py writes them
    choices.mkdir(parents=True)
    (choices / "dev_lr.json").write_text(json.dumps({"chosen_lr": 1e-6, "beta": 0.05}))
    (choices / "dev_budget.json").write_text(json.dumps({"chosen": 256}))
    bin_dir.mkdir()
    (bin_dir / "python").write_text(STUB)
    (bin_dir / "python").chmod(0o755)
    model = tmp_path / "sft.gguf"
    model.write_text("sft")
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "CALLS": str(calls), "REAL_PYTHON": sys.executable,
           "MODEL": str(model), "TOKENIZER": "tok", "DATA": "pairs.jsonl.gz", "HUMAN": "human.jsonl.gz",
           "PROBE": "probe.txt", "GPU_ART": str(art), "GPU_RESULTS": str(repo / "results" / "gpu"),
           "DEADLINE": str(int(time.time()) + 570), "EVAL_RESERVE": "150",
           "DEV_CHOICES": str(choices)}  # fmt: skip
    subprocess.run(["bash", str(repo / "scripts" / "gpu" / "replicate.sh")], env=env, check=True, cwd=repo)
    lines = calls.read_text().splitlines()

    def stage_of(line: str) -> int:  # the speed, RMs, REINFORCE, generations and pairs, judging, reports
        order = ["rollout_speed.py measure", "reward_model.yaml", "reinforce.yaml", "evaluate.py pairs",
                 "evaluate.py judge", "evaluate.py compare"]  # fmt: skip
        return next(i for i, key in enumerate(order) if key in line) if any(k in line for k in order) else -1

    fits = [line for line in lines if line.startswith("cli.py fit")]
    rms = {
        line.split("--trainer.logger.init_args.name=")[1].split()[0]: line
        for line in fits
        if "reward_model_gpu" in line
    }
    assert set(rms) == {"rm_a", "rm_b", "dist_a"}
    for name, role in [("rm_a", "rm_a"), ("rm_b", "rm_b"), ("dist_a", "rm_a")]:
        assert "configs/gpu/reward_model_gpu.yaml" in rms[name] and f"--data.train_roles=[{role}]" in rms[name]
        assert ("distributional_reward_model.yaml" in rms[name]) == (name == "dist_a")
    seeds = [line for line in fits if "reinforce.yaml" in line]
    assert len(seeds) == 3
    for seed, line in enumerate(sorted(seeds, key=lambda x: x.split("--seed_everything=")[1])):
        # 420 s left at 4 s a step: 90 steps; the CPU chain's dev choices; the training RM is rm_a
        for arg in ["configs/gpu/reinforce_gpu.yaml", "--trainer.max_steps=90", "--model.init_args.lr=1e-06",
                    "--model.init_args.beta=0.05", "--model.init_args.max_new_tokens=256", f"--seed_everything={seed}",
                    f"--model.init_args.reward_model={art}/rm_a/export"]:  # fmt: skip
            assert arg in line.split(), arg
    evaluations = [line for line in lines if line.startswith("evaluate.py") and "compare" not in line]
    assert all("--device cuda" in line for line in evaluations)
    generated = [line for line in evaluations if " generate " in line]
    assert sorted(line.split("--out ")[1].split("/")[-2] for line in generated) == ["seed0", "seed1", "seed2", "sft"]
    # every policy's responses under every RM, after the policies are trained
    judged = {(line.split("--rm ")[1].split()[0].split("/")[-2], line.split("--out ")[1].split("/")[-2])
              for line in evaluations if " judge " in line}  # fmt: skip
    assert judged == {(rm, p) for rm in ("rm_a", "rm_b", "dist_a") for p in ("sft", "seed0", "seed1", "seed2")}
    judge_rm = [line.split("--rm ")[1].split()[0].split("/")[-2] for line in lines if "evaluate.py judge" in line]
    assert judge_rm.index("rm_a") > len(judge_rm) - 1 - judge_rm[::-1].index("rm_b")  # the primary judge first
    (compare,) = [line for line in lines if "evaluate.py compare" in line]
    assert "--primary reinforce/rm_b" in compare and "--judges rm_b rm_a dist_a length" in compare
    stages = [stage_of(line) for line in lines if stage_of(line) >= 0]
    assert stages == sorted(stages)  # each stage after the one before it
    assert lines.index(next(x for x in lines if "seed0/policy" in x and "generate" in x)) > lines.index(seeds[-1])
    run = json.loads((repo / "results" / "gpu" / "run.json").read_text())
    assert run["steps"] == 90 and run["steps_reached"] == {"seed0": 90, "seed1": 90, "seed2": 90}
