"""Peak memory and time of the policy's part of one REINFORCE step (forward + backward of the response log-probs,
float32, full-length rollouts), with and without activation checkpointing, per number of rollouts. Each case runs
in a fresh process, so its peak RSS is its own; a case killed for memory is recorded as such.

The study's float32 chain was killed for memory at its sixth step (16 rollouts of 256 tokens after prompts of up to
384): this measures what ``gradient_checkpointing`` saves there and what it costs in time.

python bench/bench_policy_memory.py --rollouts 8 16 --out results/bench/policy_memory_cpu.json
"""

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from common import DEFAULTS, cpu_model, environment, write


def one(model_path: str, rollouts: int, prompt_length: int, response_length: int, checkpointing: bool) -> dict:
    import torch

    from rlhf.generation import Rollout, response_logprobs
    from rlhf.models import load_causal_lm

    policy = load_causal_lm(model_path).train()
    if checkpointing:
        policy.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
    length = prompt_length + response_length
    ids = torch.randint(3, 40000, (rollouts, length), generator=torch.Generator().manual_seed(0))
    rollout = Rollout(
        input_ids=ids,
        attention_mask=torch.ones_like(ids),
        response_mask=torch.ones(rollouts, response_length, dtype=torch.long),
        finished=torch.zeros(rollouts, dtype=torch.bool),
    )
    loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    start = time.perf_counter()
    response_logprobs(policy, rollout).sum().backward()
    return {
        "rollouts": rollouts,
        "checkpointing": checkpointing,
        "seconds": time.perf_counter() - start,
        "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
        "rss_after_loading_gib": loaded,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=DEFAULTS["model"])
    parser.add_argument("--rollouts", type=int, nargs="+", default=[8, 16])
    parser.add_argument("--prompt-length", type=int, default=384)
    parser.add_argument("--response-length", type=int, default=256)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--checkpointing", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.model, args.one, args.prompt_length, args.response_length, args.checkpointing)))
        return
    results = []
    for n in args.rollouts:
        for checkpointing in (True, False):  # the saving case first: the other may be killed
            cmd = [sys.executable, __file__, "--model", args.model, "--one", str(n), "--out", args.out]
            cmd += ["--prompt-length", str(args.prompt_length), "--response-length", str(args.response_length)]
            run = subprocess.run(cmd + (["--checkpointing"] if checkpointing else []), capture_output=True, text=True)
            if run.returncode == 0:
                results.append(json.loads(run.stdout.strip().splitlines()[-1]))
            else:  # -9: killed by the kernel for memory
                results.append({"rollouts": n, "checkpointing": checkpointing, "failed": run.returncode})
            print(results[-1], flush=True)
    settings = {k: v for k, v in vars(args).items() if k not in ("one", "checkpointing", "out")}
    result = {
        "benchmark": "policy_step_memory",
        "settings": settings,
        "cpu_model": cpu_model(),
        "environment": environment(),
        "results": results,
    }
    write(args.out, result)
    Path(args.out).with_suffix(".md").write_text(table(result, args.out) + "\n")


def table(result: dict, out: str) -> str:
    """Peak memory and time per case, and checkpointing's cost in time, as REPORT.md shows them."""
    s = result["settings"]
    lines = [
        "| rollouts | activation checkpointing | peak RSS, GiB | seconds | time / without checkpointing |",
        "|---|---|---|---|---|",
    ]
    without = {r["rollouts"]: r.get("seconds") for r in result["results"] if not r["checkpointing"]}
    for r in result["results"]:
        on = "yes" if r["checkpointing"] else "no"
        if "failed" in r:
            lines.append(f"| {r['rollouts']} | {on} | killed (exit {r['failed']}) | | |")
            continue
        base = without.get(r["rollouts"])
        ratio = f"{r['seconds'] / base:.2f}" if base else "n/a"
        lines.append(f"| {r['rollouts']} | {on} | {r['peak_rss_gib']:.2f} | {r['seconds']:.1f} | {ratio} |")
    env, cpu = result["environment"], result.get("cpu_model", "CPU not recorded in the file")
    return "\n".join(lines) + (
        f"\n\n{cpu}, {env['threads']} threads, torch {env['torch']}; "
        f"policy forward + backward of float32 response log-probs, {s['prompt_length']} + {s['response_length']} "
        f"tokens per rollout, each case in a fresh process; `python bench/bench_policy_memory.py --rollouts "
        f"{' '.join(map(str, s['rollouts']))} --out {out}`"
    )


if __name__ == "__main__":
    main()
