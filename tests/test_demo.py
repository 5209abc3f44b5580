"""The offline demo end to end, asserting that it learned the known rule ("more 'great' is better")."""

import json
import os
import subprocess

from conftest import REPO


def great_per_answer(generations):
    rows = [json.loads(line) for line in generations.read_text().splitlines()]
    return sum(r["greedy"]["text"].count("great") for r in rows) / len(rows)


def test_demo_pipeline_learns_the_known_rule(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    result = subprocess.run(
        ["bash", str(REPO / "scripts/demo/run.sh"), "--trainer.enable_progress_bar=false"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    demo = tmp_path / "artifacts/demo"
    for rm in ("reward_model", "distributional_reward_model"):
        report = max((demo / "logs" / rm).rglob("rm_val_step*.json"), key=lambda p: p.stat().st_mtime)
        accuracy = json.loads(report.read_text())["accuracy"]
        assert accuracy["ci95"][0] > 0.6, (rm, accuracy)  # well above chance (0.5) on held-out prompts
    table = json.loads((demo / "eval/table.json").read_text())
    for rm in ("reward_model", "distributional_reward_model"):  # each policy beats SFT under its own RM
        own = table["policies"][f"trained on {rm}"]["judges"][rm]
        assert own["gain"] > 0 and own["greedy_win_rate"] > 0.9, (rm, own)
    scalar = table["policies"]["trained on reward_model"]["judges"]["reward_model"]
    assert scalar["ci95_hierarchical"][0] > 0, scalar
    sft = great_per_answer(demo / "eval/sft/generations.jsonl")
    assert great_per_answer(demo / "eval/reward_model/seed0/generations.jsonl") > sft + 1  # the rule learned
    # The distributional RM's policy is held to its RM's score (above), not to the rule: on an Intel Xeon with AMX
    # (another rounding than the AMD EPYC's, where it said "great" too) seed 0 says "gre" over and over: a local
    # optimum that both RMs score above SFT and below "great" (REPORT.md §5, results/demo/intel_seed0/).
    assert "demo done in" in result.stdout and "=== demo: scalar reward model" in result.stdout
