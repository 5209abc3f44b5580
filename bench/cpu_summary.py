"""results/bench/cpu_summary.json from the raw benchmark files that bench/run_cpu.sh writes: the matmul peak, our
generation against model.generate, RM training throughput through cli.py as a fraction of the bf16 peak, and a
REINFORCE step against TRL's RLOO step, with the issue's targets and whether each was met.

python bench/cpu_summary.py results/bench
"""

import csv
import json
import os
import statistics
import sys

TARGETS = {"generation_speedup": 2.5, "rm_fraction_of_bf16_peak": 0.40, "reinforce_speedup": 1.5}


def load(folder: str, name: str) -> dict:
    with open(os.path.join(folder, name)) as f:
        return json.load(f)


def logged(folder: str, name: str, tag: str, skip: int = 1) -> list[float]:
    """Values of one TensorBoard tag exported to CSV (scripts/report/export_scalars.py), first ``skip`` dropped."""
    with open(os.path.join(folder, name)) as f:
        rows = sorted((int(r["step"]), float(r["value"])) for r in csv.DictReader(f) if r["tag"] == tag)
    return [v for _, v in rows][skip:]


def main() -> None:
    folder = sys.argv[1] if len(sys.argv) > 1 else "results/bench"
    matmul = load(folder, "matmul_cpu.json")
    generation = load(folder, "generation_cpu.json")
    profile = load(folder, "rm_step_profile_cpu.json")
    reinforce = load(folder, "reinforce_cpu.json")
    memory = load(folder, "reinforce_memory_cpu.json")
    peak = matmul["median_gflops"]

    batch = max(generation["results"], key=int)
    g = generation["results"][batch]
    rm_tokens_per_s = statistics.median(logged(folder, "rm_fit_scalars.csv", "train/tokens_per_s"))
    rm_gflops = 6 * profile["linear_parameters"] * rm_tokens_per_s / 1e9
    step = reinforce["median_seconds_per_step"]
    summary = {
        "machine": generation["environment"],
        "versions": {k: generation["environment"][k] for k in ("torch", "trl")},
        "command": "bash bench/run_cpu.sh",
        "matmul_gflops": {"float32": peak["float32"], "bfloat16": peak["bfloat16"], "size": matmul["settings"]["size"]},
        "generation": {
            "batch": int(batch),
            "dtype": "bfloat16",
            "max_new_tokens": generation["settings"]["max_new_tokens"],
            "sampling": "temperature 1, no top-k/top-p",
            "ours_tokens_per_s": g["median"]["ours"]["token_slots_per_s"],
            "hf_tokens_per_s": g["median"]["hf"]["token_slots_per_s"],
            "speedup": g["speedup_over_hf"]["ours"],
            "greedy_rows_identical": f"{g['greedy_rows_identical_to_hf']['ours']}/{batch}",
            "by_batch": {b: r["speedup_over_hf"] for b, r in generation["results"].items()},
        },
        "rm_training": {
            "tokens_per_s": rm_tokens_per_s,
            "what": "real tokens per second of forward + backward, median over logged micro-batches of a cli.py fit "
            "(configs/reward_model.yaml + configs/study/reward_model_cpu.yaml: 2 pairs per micro-batch, 1,024 tokens)",
            "model_gflops": rm_gflops,
            "fraction_of_bf16_peak": rm_gflops * 1e9 / (peak["bfloat16"] * 1e9),
            "profile_top_ops_share": {k: v["share"] for k, v in profile["top_ops"].items()},
            "profile_gflops_in_mm": profile["achieved_gflops_in_mm"],
        },
        "reinforce_step": {
            "ours_s": step["ours"],
            "trl_s": step["trl"],
            "speedup": step["trl"] / step["ours"],
            "rollouts_per_step": reinforce["settings"]["completions"],
            "max_new_tokens": reinforce["settings"]["max_new_tokens"],
            "generated_tokens_per_step": {
                s: statistics.median(r["generated_tokens_per_step"] for r in runs)
                for s, runs in reinforce["runs"].items()
            },  # fmt: skip
            "peak_rss_gb_ours": memory["peak_rss_gb"]["value"],
        },
    }
    met = {
        "generation_speedup": summary["generation"]["speedup"],
        "rm_fraction_of_bf16_peak": summary["rm_training"]["fraction_of_bf16_peak"],
        "reinforce_speedup": summary["reinforce_step"]["speedup"],
    }
    summary["targets"] = {k: {"target": TARGETS[k], "measured": v, "met": v >= TARGETS[k]} for k, v in met.items()}
    out = os.path.join(folder, "cpu_summary.json")
    with open(out, "w") as f:
        json.dump(summary, f, indent=2)
    with open(os.path.join(folder, "cpu_summary.md"), "w") as f:
        f.write(markdown(summary))
    with open(os.path.join(folder, "profiles.md"), "w") as f:
        decodes = [load(folder, f) for f in ("decode_profile_cpu.json", "decode_profile_b16_autocast_cpu.json")]
        f.write(profiles_markdown(decodes, profile, reinforce))
    print(markdown(summary))
    print(f"wrote {out} and cpu_summary.md")


def markdown(s: dict) -> str:
    """The summary as the table README.md and REPORT.md show (scripts/report/fill_tables.py copies it there)."""
    g, rm, step, t = s["generation"], s["rm_training"], s["reinforce_step"], s["targets"]
    mm = s["matmul_gflops"]
    met = lambda k: ("met" if t[k]["met"] else "**missed**") + f" (target {t[k]['target']:g})"  # noqa: E731
    rows = [
        ("matmul 2048x2048, GFLOP/s", f"fp32 {mm['float32']:.0f}, bf16 {mm['bfloat16']:.0f}", ""),
        (
            f"generation, batch {g['batch']}, {g['dtype']}, {g['max_new_tokens']} new tokens, sampling: token slots/s",
            f"ours {g['ours_tokens_per_s']:.0f}, model.generate {g['hf_tokens_per_s']:.0f}: "
            f"{g['speedup']:.2f}x; greedy rows identical {g['greedy_rows_identical']}",
            met("generation_speedup"),
        ),
        (
            "RM training (cli.py fit, 1,024 tokens, bf16 autocast): real tokens/s",
            f"{rm['tokens_per_s']:.0f} = {rm['model_gflops']:.0f} model GFLOP/s = "
            f"{rm['fraction_of_bf16_peak']:.0%} of the bf16 matmul peak",
            met("rm_fraction_of_bf16_peak"),
        ),
        (
            f"REINFORCE step, {step['rollouts_per_step']} rollouts x {step['max_new_tokens']} new tokens, bf16 mixed",
            f"ours {step['ours_s']:.1f} s, TRL RLOO {step['trl_s']:.1f} s: {step['speedup']:.2f}x",
            met("reinforce_speedup"),
        ),
        ("peak RSS of a REINFORCE run (ours)", f"{step['peak_rss_gb_ours']:.1f} GB", ""),
    ]
    lines = ["| measured (one run, this machine) | value | target |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    machine = s["machine"]
    lines.append(
        f"\n{machine['cpu_count']} cores, torch {machine['torch']} ({machine['threads']} threads), "
        f"TRL {machine['trl']}; `{s['command']}` -> `results/bench/cpu_summary.json`."
    )
    return "\n".join(lines) + "\n"


def profiles_markdown(decodes: list[dict], rm_step: dict, reinforce: dict) -> str:
    """Where the time goes: rollouts (prefill vs decode, top operators), an RM step, and both REINFORCE steps."""
    share = lambda ops: ", ".join(f"`{k}` {v['share']:.0%}" for k, v in list(ops.items())[:4])  # noqa: E731
    phases = {}
    for side, runs in reinforce["runs"].items():
        names = runs[0]["phase_seconds_per_step"]
        phases[side] = {n: statistics.median(r["phase_seconds_per_step"][n] for r in runs) for n in names}
    lines = ["| what | measured |", "|---|---|"]
    for d in decodes:
        weights = "float32 weights, bf16 autocast" if d["settings"]["autocast"] else "bf16 weights"
        lines += [
            f"| rollout, batch {d['settings']['batch_size']}, {weights}, prompts left-padded to {d['prompt_length']} "
            f"tokens, {d['decode_steps']} new tokens | {d['seconds']:.1f} s: prefill {d['prefill_seconds']:.1f} s "
            f"({d['prefill_seconds'] / d['seconds']:.0%}), then {d['ms_per_decode_step']:.0f} ms per decode step |",
            f"| the same, top operators (self time) | {share(d['top_ops'])} |",
        ]
    lines.append(
        f"| RM step, {rm_step['settings']['sequences']} x {rm_step['settings']['length']} tokens, top operators | "
        f"{share(rm_step['top_ops'])}; matmuls at {rm_step['achieved_gflops_in_mm']:.0f} GFLOP/s |"
    )
    ours, trl = phases["ours"], phases["trl"]
    lines.append(
        "| REINFORCE step phases, ours (s) | "
        + ", ".join(f"{k.split(']')[-1]} {v:.1f}" for k, v in ours.items() if k.startswith("[ReinforceModule]"))
        + f", backward {ours['[Strategy]SingleDeviceStrategy.backward']:.1f} |"
    )
    lines.append(
        "| RLOO step phases, TRL (s) | "
        + ", ".join(f"{k.split('.')[-1]} {v:.1f}" for k, v in trl.items() if k != "RLOOTrainer._prepare_inputs")
        + " |"
    )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
