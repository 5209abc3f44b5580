"""The compare stage: policies x judges x seeds against SFT on the same prompts, with the study's statistics.

A run directory holds ``generations.jsonl`` (the generate stage) and ``scores_<judge>.jsonl`` (the judge stage);
the judge ``length`` needs no file (its score is the response length in tokens). The primary comparison is
paired and per prompt: the mean score of a policy's sampled responses minus that of SFT's, averaged over
prompts, then over seeds (interval: seeds, then prompts within them, resampled; beside it the t-interval over
the seed means).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import torch
from torch import Tensor

from rlhf.stats import (
    bootstrap_ci,
    hierarchical_bootstrap_ci,
    holm,
    length_controlled_differences,
    sign_flip_pvalue,
    t_interval,
    win_rate,
)

DEGENERATE = 0.5  # a response whose repeated 4-gram share exceeds this counts as repetitive


def _load(run: Path, judge: str, hashes: list[str]) -> dict[str, Tensor]:
    """Per prompt (in the order of ``hashes``): mean sampled score and length, greedy score and ids."""
    gens = {r["prompt_hash"]: r for r in map(json.loads, (run / "generations.jsonl").read_text().splitlines())}
    missing = [h for h in hashes if h not in gens]
    if missing:
        raise ValueError(f"{run}: {len(missing)} prompts missing from generations.jsonl")
    if judge == "length":
        scores = {h: {k: {"score": float(v["length"])} for k, v in _responses(gens[h]).items()} for h in hashes}
    else:
        lines = (run / f"scores_{judge}.jsonl").read_text().splitlines()
        scores = {r["prompt_hash"]: r for r in map(json.loads, lines)}
    out: dict[str, list] = {"sampled": [], "greedy": [], "length": [], "greedy_ids": []}
    for h in hashes:
        responses = _responses(gens[h])
        samples = [k for k in responses if k != "greedy"]
        out["sampled"].append(sum(scores[h][k]["score"] for k in samples) / max(len(samples), 1))
        out["greedy"].append(scores[h]["greedy"]["score"])
        out["length"].append(sum(responses[k]["length"] for k in samples) / max(len(samples), 1))
        out["greedy_ids"].append(responses["greedy"]["ids"])
    ids = out.pop("greedy_ids")
    return {**{k: torch.tensor(v, dtype=torch.float64) for k, v in out.items()}, "greedy_ids": ids}


def _responses(record: dict) -> dict[str, dict]:
    return {"greedy": record["greedy"], **{f"sample{j}": s for j, s in enumerate(record.get("samples", []))}}


def behaviour(run: Path) -> dict[str, float]:
    """Judge-free facts of a run's sampled responses: KL to the reference, length, unfinished and repetitive."""
    records = [json.loads(line) for line in (run / "generations.jsonl").read_text().splitlines()]
    samples = [s for r in records for s in r.get("samples", [])]
    out = {
        "length": sum(s["length"] for s in samples) / len(samples),
        "unfinished": sum(not s["finished"] for s in samples) / len(samples),
        "repetitive": sum(s["repetition"] > DEGENERATE for s in samples) / len(samples),
    }
    if samples and "kl" in samples[0]:
        out["kl"] = sum(s["kl"] for s in samples) / len(samples)
    return out


def compare_policy(reference_runs: list[Path], runs: list[Path], judge: str, hashes: list[str]) -> dict:
    """One policy (one run per seed) against a reference under one judge: SFT (one run, the same for every seed)
    or another policy (one run per seed, paired by seed index)."""
    if len(reference_runs) not in (1, len(runs)):
        raise ValueError(f"{len(reference_runs)} reference runs for {len(runs)} runs: give one, or one per seed")
    references = [_load(r, judge, hashes) for r in reference_runs]
    pairs = list(zip([_load(run, judge, hashes) for run in runs], references * (len(runs) // len(references))))
    gains = torch.stack([p["sampled"] - r["sampled"] for p, r in pairs])  # [seeds, prompts]
    controlled = torch.stack(
        [length_controlled_differences(p["sampled"], r["sampled"], p["length"], r["length"])[0] for p, r in pairs]
    )
    identical = [torch.tensor([a == b for a, b in zip(p["greedy_ids"], r["greedy_ids"])]) for p, r in pairs]
    wins = torch.stack([win_rate(p["greedy"], r["greedy"], same) for (p, r), same in zip(pairs, identical)])
    reference_std = references[0]["sampled"].std().item()
    seed_means = gains.mean(-1)
    return {
        "judge": judge,
        "seeds": len(runs),
        "prompts": len(hashes),
        "reference_mean": references[0]["sampled"].mean().item(),
        "gain": seed_means.mean().item(),
        "ci95_hierarchical": hierarchical_bootstrap_ci(gains),
        "ci95_t_over_seeds": t_interval(seed_means) if len(runs) > 1 else None,
        "gain_per_seed": [{"mean": g.mean().item(), "ci95": bootstrap_ci(g)} for g in gains],
        "gain_reference_std": seed_means.mean().item() / reference_std if reference_std > 0 else None,
        "length_controlled_gain": controlled.mean().item(),
        "length_controlled_ci95": hierarchical_bootstrap_ci(controlled),
        "greedy_win_rate": wins.mean().item(),
        "greedy_identical": torch.stack(identical).double().mean().item(),
        "p_value": sign_flip_pvalue(gains.mean(0)),
        "length_controlled_p_value": sign_flip_pvalue(controlled.mean(0)),
        "greedy_win_p_value": sign_flip_pvalue(wins.mean(0) - 0.5),
    }


def compare(
    sft_run: Path,
    policies: dict[str, list[Path]],
    judges: list[str],
    primary: tuple[str, str],
    versus: Sequence[tuple[str, str]] = (),
    secondary: Sequence[str] = (),
) -> dict:
    """Every policy against SFT, and each ``(a, b)`` of ``versus`` as policy a against policy b, under every judge.
    ``primary`` is ``(policy, judge)`` or ``("a - b", judge)``; the secondary endpoints' p-values are Holm-adjusted
    as one family (``secondary_pvalues``), ``secondary`` naming the further comparisons in it."""
    hashes = sorted(
        json.loads(line)["prompt_hash"] for line in (sft_run / "generations.jsonl").read_text().splitlines()
    )
    comparisons = {name: ([sft_run], runs) for name, runs in policies.items()}
    comparisons.update({f"{a} - {b}": (policies[b], policies[a]) for a, b in versus})
    table = {
        "sft": {"run": str(sft_run), "behaviour": behaviour(sft_run)},
        "policies": {
            name: {
                "runs": [str(r) for r in runs],
                "reference_runs": [str(r) for r in reference],
                "behaviour": [behaviour(r) for r in runs],
                "judges": {j: compare_policy(reference, runs, j, hashes) for j in judges},
            }
            for name, (reference, runs) in comparisons.items()
        },
        "primary": {"policy": primary[0], "judge": primary[1]},
    }
    table["secondary_p"] = secondary_pvalues(table, judges, primary, secondary)
    table["holm_adjusted_p"] = holm(table["secondary_p"])
    return table


def secondary_pvalues(table: dict, judges: list[str], primary: tuple[str, str], also: Sequence[str]) -> dict:
    """The family of pre-registered secondary endpoints (REPORT.md §3.1, §3.2), each with its sign-flip p-value:
    the primary comparison under every other judge, its length-controlled gain and its greedy win rate under the
    primary judge, and each comparison named in ``also`` under the primary judge. The rest of the table is
    descriptive: cross-judging every run, ablations."""
    name, judge = primary
    ours = table["policies"][name]["judges"]
    family = {f"{name}/{j}": ours[j]["p_value"] for j in judges if j != judge}
    family[f"{name}/{judge} length-controlled"] = ours[judge]["length_controlled_p_value"]
    family[f"{name}/{judge} greedy win rate"] = ours[judge]["greedy_win_p_value"]
    family.update({f"{other}/{judge}": table["policies"][other]["judges"][judge]["p_value"] for other in also})
    return family


def markdown(table: dict) -> str:
    lines = [
        "| policy (vs SFT, or a - b) | judge | seeds | gain | 95% CI (seeds, prompts) | t-CI over seeds | "
        "gain / reference std | "
        "length-controlled gain [CI] | greedy win rate |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    fmt = lambda ci: "n/a" if ci is None else f"[{ci[0]:+.3g}, {ci[1]:+.3g}]"  # noqa: E731
    num = lambda x: "n/a" if x is None else f"{x:+.3g}"  # noqa: E731
    for name, policy in table["policies"].items():
        for judge, r in policy["judges"].items():
            lines.append(
                f"| {name} | {judge} | {r['seeds']} | {r['gain']:+.3g} | {fmt(r['ci95_hierarchical'])} | "
                f"{fmt(r['ci95_t_over_seeds'])} | {num(r['gain_reference_std'])} | {r['length_controlled_gain']:+.3g} "
                f"{fmt(r['length_controlled_ci95'])} | {r['greedy_win_rate']:.3f} |"
            )
    secondary = secondary_markdown(table["secondary_p"], table["holm_adjusted_p"])
    tables = ["\n".join(lines), secondary, per_seed_markdown(table), behaviour_markdown(table)]
    return "\n\n".join(tables)


def per_seed_markdown(table: dict) -> str:
    """Each comparison's gain seed by seed (interval: bootstrap over prompts), so one seed cannot hide in a mean."""
    judges = list(next(iter(table["policies"].values()))["judges"])
    lines = [f"| policy (vs SFT, or a - b) | seed | {' | '.join(judges)} |", "|---|---|" + "---|" * len(judges)]
    for name, policy in table["policies"].items():
        for i in range(len(policy["runs"])):
            cells = [policy["judges"][j]["gain_per_seed"][i] for j in judges]
            row = " | ".join(f"{c['mean']:+.3g} [{c['ci95'][0]:+.3g}, {c['ci95'][1]:+.3g}]" for c in cells)
            lines.append(f"| {name} | {i} | {row} |")
    return "\n".join(lines)


def secondary_markdown(pvalues: dict[str, float], adjusted: dict[str, float]) -> str:
    """The secondary family as a table: each endpoint's sign-flip p-value and its Holm-adjusted p-value."""
    lines = ["| secondary endpoint (one Holm family) | p (sign-flip, per prompt) | Holm-adjusted p |", "|---|---|---|"]
    lines += [f"| {name} | {p:.4f} | {adjusted[name]:.4f} |" for name, p in pvalues.items()]
    return "\n".join(lines)


def behaviour_markdown(table: dict) -> str:
    """The judge-free facts of SFT's and each policy run's sampled responses, one row per run (seed)."""
    lines = [
        "| run | KL to SFT (nats) | length (tokens) | unfinished | repetitive |",
        "|---|---|---|---|---|",
    ]
    rows = [("SFT", table["sft"]["behaviour"])]
    for name, policy in table["policies"].items():
        if " - " not in name:  # a policy-vs-policy comparison repeats runs already listed
            rows += [(f"{name} seed {i}", b) for i, b in enumerate(policy["behaviour"])]
    for name, b in rows:
        kl = f"{b['kl']:.2f}" if "kl" in b else "n/a"
        lines.append(f"| {name} | {kl} | {b['length']:.1f} | {b['unfinished']:.3f} | {b['repetitive']:.3f} |")
    return "\n".join(lines)
