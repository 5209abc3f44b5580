"""Markdown tables of the benchmark JSONs under results/bench (written by bench/run_cpu.sh).

python bench/summarize.py results/bench > results/bench/summary.md
"""

import json
import os
import statistics
import sys

OURS = "[ReinforceModule]"


def reinforce_phases(run: dict, side: str) -> dict[str, float]:
    """One run's step split into the same five phases for both sides (seconds per step)."""
    p, step = run["phase_seconds_per_step"], run["seconds_per_step"]
    if side == "ours":
        rollout, reference = p[f"{OURS}rollout"], p[f"{OURS}reference_logprobs"]
        reward, inside = p[f"{OURS}reward_model"], p["[Strategy]SingleDeviceStrategy.training_step"]
        policy = inside - rollout - reference - reward
    else:
        rollout, reward = p["RLOOTrainer.transformers.generate"], p["RLOOTrainer._calculate_rewards"]
        inside = p["RLOOTrainer._prepare_inputs"] + p["RLOOTrainer.compute_loss"]
        reference = p["RLOOTrainer._prepare_inputs"] - rollout - reward  # and the rollout's bookkeeping
        policy = p["RLOOTrainer.compute_loss"]
    return {
        "rollout generation": rollout,
        "reference log-probs (TRL: and the rest of its rollout bookkeeping)": reference,
        "reward-model scoring": reward,
        "policy forward + loss": policy,
        "backward + optimizer step + rest": step - inside,
    }


def median_phases(runs: list[dict], side: str) -> dict[str, float]:
    phases = [reinforce_phases(r, side) for r in runs]
    return {name: statistics.median(p[name] for p in phases) for name in phases[0]}


def runs_line(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:.2f}" for v in values) + "]"


def main(directory: str) -> None:
    def load(name):
        return json.load(open(os.path.join(directory, name)))

    rm, rf = load("rm_cpu.json"), load("reinforce_cpu.json")
    gen, opt = load("generation_cpu.json"), load("optimizer_cpu.json")
    env = rm["environment"]
    print(
        f"Machine: {env['device']}, {env['cpu_count']} cores, torch {env['torch']}, {env['threads']} threads; fp32; "
        f"TRL {rf['environment']['trl']}."
    )
    print()
    s, r = rm["settings"], rf["settings"]
    print(
        f"| what (same machine and process; median of {s['repeats']} / {r['repeats']} runs) | ours | TRL | ours / TRL |"
    )
    print("|---|---|---|---|")
    rm_what = f"RM training, {s['pairs']} pairs, batch {s['batch_size']}, max_length {s['max_length']}"
    for unit in ("pairs", "tokens"):
        ours, trl = rm[f"{unit}_per_second"]["ours"], rm[f"{unit}_per_second"]["trl"]
        print(f"| {rm_what}: {unit}/s | {ours:.3f} | {trl:.3f} | {ours / trl:.2f} |")
    rf_what = (
        f"REINFORCE step vs RLOO step, {r['completions']} completions/step (2 prompts x 2), "
        f"{r['max_new_tokens']} new tokens"
    )
    for unit, key in (
        ("completions/s", "completions_per_second"),
        ("generated tokens/s", "generated_tokens_per_second"),
    ):
        ours, trl = rf[key]["ours"], rf[key]["trl"]
        print(f"| {rf_what}: {unit} | {ours:.3f} | {trl:.3f} | {ours / trl:.2f} |")
    print()
    print("Where a REINFORCE step's time goes (seconds per step, median over runs):")
    print()
    ours, trl = median_phases(rf["runs"]["ours"], "ours"), median_phases(rf["runs"]["trl"], "trl")
    print("| phase | ours | TRL RLOO |\n|---|---|---|")
    for name in ours:
        print(f"| {name} | {ours[name]:.2f} | {trl[name]:.2f} |")
    print()
    lengths = []
    for side in ("ours", "trl"):
        runs = rf["runs"][side]
        tokens = statistics.median(x["generated_tokens_per_step"] for x in runs)
        cut = statistics.median(x["unfinished_fraction"] for x in runs)
        lengths.append(f"{side} {tokens:.1f} ({cut:.0%} of responses cut at the budget)")
    print(f"Generated tokens per step (median): {', '.join(lengths)}.")
    print()
    print(f"AdamW step on the {opt['parameters'] / 1e6:.0f}M parameters (median of {opt['settings']['steps'] - 1}):")
    print()
    print("| variant | seconds/step | speed-up | max weight difference from the default |\n|---|---|---|---|")
    for name, x in opt["results"].items():
        print(
            f"| {name} | {x['median_seconds_per_step']:.3f} | {x['speedup_over_default']:.1f}x "
            f"| {x['max_abs_difference_from_default']:.1e} |"
        )
    print()
    s = gen["settings"]
    print(
        f"Our rollout helper, {s['prompts']} prompts, batch {s['batch_size']}, {s['max_new_tokens']} new tokens, "
        f"greedy, median of {s['repeats']}:"
    )
    print()
    print("| variant | new tokens/s | outputs identical to the first variant |\n|---|---|---|")
    for name, x in gen["results"].items():
        print(f"| {name} | {x['tokens_per_second']:.1f} | {x['same_tokens_as_first']:.0%} |")
    print()
    print("Seconds per step of every run (after warm-up):")
    print(
        f"RM ours {runs_line(rm['seconds_per_step']['ours_runs'])}, "
        f"TRL {runs_line(rm['seconds_per_step']['trl_runs'])};"
    )
    print(
        f"REINFORCE ours {runs_line([x['seconds_per_step'] for x in rf['runs']['ours']])}, "
        f"TRL {runs_line([x['seconds_per_step'] for x in rf['runs']['trl']])}."
    )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "results/bench")
