"""Markdown tables of the CPU pilot (scripts/cpu_pilot.sh) from the files it left, for REPORT.md.

python scripts/pilot_tables.py --pilot artifacts/pilot --out results/pilot
Copies each evaluation JSON, the generations without their prompts and the TensorBoard scalars into OUT, and
writes OUT/summary.md.
"""

import argparse
import csv
import glob
import json
import os
import shutil

from export_scalars import scalars


def latest(pattern: str) -> str:
    paths = sorted(glob.glob(pattern), key=os.path.getmtime)
    if not paths:
        raise SystemExit(f"nothing matches {pattern}")
    return paths[-1]


def window_means(values: list[float], width: int) -> str:
    chunks = [values[i : i + width] for i in range(0, len(values), width)]
    return ", ".join(f"{sum(c) / len(c):.3f}" for c in chunks)


def ci(d: dict) -> str:
    return f"{d['mean']:.3f} [{d['ci95'][0]:.3f}, {d['ci95'][1]:.3f}] (n={d['n']})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pilot", default="artifacts/pilot")
    parser.add_argument("--out", default="results/pilot")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    logs = os.path.join(args.pilot, "logs")
    lines, rows = [], []
    for run in ("reward_model", "distributional_reward_model", "reinforce"):
        if run.endswith("reward_model"):
            report = latest(os.path.join(logs, run, "version_*", "rm_val_step*.json"))
            run_dir = os.path.dirname(report)
        else:
            report = latest(os.path.join(logs, run, "version_*", "eval", "val_step*.json"))
            run_dir = os.path.dirname(os.path.dirname(report))
        series = {}
        for tag, step, value in scalars(run_dir):
            series.setdefault(tag, {})[step] = value
            rows.append((run, tag, step, value))
        loss = [series["train/loss"][s] for s in sorted(series.get("train/loss", {}))]
        if run.endswith("reward_model"):
            shutil.copy(report, os.path.join(args.out, f"{run}_{os.path.basename(report)}"))
            accuracy = json.load(open(report))["accuracy"]
            lines += [f"**{run}** (`{run_dir}`)", ""]
            lines.append(f"- train loss, means of 10-step windows: {window_means(loss, 10)} (step 0: {loss[0]:.3f})")
            if "train/pairwise_loss" in series:  # the distributional loss also holds the rating and entropy terms
                pairwise = [series["train/pairwise_loss"][s] for s in sorted(series["train/pairwise_loss"])]
                lines.append(f"- pairwise term -log P(y_w > y_l), 10-step window means: {window_means(pairwise, 10)}")
            step = json.load(open(report))["global_step"]
            lines.append(f"- validation pairwise accuracy after {step} steps: {ci(accuracy)}")
            tps = list(series.get("train/tokens_per_s", {}).values())
            if tps:
                lines.append(f"- training throughput: median {sorted(tps)[len(tps) // 2]:.0f} real tokens/s")
            for tag in (
                "val/accuracy_expected",
                "val/p_win",
                "val/calibration_error",
                "val/entropy",
                "val/score_std",
                "val/extreme_mass",
                "val/expected_score",
            ):
                if tag in series:
                    lines.append(f"- {tag}: {list(series[tag].values())[-1]:.3f}")
            lines.append("")
        else:
            shutil.copy(report, os.path.join(args.out, f"reinforce_{os.path.basename(report)}"))
            generations = report.replace(".json", "_generations.jsonl")
            with (
                open(generations) as f,
                open(os.path.join(args.out, f"reinforce_{os.path.basename(generations)}"), "w") as out,
            ):
                for line in f:  # responses only: the prompts are the dataset's text, which stays out of the repo
                    row = json.loads(line)
                    for side in row.values():
                        side.pop("prompt", None)
                    out.write(json.dumps(row) + "\n")
            s = json.load(open(report))
            lines += [f"**reinforce** (`{run_dir}`, {len(loss)} steps, seed {s['seed']})", ""]
            lines.append(
                f"- held-out prompts: {s['num_prompts']}; greedy RM score, policy: {ci(s['policy']['reward'])}"
            )
            lines.append(f"- greedy RM score, SFT: {ci(s['sft']['reward'])}")
            lines.append(f"- paired gain: {ci(s['reward_gain'])}; win rate vs SFT: {ci(s['win_rate_vs_sft'])}")
            lines.append(f"- KL to reference (sampled): {ci(s['policy']['kl'])}; length: {ci(s['policy']['length'])}")
            rollouts = list(series["train/rollouts_per_s"].values())
            lines.append(f"- rollouts/s (whole step): median {sorted(rollouts)[len(rollouts) // 2]:.2f}")
            lines.append("")
    human = glob.glob(os.path.join(logs, "reward_model", "version_*", "rm_test_step*.json"))
    if human:
        report = latest(os.path.join(logs, "reward_model", "version_*", "rm_test_step*.json"))
        shutil.copy(report, os.path.join(args.out, "reward_model_human_" + os.path.basename(report)))
        lines.append(
            f"**agreement with people** (first 64 pairs of human_pairs): {ci(json.load(open(report))['accuracy'])}"
        )
    with open(os.path.join(args.out, "scalars.csv"), "w", newline="") as f:
        csv.writer(f).writerows([("run", "tag", "step", "value"), *rows])
    with open(os.path.join(args.out, "summary.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
