"""Rollout throughput: our generation helper (rlhf.generation.generate) against Hugging Face's ``model.generate``
at the same batch size and dtype, sampling at temperature 1 (no top-k/top-p), as REINFORCE rollouts do. One
process, the sides alternating run by run, medians of ``--repeats`` runs. A third side is the path REINFORCE
takes: float32 weights under bf16 autocast.

Throughput counts token slots: every row computes every decode step until the last row stops (both sides stop a
batch when all rows have met eos), so batch x steps / seconds is the work done; the real (pre-eos) tokens are
recorded beside it. Exactness: greedy decoding from both sides, token for token, on the same prompts.

python bench/bench_generation.py --batch-sizes 16 64 --max-new-tokens 64 --repeats 3 \
    --out results/bench/generation_cpu.json
"""

import argparse
import statistics
import time

import torch
from common import add_common_args, environment, write
from transformers import GenerationConfig

from rlhf.data import PromptCollator
from rlhf.dataset import clean_pairs, load_rows, unique_prompts
from rlhf.generation import Rollout, generate
from rlhf.models import load_causal_lm, load_tokenizer


def hf_generate(model, input_ids, attention_mask, eos, max_new_tokens, greedy) -> Rollout:
    """Hugging Face's ``model.generate`` with our stopping rule and sampler settings, as a Rollout."""
    config = GenerationConfig(
        do_sample=not greedy,
        top_k=None if greedy else 0,
        top_p=None if greedy else 1.0,
        temperature=None if greedy else 1.0,
        max_new_tokens=max_new_tokens,
        eos_token_id=eos,
        pad_token_id=eos,
    )
    sequences = model.generate(input_ids=input_ids, attention_mask=attention_mask, generation_config=config)
    response = sequences[:, input_ids.shape[1] :]
    is_eos = response == eos
    finished = is_eos.any(-1)
    lengths = torch.where(finished, is_eos.int().argmax(-1) + 1, response.shape[1])
    mask = (torch.arange(response.shape[1]) < lengths[:, None]).long()
    return Rollout(sequences, torch.cat([attention_mask, mask], 1), mask, finished)


def ours(model, input_ids, attention_mask, eos, max_new_tokens, greedy) -> Rollout:
    return generate(model, input_ids, attention_mask, eos, max_new_tokens, greedy=greedy)


def ours_autocast(model, input_ids, attention_mask, eos, max_new_tokens, greedy) -> Rollout:
    with torch.autocast("cpu", dtype=torch.bfloat16):
        return generate(model, input_ids, attention_mask, eos, max_new_tokens, greedy=greedy)


def same_responses(a: Rollout, b: Rollout) -> list[bool]:
    """Row by row: are the two rollouts' responses (up to and including eos) the same tokens?"""
    pairs = zip(a.response_ids, a.response_mask, b.response_ids, b.response_mask)
    return [x[m.bool()].tolist() == y[n.bool()].tolist() for x, m, y, n in pairs]


OURS = ("ours", "ours_autocast")


def timed(engine, model, batch, eos, max_new_tokens, greedy=False) -> dict:
    start = time.perf_counter()
    rollout = engine(model, batch["input_ids"], batch["attention_mask"], eos, max_new_tokens, greedy)
    seconds = time.perf_counter() - start
    slots = rollout.response_mask.numel()
    return {
        "seconds": seconds,
        "decode_steps": rollout.response_mask.shape[1],
        "token_slots_per_s": slots / seconds,
        "real_tokens_per_s": int(rollout.response_mask.sum()) / seconds,
        "rollout": rollout,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(parser)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--max-prompt-length", type=int, default=256)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    tokenizer = load_tokenizer(args.tokenizer)
    eos = tokenizer.eos_token_id
    bf16 = load_causal_lm(args.model, "bfloat16").eval()
    fp32 = load_causal_lm(args.model).eval()
    sides = {"hf": (hf_generate, bf16), "ours": (ours, bf16), "ours_autocast": (ours_autocast, fp32)}
    prompts = unique_prompts(tokenizer, clean_pairs(load_rows(args.data)), args.max_prompt_length)
    order = torch.randperm(len(prompts), generator=torch.Generator().manual_seed(0)).tolist()
    collate = PromptCollator(tokenizer.pad_token_id)
    results = {}
    for batch_size in args.batch_sizes:
        batch = collate([prompts[i] for i in order[:batch_size]])
        greedy = {
            name: timed(engine, model, batch, eos, args.max_new_tokens, True)["rollout"]
            for name, (engine, model) in sides.items()
        }
        runs = {name: [] for name in sides}
        for repeat in range(args.repeats + 1):  # the first round warms up and is dropped
            names = list(sides) if repeat % 2 == 0 else list(sides)[::-1]
            for name in names:
                engine, model = sides[name]
                run = timed(engine, model, batch, eos, args.max_new_tokens)
                del run["rollout"]
                if repeat:
                    runs[name].append(run)
        median = {n: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for n, rs in runs.items()}
        results[str(batch_size)] = {
            "median": median,
            "runs": runs,
            "speedup_over_hf": {n: median[n]["token_slots_per_s"] / median["hf"]["token_slots_per_s"] for n in sides},
            "greedy_rows_identical_to_hf": {n: sum(same_responses(greedy[n], greedy["hf"])) for n in OURS},
            "prompt_length": int(batch["input_ids"].shape[1]),
        }
    write(
        args.out,
        {
            "benchmark": "generation: ours vs model.generate, sampling at temperature 1 (token slots per second)",
            "settings": {k: v for k, v in vars(args).items() if k != "out"},
            "environment": environment(),
            "results": results,
        },
    )
    print("| batch | side | token slots/s | real tokens/s | x model.generate | greedy rows identical |")
    print("|---|---|---|---|---|---|")
    for batch_size, r in results.items():
        for name, m in r["median"].items():
            same = r["greedy_rows_identical_to_hf"].get(name, "-")
            row = [batch_size, name, f"{m['token_slots_per_s']:.0f}", f"{m['real_tokens_per_s']:.0f}"]
            row += [f"{r['speedup_over_hf'][name]:.2f}", f"{same}/{batch_size}"]
            print("| " + " | ".join(map(str, row)) + " |")


if __name__ == "__main__":
    main()
