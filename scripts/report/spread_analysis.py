"""What the distributional RM's spread means (REPORT.md §3.2), tested on the test generations rather than asserted.

(a) Does the std of p predict where RM_A and RM_B disagree on the same response (|z_A - z_B|, each judge's score
    standardised by SFT's sampled responses)?  (b) Does it just track length?  (c) Is it larger on the garbage
    probe than on SFT's answers (from the probe file)?  (d) Is it larger where a scalar-RM policy's gain under RM_A
    does not survive RM_B?  (e) Is the distributions' P(policy response > SFT response), ties half, calibrated
    against RM_B's verdict on the same two responses?
(a) and (b) again on the labelled held-out and human pairs (``--pairs``, from the RMs' kept pair scores, no policy
needed), with two more: is p wider where RM_A and RM_B order a pair differently, and where it orders it wrongly?
Correlations are Spearman's; intervals resample prompts (rlhf.stats).

python scripts/report/spread_analysis.py --eval $RLHF_ARTIFACTS/eval --policy-runs l1_seed0,l1_seed1,l1_seed2 \
    --dist dist_a --probe results/level2/dist_a_probe.json --pairs results/level1 results/level2 \
    --out results/level2/spread.json
python scripts/report/spread_analysis.py --dist dist_a --pairs results/level1 results/level2 \
    --out results/level2/spread_pairs.json     # the labelled pairs alone, once the three RMs are judged
"""

import argparse
import json
import os
from collections import defaultdict

import torch

from rlhf.evaluate import pair_margins, pair_scores_file, read_jsonl, read_pair_scores
from rlhf.losses import log_preference_probability
from rlhf.stats import cluster_bootstrap_statistic_ci, expected_calibration_error, spearman

SCALAR_JUDGES = ("rm_a", "rm_b")


def load_run(eval_dir: str, run: str, judges: list[str]) -> list[dict]:
    """One row per response of a run: its prompt, which response (greedy, sample<j>), length and every judge's
    reading."""
    generations = read_jsonl(os.path.join(eval_dir, run, "generations.jsonl"))
    scores = {
        j: {r["prompt_hash"]: r for r in read_jsonl(os.path.join(eval_dir, run, f"scores_{j}.jsonl"))} for j in judges
    }
    rows = []
    for record in generations:
        h = record["prompt_hash"]
        responses = [("greedy", record["greedy"])] + [(f"sample{i}", s) for i, s in enumerate(record["samples"])]
        for key, response in responses:
            rows.append({"run": run, "prompt": h, "key": key, "length": response["length"],
                         **{j: scores[j][h][key] for j in judges}})  # fmt: skip
    return rows


def standardise(rows: list[dict], sft_rows: list[dict], judge: str) -> torch.Tensor:
    """A judge's scores in units of its spread over SFT's sampled responses."""
    reference = torch.tensor([r[judge]["score"] for r in sft_rows if r["key"] != "greedy"])
    values = torch.tensor([r[judge]["score"] for r in rows])
    return (values - reference.mean()) / reference.std()


def with_ci(statistic, columns: list[torch.Tensor], clusters: list) -> dict:
    return {"value": statistic(*columns), "ci95": cluster_bootstrap_statistic_ci(statistic, columns, clusters)}


def mean_difference(values: torch.Tensor, group: torch.Tensor) -> float:
    """Mean of ``values`` where ``group`` is 1 minus where it is 0 (NaN if a group is empty in a resample)."""
    if group.all() or not group.any():
        return float("nan")
    return (values[group.bool()].mean() - values[~group.bool()].mean()).item()


def analyse(eval_dir: str, sft: str, policy_runs: list[str], dist: str, probe: str | None) -> dict:
    judges = [*SCALAR_JUDGES, dist]
    sft_rows = load_run(eval_dir, sft, judges)
    policy_rows = [row for run in policy_runs for row in load_run(eval_dir, run, judges)]
    rows = sft_rows + policy_rows
    z = {j: standardise(rows, sft_rows, j) for j in SCALAR_JUDGES}
    spread = torch.tensor([r[dist]["score_std"] for r in rows])
    clusters = [r["prompt"] for r in rows]
    result = {
        "responses": len(rows),
        "a_spread_vs_judge_disagreement": with_ci(spearman, [spread, (z["rm_a"] - z["rm_b"]).abs()], clusters),
        "b_spread_vs_length": with_ci(spearman, [spread, torch.tensor([float(r["length"]) for r in rows])], clusters),
    }
    if probe:
        with open(probe) as f:
            report = json.load(f)
        keys = (
            "spread_answer_mean",
            "spread_probe_mean",
            "probe_beats_answer",
            "probe_beats_answer_ci95",
            "spread_probe_minus_answer",
        )  # the last two in probe files since 2026-12-07
        result["c_probe"] = {k: report[k] for k in keys if k in report}

    # (d) per policy run and prompt: the mean gain of its sampled responses over SFT's under each scalar judge.
    sampled = defaultdict(list)
    for i, r in enumerate(rows):
        if r["key"] != "greedy":
            sampled[(r["run"], r["prompt"])].append(i)

    def sampled_mean(values: torch.Tensor, run: str, prompt: str) -> float:
        return values[sampled[(run, prompt)]].mean().item()

    units, spreads, survived = [], [], []
    for run in policy_runs:
        for prompt in sorted({r["prompt"] for r in sft_rows}):
            gains = {j: sampled_mean(z[j], run, prompt) - sampled_mean(z[j], sft, prompt) for j in SCALAR_JUDGES}
            if gains["rm_a"] > 0:  # RM_A, the training judge, sees a gain here: does RM_B?
                units.append(prompt)
                spreads.append(sampled_mean(spread, run, prompt))
                survived.append(float(gains["rm_b"] > 0))
    lost = 1 - torch.tensor(survived)
    result["d_spread_where_gain_does_not_survive"] = {
        "units_with_rm_a_gain": len(units),
        "not_surviving_share": lost.mean().item() if units else None,
        "spread_difference_lost_minus_kept": with_ci(mean_difference, [torch.tensor(spreads), lost], units),
    }

    # (e) P(policy sample j > SFT sample j) from the two distributions, against RM_B's verdict on the same pair.
    sft_by = {(r["prompt"], r["key"]): r for r in sft_rows}
    pairs = [(r, sft_by[(r["prompt"], r["key"])]) for r in policy_rows if r["key"] != "greedy"]
    log_p = lambda side: torch.tensor([pair[side][dist]["probs"] for pair in pairs]).clamp_min(1e-12).log()  # noqa: E731
    p_win = log_preference_probability(log_p(0), log_p(1)).exp()  # log p as logits: softmax(log p) = p
    b_diff = torch.tensor([a["rm_b"]["score"] - b["rm_b"]["score"] for a, b in pairs])
    outcome = (b_diff > 0).double() + 0.5 * (b_diff == 0).double()
    result["e_p_policy_beats_sft"] = {
        "pairs": len(pairs),
        "mean_p": p_win.mean().item(),
        "rm_b_win_rate": outcome.mean().item(),
        "ece": expected_calibration_error(p_win, outcome),
        "brier": ((p_win.double() - outcome) ** 2).mean().item(),
    }
    return result


def analyse_pairs(keys: list[str], scores: dict[str, dict[str, dict]], dist: str) -> dict:
    """(a) and (b) on labelled pairs, from each judge's scores of them (``evaluate.py pairs --scores-out``: RM_A's,
    RM_B's and the distributional RM's, by pair), and two questions the labels allow: is p wider on the pairs that
    RM_A and RM_B order differently, and on those the distributional RM itself orders against the label? Needs no
    policy: an RM-stage answer, beside the test generations' one. Rows of (a), (b): responses, scores standardised
    over the set's responses; the pairs' spread: the mean of their two responses'."""
    sides = [(k, side) for k in keys for side in ("chosen", "rejected")]

    def column(judge: str, field: str) -> torch.Tensor:
        return torch.tensor([scores[judge][k][side][field] for k, side in sides], dtype=torch.float64)

    z = {j: (column(j, "score") - column(j, "score").mean()) / column(j, "score").std() for j in SCALAR_JUDGES}
    spread = column(dist, "score_std")
    length = torch.tensor([float(scores[dist][k][f"{side}_length"]) for k, side in sides])
    clusters = [scores[dist][k]["prompt_hash"] for k, _ in sides]
    pair_spread, pair_clusters = spread.view(-1, 2).mean(-1), clusters[::2]
    disagree = (pair_margins(scores["rm_a"], keys).sign() != pair_margins(scores["rm_b"], keys).sign()).double()
    wrong = (pair_margins(scores[dist], keys) < 0).double()
    return {
        "pairs": len(keys),
        "a_spread_vs_judge_disagreement": with_ci(spearman, [spread, (z["rm_a"] - z["rm_b"]).abs()], clusters),
        "b_spread_vs_length": with_ci(spearman, [spread, length], clusters),
        "rm_a_rm_b_disagree_share": disagree.mean().item(),
        "spread_where_rms_disagree_minus_agree": with_ci(mean_difference, [pair_spread, disagree], pair_clusters),
        "dist_wrong_share": wrong.mean().item(),
        "spread_where_dist_wrong_minus_right": with_ci(mean_difference, [pair_spread, wrong], pair_clusters),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval", help="directory of the runs' generations and scores (the test generations' part)")
    parser.add_argument("--sft", default="sft")
    parser.add_argument("--policy-runs", help="comma-separated scalar-RM policy runs (one per seed)")
    parser.add_argument("--dist", required=True, help="the distributional judge's name (scores_<name>.jsonl)")
    parser.add_argument("--probe", help="the distributional RM's probe file (evaluate.py probe)")
    pairs_help = "the labelled pairs' part: where RM_A's and RM_B's pair scores are, then the dist RM's"
    parser.add_argument("--pairs", nargs=2, metavar=("LEVEL1_RESULTS", "LEVEL2_RESULTS"), help=pairs_help)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if bool(args.eval) != bool(args.policy_runs) or not (args.eval or args.pairs):
        parser.error("give --eval with --policy-runs (the test generations), --pairs, or both")
    result = analyse(args.eval, args.sft, args.policy_runs.split(","), args.dist, args.probe) if args.eval else {}
    if args.pairs:
        judges = {"rm_a": args.pairs[0], "rm_b": args.pairs[0], args.dist: args.pairs[1]}
        result["pairs"] = {
            kind: analyse_pairs(
                *read_pair_scores({j: pair_scores_file(d, j, kind) for j, d in judges.items()}), args.dist
            )
            for kind in ("test", "human")
        }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
