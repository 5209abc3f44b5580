"""The offline demo end to end, asserting that it learned the known rule ("more 'great' is better")."""

import json
import os
import subprocess

from conftest import REPO


def latest(root, pattern):
    return max(root.rglob(pattern), key=lambda p: p.stat().st_mtime)


def great_per_response(generations, who):
    rows = [json.loads(line) for line in generations.read_text().splitlines()]
    return sum(r[who]["response"].count("great") for r in rows) / len(rows)


def test_demo_pipeline_learns_the_known_rule(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    result = subprocess.run(
        ["bash", str(REPO / "scripts" / "demo.sh"), "--trainer.enable_progress_bar=false"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    logs = tmp_path / "artifacts" / "demo" / "logs"
    for rm in ("reward_model", "distributional_reward_model"):
        accuracy = json.loads(latest(logs / rm, "rm_val_step*.json").read_text())["accuracy"]
        assert accuracy["ci95"][0] > 0.6, (rm, accuracy)  # well above chance (0.5) on held-out prompts
    for run in ("reinforce", "reinforce_distributional"):
        summary = json.loads(latest(logs / run, "val_step*.json").read_text())
        assert summary["reward_gain"]["ci95"][0] > 0, (
            run,
            summary["reward_gain"],
        )  # RM reward above the initial policy
        generations = latest(logs / run, "val_step*_generations.jsonl")
        assert great_per_response(generations, "policy") > great_per_response(generations, "sft") + 1, run
