"""The pre-registered choices on dev prompts (REPORT.md §3.1), applied to measurements, written to results/level1/.

budget: the smallest of {128, 192, 256} new tokens at which >= 50% of SFT's sampled responses to the dev prompts
    finish. Read from one SFT generation at the largest budget: a response that ends within b tokens there is the
    response a b-token run samples (same prompts, batches and random stream: the first b tokens are identical).
      python scripts/study/dev_choices.py budget $RLHF_ARTIFACTS/dev/sft_256/generations.jsonl \
          --out results/level1/dev_budget.json
lr: the largest of {1e-6, 3e-6, 1e-5} whose dev KL at the final dev check stays <= 10 nats with no rise in the
    unfinished or repetitive share over SFT's (a rise: the per-prompt difference's 95% bootstrap interval above 0);
    beta = 0.05 unless no lr passes (then 0.1, and the runs are redone). level1.sh runs the candidates largest first
    and calls this after each run, stopping at the first choice: no smaller lr can change it.
      python scripts/study/dev_choices.py lr $RLHF_ARTIFACTS/dev_lr1e-6 $RLHF_ARTIFACTS/dev_lr3e-6 ... \
          --out results/level1/dev_lr.json
Each writes its JSON and, beside it, the Markdown table REPORT.md shows.
"""

import argparse
import glob
import json
import os
import re
import statistics

import torch

from rlhf.evaluate import read_jsonl
from rlhf.paths import write_result
from rlhf.stats import bootstrap_ci

BUDGETS = (128, 192, 256)
FINISH_SHARE = 0.5
KL_BUDGET = 10.0
REPETITIVE = 0.5  # a response is repetitive when more than half of its 4-grams repeat an earlier one


def choose_budget(generations: str) -> dict:
    samples = [s for r in read_jsonl(generations) for s in r["samples"]]
    finished = {b: sum(s["finished"] and s["length"] <= b for s in samples) / len(samples) for b in BUDGETS}
    passing = [b for b in BUDGETS if finished[b] >= FINISH_SHARE]
    return {
        "rule": f"smallest of {list(BUDGETS)} with >= {FINISH_SHARE:.0%} of SFT sampled dev responses finished",
        "generations": generations,
        "sampled_responses": len(samples),
        "finished_share": finished,
        "median_length_finished": statistics.median(s["length"] for s in samples if s["finished"]),
        "chosen": passing[0] if passing else max(BUDGETS),
        "none_passed": not passing,
    }


def _flags(record_set: dict, hashes: list[str]) -> dict[str, torch.Tensor]:
    """Per prompt (in ``hashes`` order): the share of its sampled responses that are unfinished / repetitive."""

    def share(test) -> torch.Tensor:
        return torch.tensor([sum(map(test, record_set[h]["samples"])) / len(record_set[h]["samples"]) for h in hashes])

    return {
        "unfinished": share(lambda s: not s["finished"]),
        "repetitive": share(lambda s: s["repetition"] > REPETITIVE),
    }


def behaviour_change(policy: dict, sft: dict) -> dict:
    """The policy's unfinished and repetitive shares against SFT's on the same dev prompts. A share has risen when
    the 95% bootstrap interval of the per-prompt difference lies above 0: a few single-sample flips are noise."""
    hashes = sorted(policy)
    ours, theirs = _flags(policy, hashes), _flags(sft, hashes)
    out = {}
    for name in ours:
        difference = ours[name] - theirs[name]
        ci = bootstrap_ci(difference)
        out[name] = {"policy": ours[name].mean().item(), "sft": theirs[name].mean().item(), "difference_ci95": ci,
                     "risen": ci[0] > 0}  # fmt: skip
    return out


def last_dev_check(run_dir: str) -> dict:
    """The run's last DevEvaluation file (``eval/dev_step<N>.json`` under its logs)."""
    files = glob.glob(os.path.join(run_dir, "**", "eval", "dev_step*.json"), recursive=True)
    if not files:
        raise SystemExit(f"no dev check under {run_dir}")
    path = max(files, key=lambda p: int(re.search(r"dev_step(\d+)", p).group(1)))
    with open(path) as f:
        return {"path": path, **json.load(f)}


def choose_lr(run_dirs: list[str]) -> dict:
    runs = {}
    for run_dir in run_dirs:
        check = last_dev_check(run_dir)
        hparams = check_hparams(run_dir)
        change = behaviour_change(check["policy"], check["sft"])
        passes = check["kl"] <= KL_BUDGET and not any(c["risen"] for c in change.values())
        runs[run_dir] = {
            "lr": hparams["lr"],
            "beta": hparams["beta"],
            "step": check["global_step"],
            "dev_kl": check["kl"],
            "dev_reward_gain": check["reward_gain"],
            "behaviour": change,
            "passes": passes,
        }
    passing = [r for r in runs.values() if r["passes"]]
    return {
        "rule": f"largest lr with dev KL <= {KL_BUDGET} nats and no rise in unfinished or repetitive share over SFT",
        "runs": runs,
        "chosen_lr": max(r["lr"] for r in passing) if passing else None,
        "beta": passing[0]["beta"] if passing else None,  # none passed: the driver redoes the runs at beta 0.1
    }


def check_hparams(run_dir: str) -> dict:
    """lr and beta of a run, from the config Lightning saved beside its logs."""
    import yaml

    path = glob.glob(os.path.join(run_dir, "**", "config.yaml"), recursive=True)[0]
    with open(path) as f:
        model = yaml.safe_load(f)["model"]["init_args"]
    return {"lr": float(model["lr"]), "beta": float(model["beta"])}


def budget_markdown(result: dict) -> str:
    lines = ["| new tokens | SFT sampled dev responses finished within them |", "|---|---|"]
    lines += [f"| {b} | {share:.3f} |" for b, share in result["finished_share"].items()]
    lines.append(f"\nChosen: {result['chosen']} new tokens ({result['sampled_responses']} responses"
                 f"{'; none passed the rule' if result['none_passed'] else ''}).")  # fmt: skip
    return "\n".join(lines) + "\n"


def lr_markdown(result: dict) -> str:
    """One row per run: what the rule read (dev KL; the unfinished and repetitive shares, policy vs SFT, with the
    interval of their difference) and the RM gain it did not read (raw training-RM score, monitoring only)."""
    lines = [
        "| lr | beta | step | dev KL (nats) | unfinished: policy / SFT [95% CI of difference] "
        "| repetitive: policy / SFT | RM gain over SFT [95% CI] | passes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(result["runs"].values(), key=lambda r: r["lr"]):
        u, rep, gain = r["behaviour"]["unfinished"], r["behaviour"]["repetitive"], r["dev_reward_gain"]
        passes = "yes" if r["passes"] else "no"
        lines.append(
            f"| {r['lr']:g} | {r['beta']:g} | {r['step']} | {r['dev_kl']:.2f} "
            f"| {u['policy']:.2f} / {u['sft']:.2f} [{u['difference_ci95'][0]:+.2f}, {u['difference_ci95'][1]:+.2f}] "
            f"| {rep['policy']:.2f} / {rep['sft']:.2f} "
            f"| {gain['mean']:+.2f} [{gain['ci95'][0]:+.2f}, {gain['ci95'][1]:+.2f}] | {passes} |"
        )
    chosen = result["chosen_lr"]
    lines.append(f"\nChosen: lr {chosen:g}, beta {result['beta']:g}." if chosen else "\nNo lr passed the rule.")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    budget = sub.add_parser("budget")
    budget.add_argument("generations")
    budget.add_argument("--out", required=True)
    lr = sub.add_parser("lr")
    lr.add_argument("run_dirs", nargs="+")
    lr.add_argument("--out", required=True)
    args = parser.parse_args()
    result = choose_budget(args.generations) if args.what == "budget" else choose_lr(args.run_dirs)
    write_result(args.out, result, budget_markdown(result) if args.what == "budget" else lr_markdown(result))
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=2))


if __name__ == "__main__":
    main()
