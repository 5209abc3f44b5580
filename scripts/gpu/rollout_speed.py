"""Seconds per REINFORCE step on this GPU, measured before the replicate trains, to fix its number of steps.

A step's work at the replicate's settings, on a randomly initialised model of SmolLM2-135M's architecture (the
speed does not depend on the weights; random weights almost never emit eos, so every rollout runs the whole
budget, the slowest case): the rollout (the project's generation helper), the reference's log-probabilities, the RM's
forward, the policy's log-probabilities with their backward and an AdamW step, under bf16 autocast. ``--processes N``
runs N such workers at once, as the replicate runs its seeds. ``steps`` applies scripts/gpu/replicate.sh's rule.

    python scripts/gpu/rollout_speed.py measure --config DIR/config.json --processes 1 3 --out speed.json
    python scripts/gpu/rollout_speed.py steps speed.json --seconds 300     # the steps that fit in 300 s
"""

from __future__ import annotations

import argparse
import json
import time

import torch
import torch.multiprocessing as mp
from transformers import LlamaConfig, LlamaForCausalLM, LlamaForSequenceClassification

from rlhf.generation import generate, response_logprobs
from rlhf.models import reward_logits


def worker(config_path: str, rollouts: int, prompt_tokens: int, new_tokens: int, steps: int, device: str, queue):
    torch.manual_seed(0)
    config = LlamaConfig.from_json_file(config_path)
    policy = LlamaForCausalLM(config).to(device)
    reference = LlamaForCausalLM(config).to(device).eval()
    rm_config = LlamaConfig.from_json_file(config_path)
    rm_config.num_labels = 1
    rm = LlamaForSequenceClassification(rm_config).to(device).eval()
    optimizer = torch.optim.AdamW(policy.parameters(), lr=1e-6, fused=True)
    ids = torch.randint(3, config.vocab_size, (rollouts, prompt_tokens), device=device)
    mask = torch.ones_like(ids)
    sync = torch.cuda.synchronize if device == "cuda" else lambda: None
    times = []
    for _ in range(steps + 1):  # the first is a warm-up
        sync()
        start = time.perf_counter()
        with torch.autocast(device, dtype=torch.bfloat16):
            rollout = generate(policy, ids, mask, config.eos_token_id, new_tokens)
            with torch.inference_mode():
                response_logprobs(reference, rollout)
                reward_logits(rm, rollout.input_ids, rollout.attention_mask)
            loss = -response_logprobs(policy, rollout).sum(-1).mean()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        sync()
        times.append(time.perf_counter() - start)
    queue.put({"step_s": times[1:], "response_tokens": rollout.response_mask.shape[1]})


def measure(args, processes: int) -> dict:
    queue = mp.get_context("spawn").Queue()
    workers = [
        mp.get_context("spawn").Process(
            target=worker,
            args=(args.config, args.rollouts, args.prompt_tokens, args.new_tokens, args.steps, args.device, queue),
        )
        for _ in range(processes)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if any(w.exitcode for w in workers):
        raise SystemExit(f"a worker failed (exit codes {[w.exitcode for w in workers]})")
    results = [queue.get() for _ in workers]
    per_step = [t for r in results for t in r["step_s"]]
    return {"processes": processes, "step_s_mean": sum(per_step) / len(per_step), "step_s_max": max(per_step),
            "response_tokens": results[0]["response_tokens"]}  # fmt: skip


def steps_that_fit(step_s: float, seconds: float, reserve_steps: int = 10, most: int = 150, multiple: int = 10) -> int:
    """The replicate's number of REINFORCE steps: the largest multiple of ``multiple``, at most ``most`` and at least
    ``multiple``, whose steps and ``reserve_steps`` more (the reward statistics' and dev checks' rollouts) take at most
    ``seconds`` at ``step_s`` seconds each."""
    return max(multiple, min(most, int((seconds / step_s - reserve_steps) // multiple * multiple)))


def main() -> None:
    top = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = top.add_subparsers(dest="command", required=True)
    parser = sub.add_parser("measure", help="time REINFORCE steps")
    parser.add_argument("--config", required=True, help="config.json of the model's architecture")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--rollouts", type=int, default=64)
    parser.add_argument("--prompt-tokens", type=int, default=160)
    parser.add_argument("--new-tokens", type=int, default=256)
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--device", default="cuda", help="cuda (what it is for) or cpu (to try it)")
    parser.add_argument("--out", required=True)
    fit = sub.add_parser("steps", help="the steps that fit a time, at a measured speed (its last run)")
    fit.add_argument("report", help="the output of measure")
    fit.add_argument("--seconds", type=float, required=True)
    args = top.parse_args()
    if args.command == "steps":
        with open(args.report) as f:
            print(steps_that_fit(json.load(f)["runs"][-1]["step_s_mean"], args.seconds))
        return
    report = {
        "device": torch.cuda.get_device_name() if args.device == "cuda" else "cpu",
        "torch": torch.__version__,
        "settings": {k: v for k, v in vars(args).items() if k not in ("out", "command")},
        "runs": [measure(args, n) for n in args.processes],
    }
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
