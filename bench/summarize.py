"""Markdown table of the benchmark JSONs under results/bench (written by bench/run_cpu.sh).

python bench/summarize.py results/bench > results/bench/summary.md
"""

import json
import os
import sys


def main(directory: str) -> None:
    def load(name):
        return json.load(open(os.path.join(directory, name)))

    rm, rf, gen = load("rm_cpu.json"), load("reinforce_cpu.json"), load("generation_cpu.json")
    env = rm["environment"]
    print(f"Machine: {env['device']}, {env['cpu_count']} cores, torch {env['torch']}, {env['threads']} threads; fp32.")
    print()
    print("| what (same machine, same process) | ours | TRL 1.16.0 | ours / TRL (throughput) |")
    print("|---|---|---|---|")
    s = rm["settings"]
    print(
        f"| RM training, {s['pairs']} pairs, batch {s['batch_size']}, max_length {s['max_length']}: pairs/s "
        f"| {rm['pairs_per_second']['ours']:.3f} | {rm['pairs_per_second']['trl']:.3f} "
        f"| {rm['ours_over_trl_throughput']:.2f} |"
    )
    s = rf["settings"]
    print(
        f"| REINFORCE step vs RLOO step, {s['completions']} completions/step, {s['max_new_tokens']} new tokens: "
        f"completions/s | {rf['completions_per_second']['ours']:.3f} | {rf['completions_per_second']['trl']:.3f} "
        f"| {rf['ours_over_trl_throughput']:.2f} |"
    )
    print()
    s = gen["settings"]
    print(
        f"Our rollout helper, {s['prompts']} prompts, batch {s['batch_size']}, "
        f"{s['max_new_tokens']} new tokens, greedy:"
    )
    print()
    print("| variant | new tokens/s | outputs identical to the first variant |")
    print("|---|---|---|")
    for name, r in gen["results"].items():
        print(f"| {name} | {r['tokens_per_second']:.1f} | {r['same_tokens_as_first']:.0%} |")
    print()
    print("Seconds per step of every repeat (the fastest is reported above):")
    print(
        f"RM ours {rm['seconds_per_step']['ours_runs']}, TRL {rm['seconds_per_step']['trl_runs']}; "
        f"REINFORCE ours {rf['seconds_per_step']['ours_runs']}, TRL {rf['seconds_per_step']['trl_runs']}."
    )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "results/bench")
