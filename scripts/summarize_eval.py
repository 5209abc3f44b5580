"""Aggregate REINFORCE evaluation JSONs (one per seed) into per-seed and pooled results with confidence intervals.

python scripts/summarize_eval.py \
    --run "scalar RM=artifacts/level1/logs/reinforce_seed*/version_*/eval/val_step300.json" \
    [--run LABEL=GLOB ...] --out results/level1_summary

Pooled over seeds: the mean of per-seed means with a Student-t 95% CI over seeds (seeds are the unit of
replication), and a paired bootstrap over prompts of the seed-averaged reward gain. Writes OUT.json and OUT.md.
"""

import argparse
import glob
import json
import math
import os

import torch

from rlhf.evaluation import bootstrap_ci

T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}


def t_interval(values: list[float]) -> list[float]:
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return [math.nan, math.nan]
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = T95.get(n - 1, 1.96) * sd / math.sqrt(n)
    return [mean - half, mean + half]


def load_generations(summary_path: str) -> dict[int, dict]:
    rows = [json.loads(line) for line in open(summary_path.replace(".json", "_generations.jsonl"))]
    return {r["policy"]["index"]: r for r in rows}


def summarize(label: str, paths: list[str]) -> dict:
    seeds = []
    for path in sorted(paths):
        s = json.load(open(path))
        seeds.append(
            {
                "path": path,
                "seed": s.get("seed"),
                "reward_policy": s["policy"]["reward"]["mean"],
                "reward_sft": s["sft"]["reward"]["mean"],
                "reward_gain": s["reward_gain"]["mean"],
                "reward_gain_ci95": s["reward_gain"]["ci95"],
                "win_rate": s["win_rate_vs_sft"]["mean"],
                "kl": s["policy"].get("kl", {}).get("mean"),
                "length_policy": s["policy"]["length"]["mean"],
                "length_sft": s["sft"]["length"]["mean"],
                "num_prompts": s["num_prompts"],
            }
        )
    pooled = {}
    for key in ("reward_policy", "reward_sft", "reward_gain", "win_rate", "kl", "length_policy", "length_sft"):
        values = [s[key] for s in seeds if s[key] is not None]
        if values:
            pooled[key] = {"mean": sum(values) / len(values), "t_ci95_over_seeds": t_interval(values)}
    generations = [load_generations(s["path"]) for s in seeds]
    common = sorted(set.intersection(*(set(g) for g in generations)))
    gains = torch.tensor([[g[i]["policy"]["reward"] - g[i]["sft"]["reward"] for i in common] for g in generations])
    pooled["reward_gain_seed_averaged_bootstrap_ci95"] = bootstrap_ci(gains.mean(0))
    return {"label": label, "num_seeds": len(seeds), "seeds": seeds, "pooled": pooled}


def fmt(value, ci=None) -> str:
    if value is None:
        return "–"
    return f"{value:+.3f} [{ci[0]:+.3f}, {ci[1]:+.3f}]" if ci else f"{value:.3f}"


def markdown(results: list[dict]) -> str:
    lines = [
        "| run | seeds | RM reward policy | RM reward SFT | gain (t-CI over seeds) | win rate vs SFT | KL "
        "| length policy / SFT |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        p = r["pooled"]
        lines.append(
            f"| {r['label']} | {r['num_seeds']} | {fmt(p['reward_policy']['mean'])} | {fmt(p['reward_sft']['mean'])} | "
            f"{fmt(p['reward_gain']['mean'], p['reward_gain']['t_ci95_over_seeds'])} | {fmt(p['win_rate']['mean'])} | "
            f"{fmt(p.get('kl', {}).get('mean'))} | {p['length_policy']['mean']:.1f} / {p['length_sft']['mean']:.1f} |"
        )
    lines += [
        "",
        "| run | seed file | gain (bootstrap CI over prompts) | win rate | KL | length |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        for s in r["seeds"]:
            lines.append(
                f"| {r['label']} | `{s['path']}` | {fmt(s['reward_gain'], s['reward_gain_ci95'])} "
                f"| {fmt(s['win_rate'])} | {fmt(s['kl'])} | {s['length_policy']:.1f} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", action="append", required=True, help="LABEL=GLOB of eval JSONs, one per seed")
    parser.add_argument("--out", required=True, help="output path without extension")
    args = parser.parse_args()
    results = []
    for spec in args.run:
        label, pattern = spec.split("=", 1)
        paths = glob.glob(pattern)
        if not paths:
            raise SystemExit(f"no eval JSON matches {pattern!r}")
        results.append(summarize(label, paths))
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out + ".json", "w") as f:
        json.dump(results, f, indent=2)
    with open(args.out + ".md", "w") as f:
        f.write(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
