"""The study-step profiles (bench/study_step.sh) as one Markdown table: seconds per step and per phase, the
process's system time, page faults and peak memory, each run beside the first.

python bench/study_step_table.py results/bench/study_step_*.json --out results/bench/study_step.md
"""

import argparse
import json

PHASES = ["rollout", "reference_logprobs", "reward_model", "policy_logprobs", "backward"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    runs = {path.rsplit("study_step_", 1)[-1].removesuffix(".json"): json.load(open(path)) for path in args.runs}
    order = sorted(runs, key=lambda name: (name != "before", name))
    base = runs[order[0]]["seconds_per_step"]
    lines = [
        "| run | allocator | s / step | vs "
        + order[0]
        + " | "
        + " | ".join(PHASES)
        + " | system s | page faults (M) | peak RSS GB |",
        "|---" * (7 + len(PHASES)) + "|",
    ]
    for name in order:
        r = runs[name]
        phase = {k.removeprefix("ReinforceModule").removeprefix("SingleDeviceStrategy."): v
                 for k, v in r["phase_seconds_per_step"].items()}  # fmt: skip
        p = r["process"]
        lines.append(
            f"| {name} | {r['allocator'].rsplit('/', 1)[-1]} | {r['seconds_per_step']:.1f} | "
            f"{base / r['seconds_per_step']:.2f}x | "
            + " | ".join(f"{phase.get(k, float('nan')):.1f}" for k in PHASES)
            + f" | {p['system_seconds']:.0f} | {p['minor_page_faults'] / 1e6:.1f} | {p['peak_rss_gb']:.1f} |"
        )
    s = runs[order[0]]["settings"]
    lines += [
        "",
        f"{s['steps']} steps each, the first {s['warmup_steps']} not counted; budget {s['max_new_tokens']} new tokens, "
        f"lr {s['lr']}; `bash bench/study_step.sh` (one run, this machine, nothing else running).",
    ]
    open(args.out, "w").write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
