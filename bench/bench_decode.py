"""The rollout as REINFORCE runs it in the study: our decode loop (preallocated cache, finished rows leave the
batch) against the plain loop it replaced (growing dynamic cache, every row to the end), side by side on the same
batches of the study's training prompts, with the same sampler seed. Float32 weights under bf16 autocast with the
weight-cast cache, 16 rollouts, temperature 1, the study's budget. Reports each side's seconds per rollout, the
ratio, and how many rows came out token for token the same (bf16 matmuls on batches of other sizes may round
differently; a row that differs in one logit's last bit can sample another token from there on).

python bench/bench_decode.py --batches 3 --max-new-tokens 256 --out results/bench/decode_cpu.json
"""

import argparse
import statistics
import time

import torch
from common import DEFAULTS, environment, write

from rlhf.data import PromptCollator
from rlhf.dataset import unique_prompts
from rlhf.evaluate import select_rows
from rlhf.generation import generate, plain_generate
from rlhf.models import load_causal_lm, load_tokenizer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for key, value in DEFAULTS.items():
        parser.add_argument(f"--{key}", default=value)
    parser.add_argument("--splits", default="splits/prefmix.json")
    parser.add_argument("--roles", nargs="+", default=["rm_a", "rm_b"])
    parser.add_argument("--sources", nargs="+", default=["alpaca_eval2_weighted"])
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-new-tokens", type=int, default=256)
    parser.add_argument("--max-prompt-length", type=int, default=384)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    tokenizer = load_tokenizer(args.tokenizer)
    eos = tokenizer.eos_token_id
    model = load_causal_lm(args.model, "float32").eval()
    prompts = unique_prompts(tokenizer, select_rows(args.data, args.splits, args.roles, args.sources),
                             args.max_prompt_length)  # fmt: skip
    order = torch.randperm(len(prompts), generator=torch.Generator().manual_seed(0)).tolist()
    collate = PromptCollator(tokenizer.pad_token_id)

    def ours(batch, seed, max_new_tokens=args.max_new_tokens):
        rollout = generate(model, batch["input_ids"], batch["attention_mask"], eos, max_new_tokens,
                           generator=torch.Generator().manual_seed(seed))  # fmt: skip
        return rollout.response_ids, rollout.finished

    def plain(batch, seed, max_new_tokens=args.max_new_tokens):
        with torch.autocast("cpu", dtype=torch.bfloat16, cache_enabled=True):  # the weight casts, as generate does
            return plain_generate(model, batch["input_ids"], batch["attention_mask"], eos, max_new_tokens,
                                  generator=torch.Generator().manual_seed(seed))  # fmt: skip

    runs = []
    with torch.autocast("cpu", dtype=torch.bfloat16):
        warm = collate([prompts[i] for i in order[: args.batch_size]])
        ours(warm, 0, 16), plain(warm, 0, 16)  # allocator and thread-pool warm-up, not timed
        for b in range(args.batches):
            items = [prompts[i] for i in order[b * args.batch_size : (b + 1) * args.batch_size]]
            batch = collate(items)
            sides = [("ours", ours), ("plain", plain)] if b % 2 == 0 else [("plain", plain), ("ours", ours)]
            out = {}
            for name, fn in sides:  # alternating which side goes first
                start = time.perf_counter()
                tokens, finished = fn(batch, b)
                out[name] = (time.perf_counter() - start, tokens, finished)
            (t_ours, ids_ours, fin_ours), (t_plain, ids_plain, fin_plain) = out["ours"], out["plain"]
            width = min(ids_ours.shape[1], ids_plain.shape[1])
            same = (ids_ours[:, :width] == ids_plain[:, :width]).all(-1) & (fin_ours == fin_plain)
            runs.append(
                {
                    "batch": b,
                    "prompt_length_padded": int(batch["input_ids"].shape[1]),
                    "prompt_lengths": batch["attention_mask"].sum(-1).tolist(),
                    "seconds": {"ours": t_ours, "plain": t_plain},
                    "decode_steps": int(ids_ours.shape[1]),
                    "finished": int(fin_ours.sum()),
                    "rows_identical": int(same.sum()),
                }
            )
            print(runs[-1], flush=True)
    ours_s = statistics.median(r["seconds"]["ours"] for r in runs)
    plain_s = statistics.median(r["seconds"]["plain"] for r in runs)
    write(
        args.out,
        {
            "benchmark": "one REINFORCE rollout: our decode loop against the plain loop, same batches and seeds",
            "settings": vars(args),
            "environment": environment(),
            "median_seconds": {"ours": ours_s, "plain": plain_s},
            "speedup": plain_s / ours_s,
            "rows_identical": sum(r["rows_identical"] for r in runs),
            "rows": args.batches * args.batch_size,
            "runs": runs,
        },
    )


if __name__ == "__main__":
    main()
