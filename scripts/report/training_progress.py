"""How REINFORCE runs moved while they trained, from their logged scalars (export_scalars.py's CSV): the training RM's
score, the KL to SFT, the response length and the unfinished share over the first and the last steps of each run,
and the dev checks (DevEvaluation: the policy against SFT on the dev prompts, judged by the training RM). Progress
checks by the training RM, not endpoints: those are the test prompts' under the independent judge (REPORT.md §3.1).

python scripts/report/training_progress.py results/level1/training_scalars.csv \
    --runs l1_seed0,l1_seed1,l1_seed2 --beta 0.05 --unfinished-penalty 1 \
    --out results/level1/training_progress.json
"""

import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(__file__))
from export_scalars import read_scalars  # noqa: E402

from rlhf.paths import write_result

TRAIN = {  # tag: column
    "train/rm_score": "RM score",
    "train/kl": "KL (nats)",
    "train/response_length": "length (tokens)",
    "train/unfinished": "unfinished",
    "train/reward": "reward R",
}
DEV = {
    "dev/reward_gain": "RM gain over SFT (raw score)",
    "dev/greedy_win_rate": "greedy win rate",
    "dev/kl": "KL (nats)",
    "dev/length": "length (tokens)",
    "dev/unfinished": "unfinished",
}


def run_progress(tags: dict[str, dict[int, float]], block: int) -> dict:
    """Means of each training scalar over the run's first and last ``block`` steps; its dev checks by step."""
    missing = [tag for tag in TRAIN if tag not in tags]
    if missing:
        raise SystemExit(f"no scalars {missing} in the run (have {sorted(tags)})")
    last_step = max(tags["train/rm_score"])
    if 2 * block > last_step + 1:
        raise SystemExit(f"--block {block}: the first and last blocks of a {last_step + 1}-step run would overlap")
    first = range(0, block)
    last = range(last_step - block + 1, last_step + 1)
    return {
        "steps": last_step + 1,
        "first_steps": [first.start, first.stop - 1],
        "last_steps": [last.start, last.stop - 1],
        "train": {
            tag: {
                "first": statistics.mean(v for s, v in tags[tag].items() if s in first),
                "last": statistics.mean(v for s, v in tags[tag].items() if s in last),
            }
            for tag in TRAIN
        },
        "dev": {tag: {str(s): v for s, v in sorted(tags[tag].items())} for tag in DEV if tag in tags},
    }


def standardised_score_change(train: dict, beta: float, unfinished_penalty: float) -> dict:
    """The RM score's change from the first block to the last in SFT standard deviations, read off the shaped reward
    R = (score - shift) / scale - penalty * unfinished - beta * KL: all terms are batch means and shift and scale are
    constants of a run, so dR + penalty * d(unfinished) + beta * d(KL) is exact; and how much of it the unfinished
    penalty took back."""
    change = {tag: train[tag]["last"] - train[tag]["first"] for tag in TRAIN}
    penalty = unfinished_penalty * change["train/unfinished"]
    return {
        "score_sft_std": change["train/reward"] + penalty + beta * change["train/kl"],
        "taken_by_unfinished_penalty": penalty,
        "taken_by_kl": beta * change["train/kl"],
    }


def markdown(result: dict) -> str:
    runs = result["runs"]
    lines = ["| run | steps | " + " | ".join(f"{c}: first → last" for c in TRAIN.values()) + " |",
             "|---|---|" + "---|" * len(TRAIN)]  # fmt: skip
    shaped = "standardised" in result["mean_over_runs"]
    if shaped:
        lines[0] += " RM score change, SFT std | of it, taken back by the unfinished penalty |"
        lines[1] += "---|---|"
    for name, r in {**runs, "mean over runs": result["mean_over_runs"]}.items():
        cells = [f"{r['train'][t]['first']:.3f} → {r['train'][t]['last']:.3f}" for t in TRAIN]
        if shaped:
            change = r["standardised"]
            cells += [f"{change['score_sft_std']:+.3f}", f"{change['taken_by_unfinished_penalty']:+.3f}"]
        steps = f"{r['first_steps'][0]}–{r['first_steps'][1]}, {r['last_steps'][0]}–{r['last_steps'][1]}"
        lines.append(f"| {name} | {steps} | " + " | ".join(cells) + " |")
    lines += ["", "| run | dev check at step | " + " | ".join(DEV.values()) + " |", "|---|---|" + "---|" * len(DEV)]
    for name, r in runs.items():
        for step in next(iter(r["dev"].values()), {}):
            cells = [f"{r['dev'][t][step]:.3f}" if t in r["dev"] else "n/a" for t in DEV]
            lines.append(f"| {name} | {step} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scalars", help="a CSV of scripts/report/export_scalars.py")
    parser.add_argument("--runs", required=True, help="RUN[,RUN...]: run names in the CSV (e.g. l1_seed0)")
    parser.add_argument("--block", type=int, default=25, help="steps averaged at the start and at the end")
    parser.add_argument("--beta", type=float, help="the runs' beta and unfinished penalty: with both, the RM score's "
                        "change in SFT standard deviations, read off the shaped reward")  # fmt: skip
    parser.add_argument("--unfinished-penalty", type=float)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if (args.beta is None) != (args.unfinished_penalty is None):
        parser.error("--beta and --unfinished-penalty go together")
    scalars = read_scalars(args.scalars)
    names = args.runs.split(",")
    missing = [n for n in names if n not in scalars]
    if missing:
        raise SystemExit(f"{args.scalars}: no scalars for runs {missing} (have {sorted(scalars)})")
    runs = {n: run_progress(scalars[n], args.block) for n in names}
    if len({r["steps"] for r in runs.values()}) > 1:
        raise SystemExit("the runs trained different numbers of steps: their means would mix different blocks")
    mean = lambda key, tag: statistics.mean(r["train"][tag][key] for r in runs.values())  # noqa: E731
    one = next(iter(runs.values()))
    result = {
        "scalars": args.scalars,
        "block": args.block,
        "runs": runs,
        "mean_over_runs": {
            "first_steps": one["first_steps"],
            "last_steps": one["last_steps"],
            "train": {tag: {"first": mean("first", tag), "last": mean("last", tag)} for tag in TRAIN},
        },
    }
    if args.beta is not None:
        for r in [*runs.values(), result["mean_over_runs"]]:
            r["standardised"] = standardised_score_change(r["train"], args.beta, args.unfinished_penalty)
        result.update(beta=args.beta, unfinished_penalty=args.unfinished_penalty)
    write_result(args.out, result, markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
