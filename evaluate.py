"""Evaluation stages on files: ``python evaluate.py {generate,judge,pairs,probe,compare} --help``.

generate: a policy (checkpoint, exported directory or the SFT model) on a prompt set -> generations.jsonl
          (greedy + k sampled responses per prompt, token ids, length, finished, KL to a reference)
judge:    any exported RM -> its scores of every response of a generations file
pairs:    any exported RM -> agreement with a pair file's labels, and the length baseline, prompt-clustered CIs
probe:    any exported RM -> how it scores a fixed garbage answer against the SFT answers
compare:  policies x judges x seeds vs SFT -> table (JSON + markdown) with the study's statistics
Errors in the input end with one line (``RLHF_TRACEBACK=1`` for the traceback), as in cli.py.
"""

import argparse
import json
import sys
from pathlib import Path

from rlhf.compare import compare, markdown
from rlhf.evaluate import run_generate, run_judge, run_pairs, run_probe
from rlhf.paths import InputError, run_with_one_line_errors

DATA = ("--data", "--splits", "--roles", "--sources")


def data_args(p, roles):
    p.add_argument("--data", required=True, help="pair file (or Hub dataset) the prompts come from")
    p.add_argument("--splits", help="split file (scripts/data/make_splits.py)")
    p.add_argument("--roles", nargs="+", default=roles, help="roles of the split file to take")
    p.add_argument("--sources", nargs="+", help="keep only rows of these sources")


def precision_arg(p) -> None:
    p.add_argument("--precision", choices=["bf16-mixed", "32"], default="bf16-mixed",
                   help="bf16 autocast (fast with bf16 instructions) or float32 (fast without them)")  # fmt: skip
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu", help="where the models run")


def progress_arg(p) -> None:
    p.add_argument("--progress", help="where the batches scored so far are kept, so that a cut-off run resumes "
                   "(default: OUT.partial.pt; removed when the output is written)")  # fmt: skip


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = top.add_subparsers(dest="stage", required=True)

    p = sub.add_parser("generate", help="responses of one policy")
    p.add_argument("--policy", required=True, help="REINFORCE .ckpt, exported policy dir, SFT model (dir/.gguf/Hub)")
    p.add_argument("--reference", help="SFT model: adds each sample's KL(policy || reference)")
    p.add_argument("--tokenizer", required=True)
    data_args(p, ["test"])
    p.add_argument("--max-prompt-length", type=int, default=512)
    p.add_argument("--max-prompts", type=int, default=None, help="the first N prompts only (quick checks)")
    p.add_argument("--samples", type=int, default=2, help="sampled responses per prompt, besides the greedy one")
    p.add_argument("--max-new-tokens", type=int, default=256)
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    precision_arg(p)
    p.add_argument("--out", required=True)
    p.set_defaults(func=run_generate)

    scorers = {"judge": (run_judge, "scores of a generations file"), "probe": (run_probe, "garbage-answer probe")}
    for name, (func, helptext) in scorers.items():
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--rm", required=True, help="exported reward model directory")
        p.add_argument("--generations", required=True)
        if name == "probe":
            p.add_argument("--probe", required=True, help="text file with the answer to score")
        p.add_argument("--batch-size", type=int, default=16)
        precision_arg(p)
        p.add_argument("--out", required=True)
        progress_arg(p)
        p.set_defaults(func=func)

    p = sub.add_parser("pairs", help="agreement with a pair file's labels")
    p.add_argument("--rm", required=True)
    p.add_argument("--pairs", required=True)
    p.add_argument("--splits")
    p.add_argument("--roles", nargs="+", default=["test"])
    p.add_argument("--sources", nargs="+")
    p.add_argument("--max-length", type=int, default=1024)
    p.add_argument("--max-prompts", type=int, help="the pairs of the first N prompts in prompt-hash order only")
    p.add_argument("--rating-range", type=float, nargs=2, metavar=("LOW", "HIGH"),
                   help="the pairs' rating scale (1 10: grades): how a distributional RM's p(s) fits them")  # fmt: skip
    p.add_argument("--grade-prior-roles", nargs="+", metavar="ROLE",
                   help="the RM's training roles: their grade shares, as one p(s), are the fit's baseline")  # fmt: skip
    p.add_argument("--batch-size", type=int, default=16)
    precision_arg(p)
    p.add_argument("--out", required=True)
    p.add_argument("--scores-out", help="also each pair's scores, one JSON line per pair (.jsonl or .jsonl.gz)")
    progress_arg(p)
    p.set_defaults(func=run_pairs)

    p = sub.add_parser("compare", help="policies x judges x seeds against SFT")
    p.add_argument("--sft", required=True, help="run directory of the SFT model's generations")
    p.add_argument("--policy", action="append", required=True, help="NAME=DIR[,DIR...] (one directory per seed)")
    p.add_argument("--judges", nargs="+", required=True, help="judge names (scores_<name>.jsonl) or 'length'")
    p.add_argument("--versus", action="append", default=[], help="A:B compares policy A with policy B, seeds paired")
    p.add_argument("--primary", default=None, help="POLICY/JUDGE (or 'A - B/JUDGE') of the primary endpoint")
    p.add_argument(
        "--secondary",
        action="append",
        default=[],
        help="POLICY (or 'A - B'): in the secondary endpoints' Holm family, under the primary judge",
    )
    p.add_argument("--out", required=True, help="JSON; a .md table is written beside it")
    p.set_defaults(func=run_compare)
    return top


def run_compare(args) -> None:
    policies = {}
    for spec in args.policy:
        name, _, dirs = spec.partition("=")
        policies[name] = [Path(d) for d in dirs.split(",")]
    primary = tuple(args.primary.rsplit("/", 1)) if args.primary else (next(iter(policies)), args.judges[0])
    versus = [tuple(v.split(":")) for v in args.versus]
    unknown = [name for pair in versus for name in pair if name not in policies]
    if unknown:
        raise InputError(f"--versus names {unknown} are not among the --policy names {sorted(policies)}")
    comparisons = [*policies, *(f"{a} - {b}" for a, b in versus)]
    unknown = [name for name in [primary[0], *args.secondary] if name not in comparisons]
    if unknown:
        raise InputError(f"--primary/--secondary name {unknown}, not among the comparisons {comparisons}")
    table = compare(Path(args.sft), policies, args.judges, primary, versus, args.secondary)
    table["command"] = "python evaluate.py " + " ".join(sys.argv[1:])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(table, indent=1))
    Path(args.out).with_suffix(".md").write_text(markdown(table) + "\n")
    print(markdown(table))


def main(argv=None) -> None:
    args = parser().parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    run_with_one_line_errors(main)
