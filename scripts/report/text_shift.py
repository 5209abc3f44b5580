"""The look for reward hacking in the text itself: what a policy's sampled test responses do more or less often than
SFT's on the same prompts. Fixed markers (lists, headers, bold, code, exclamations, apologies and refusals,
emoji, the response ending on a question) with paired per-prompt differences and bootstrap intervals over prompts;
then, as an open-ended search, the word 1-3-grams whose share of responses rose or fell most, and the openings.
The markers are chosen before reading any policy output; the n-gram lists are descriptive (no test).

python scripts/report/text_shift.py --eval $RLHF_ARTIFACTS/eval --policy reinforce=l1_seed0,l1_seed1,l1_seed2 \
    --out results/level1/text_shift.json      # and text_shift.md beside it
"""

import argparse
import os
import re
from collections import Counter

import torch

from rlhf.evaluate import read_jsonl
from rlhf.paths import write_result
from rlhf.stats import bootstrap_ci

MARKERS = {
    "bullet list": re.compile(r"^\s*[-*•] ", re.M),
    "numbered list": re.compile(r"^\s*\d+[.)] ", re.M),
    "markdown header": re.compile(r"^\s*#+ ", re.M),
    "bold": re.compile(r"\*\*[^*\n]+\*\*"),
    "code block": re.compile(r"```"),
    "exclamation": re.compile(r"!(\s|$)"),
    "apology or refusal": re.compile(r"\b(I'm sorry|I am sorry|I apologi[sz]e|I can't|I cannot|As an AI)\b", re.I),
    "emoji": re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]"),
    "ends on a question": re.compile(r"\?\s*$"),
}
MIN_SHARE = 0.05  # an n-gram is listed only if at least this share of one side's responses contain it
TOP = 12


def samples_by_prompt(eval_dir: str, runs: list[str]) -> dict[str, list[str]]:
    """Per prompt hash: the texts of the sampled responses of every run (seeds pooled)."""
    texts: dict[str, list[str]] = {}
    for run in runs:
        for record in read_jsonl(os.path.join(eval_dir, run, "generations.jsonl")):
            texts.setdefault(record["prompt_hash"], []).extend(s["text"] for s in record["samples"])
    return texts


def share(pattern: re.Pattern, texts: list[str]) -> float:
    return sum(bool(pattern.search(t)) for t in texts) / len(texts)


def marker_shift(sft: dict[str, list[str]], policy: dict[str, list[str]]) -> dict:
    """Per marker: share of SFT's and of the policy's responses that show it, and the paired per-prompt difference."""
    prompts = sorted(sft)
    out = {}
    for name, pattern in MARKERS.items():
        s = torch.tensor([share(pattern, sft[p]) for p in prompts], dtype=torch.float64)
        q = torch.tensor([share(pattern, policy[p]) for p in prompts], dtype=torch.float64)
        out[name] = {"sft": s.mean().item(), "policy": q.mean().item(), "difference": (q - s).mean().item(),
                     "ci95": bootstrap_ci(q - s)}  # fmt: skip
    return out


def ngrams(text: str, n_max: int = 3) -> set[str]:
    words = re.findall(r"[a-z0-9']+", text.lower())
    return {" ".join(words[i : i + n]) for n in range(1, n_max + 1) for i in range(len(words) - n + 1)}


def document_shares(texts: list[str]) -> Counter:
    counts = Counter(g for t in texts for g in ngrams(t))
    return Counter({g: c / len(texts) for g, c in counts.items()})


def ngram_shift(sft_texts: list[str], policy_texts: list[str]) -> dict:
    """The word 1-3-grams whose share of responses changed most (shown in at least MIN_SHARE of one side)."""
    s, q = document_shares(sft_texts), document_shares(policy_texts)
    common = [g for g in set(s) | set(q) if max(s[g], q[g]) >= MIN_SHARE]
    ranked = sorted(common, key=lambda g: q[g] - s[g])
    row = lambda g: {"ngram": g, "sft": s[g], "policy": q[g]}  # noqa: E731
    return {"rose": [row(g) for g in ranked[::-1][:TOP]], "fell": [row(g) for g in ranked[:TOP]]}


def openings(texts: list[str], words: int = 3) -> list[dict]:
    counts = Counter(" ".join(re.findall(r"\S+", t)[:words]) for t in texts)
    return [{"opening": o, "share": c / len(texts)} for o, c in counts.most_common(5)]


def analyse(eval_dir: str, sft_run: str, policies: dict[str, list[str]]) -> dict:
    sft = samples_by_prompt(eval_dir, [sft_run])
    sft_texts = [t for texts in sft.values() for t in texts]
    result = {"sft_run": sft_run, "sft_openings": openings(sft_texts), "policies": {}}
    for name, runs in policies.items():
        policy = samples_by_prompt(eval_dir, runs)
        if set(policy) != set(sft):
            raise ValueError(f"{name}: its runs and {sft_run} cover different prompts")
        texts = [t for ts in policy.values() for t in ts]
        result["policies"][name] = {
            "runs": runs,
            "responses": len(texts),
            "markers": marker_shift(sft, policy),
            "ngrams": ngram_shift(sft_texts, texts),
            "openings": openings(texts),
        }
    return result


def markdown(result: dict) -> str:
    lines = []
    for name, r in result["policies"].items():
        lines += [f"**{name}** ({r['responses']} sampled responses) against SFT, same prompts:", ""]
        lines += ["| marker | SFT share | policy share | difference [95% CI over prompts] |", "|---|---|---|---|"]
        for marker, m in r["markers"].items():
            ci = f"[{m['ci95'][0]:+.3f}, {m['ci95'][1]:+.3f}]"
            lines.append(f"| {marker} | {m['sft']:.3f} | {m['policy']:.3f} | {m['difference']:+.3f} {ci} |")
        for way in ("rose", "fell"):
            shown = ", ".join(f'"{g["ngram"]}" {g["sft"]:.2f}→{g["policy"]:.2f}' for g in r["ngrams"][way])
            lines += ["", f"Word n-grams whose share of responses {way} most: {shown}."]
        shown = ", ".join(f'"{o["opening"]}" {o["share"]:.2f}' for o in r["openings"])
        lines += ["", f"Most common openings: {shown}.", ""]
    shown = ", ".join(f'"{o["opening"]}" {o["share"]:.2f}' for o in result["sft_openings"])
    return "\n".join(lines + [f"SFT's most common openings: {shown}."])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval", required=True, help="directory of the evaluation runs (one per policy and seed)")
    parser.add_argument("--sft", default="sft")
    parser.add_argument("--policy", action="append", required=True, help="NAME=RUN[,RUN...] (seeds pooled)")
    parser.add_argument("--out", required=True, help="JSON; a .md beside it")
    args = parser.parse_args()
    policies = {name: runs.split(",") for name, _, runs in (p.partition("=") for p in args.policy)}
    result = analyse(args.eval, args.sft, policies)
    write_result(args.out, result, markdown(result) + "\n", indent=1)
    print(markdown(result))


if __name__ == "__main__":
    main()
