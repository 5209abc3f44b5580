"""Peak memory and time of one RM training step (forward + backward, bf16 autocast, full-length sequences) per
micro-batch size, to choose the RM's micro-batch on a 24 GiB machine. Each size runs in a fresh process, so its
peak RSS is its own.

python bench/bench_rm_memory.py --sequences 16 8 --length 1024 --out results/bench/rm_memory_cpu.json
"""

import argparse
import json
import resource
import subprocess
import sys
import time

from common import DEFAULTS, environment


def one(model_path: str, sequences: int, length: int) -> dict:
    import torch

    from rlhf.models import load_reward_model, reward_logits

    model = load_reward_model(model_path, 2, head="scalar").train()
    ids = torch.randint(3, 40000, (sequences, length), generator=torch.Generator().manual_seed(0))
    mask = torch.ones(sequences, length, dtype=torch.long)
    start = time.perf_counter()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        scores = reward_logits(model, ids, mask)
    scores.sum().backward()
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    return {
        "sequences": sequences,
        "seconds": seconds,
        "tokens_per_s": sequences * length / seconds,
        "peak_rss_gib": peak,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=DEFAULTS["model"])
    parser.add_argument("--sequences", type=int, nargs="+", default=[16, 8])
    parser.add_argument("--length", type=int, default=1024)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.model, args.one, args.length)))
        return
    results = []
    for n in args.sequences:
        cmd = [sys.executable, __file__, "--model", args.model, "--length", str(args.length), "--one", str(n)]
        run = subprocess.run(cmd, capture_output=True, text=True)
        ok = run.returncode == 0
        results.append(
            json.loads(run.stdout.strip().splitlines()[-1]) if ok else {"sequences": n, "failed": run.returncode}
        )
        print(results[-1], flush=True)
    report = {"benchmark": "rm_step_memory", "length": args.length, "environment": environment(), "results": results}
    if args.out:
        with open(args.out, "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
