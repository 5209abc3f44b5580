"""One REINFORCE step (rollout + reference and RM scoring + update): ReinforceModule vs TRL's RLOOTrainer with the
closest settings it allows (k=2 samples per prompt is its minimum; same number of completions per step, same
max new tokens, temperature 1, no top-k/top-p, beta 0.05, one update per rollout batch, fp32, no gradient
checkpointing). Timed in one process, one after the other.

python bench/bench_reinforce.py --policy-dir artifacts/bench/policy --reward-model artifacts/pilot/reward_model \
    --completions 4 --max-new-tokens 32 --steps 4 --out results/bench/reinforce_cpu.json
"""

import argparse
import os
import tempfile

import lightning as L
import torch
from common import HFStepTimer, add_common_args, environment, seconds_per_step, table, timed_lightning_fit, write
from datasets import Dataset
from torch.utils.data import DataLoader

from rlhf.data import PromptCollator, clean_pairs, conversation, load_rows, unique_prompts
from rlhf.models import load_causal_lm, load_reward_model, load_tokenizer
from rlhf.reinforce import ReinforceModule


def prompt_rows(args, tokenizer, count: int) -> list[dict]:
    rows = clean_pairs(load_rows(args.data))
    seen, short = set(), []
    for row in rows:
        ids = tokenizer.apply_chat_template(conversation(row), tokenize=False, add_generation_prompt=True)
        if row["prompt"] not in seen and len(tokenizer(ids)["input_ids"]) <= args.max_prompt_length:
            seen.add(row["prompt"])
            short.append(row)
        if len(short) == count:
            return short
    raise SystemExit("not enough short prompts")


def run_ours(args, rows) -> list[float]:
    L.seed_everything(0)
    module = ReinforceModule(
        policy=args.policy_dir,
        reward_model=args.reward_model,
        tokenizer=args.tokenizer,
        lr=1e-6,
        beta=0.05,
        max_new_tokens=args.max_new_tokens,
        standardize_rewards=False,
        unfinished_penalty=0.0,
        sample_log_every_n_steps=0,
        eval_num_samples=0,
    )
    items = unique_prompts(module.tokenizer, rows, args.max_prompt_length)
    loader = DataLoader(
        items, batch_size=args.completions, shuffle=False, collate_fn=PromptCollator(module.tokenizer.pad_token_id)
    )
    return timed_lightning_fit(module, loader, "32", max_steps=args.steps)


def run_trl(args, rows) -> list[float]:
    from trl import RLOOConfig, RLOOTrainer

    tokenizer = load_tokenizer(args.tokenizer)
    reward_model = load_reward_model(args.reward_model, tokenizer.pad_token_id)
    timer = HFStepTimer()
    with tempfile.TemporaryDirectory() as out:
        config = RLOOConfig(
            output_dir=out,
            per_device_train_batch_size=args.completions,
            num_generations=2,
            max_completion_length=args.max_new_tokens,
            temperature=1.0,
            top_k=0,
            top_p=1.0,
            beta=0.05,
            learning_rate=1e-6,
            num_iterations=1,
            max_steps=args.steps,
            gradient_checkpointing=False,
            bf16=False,
            fp16=False,
            report_to=[],
            save_strategy="no",
            logging_steps=10_000,
            seed=0,
            use_cpu=not torch.cuda.is_available(),
        )
        data = Dataset.from_list([{"prompt": conversation(r)} for r in rows])
        trainer = RLOOTrainer(
            model=args.policy_dir,
            reward_funcs=reward_model,
            args=config,
            train_dataset=data,
            processing_class=tokenizer,
            reward_processing_classes=tokenizer,
            callbacks=[timer],
        )
        trainer.train()
    return timer.times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(parser)
    parser.add_argument(
        "--policy-dir", required=True, help="HF directory of the policy (written from --model if missing)"
    )
    parser.add_argument("--reward-model", required=True)
    parser.add_argument("--completions", type=int, default=4, help="completions per step, both sides")
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--max-prompt-length", type=int, default=128)
    parser.add_argument("--steps", type=int, default=4)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if not os.path.exists(os.path.join(args.policy_dir, "config.json")):  # TRL loads its reference from a path
        load_causal_lm(args.model).save_pretrained(args.policy_dir)
        load_tokenizer(args.tokenizer).save_pretrained(args.policy_dir)
    rows = prompt_rows(args, load_tokenizer(args.tokenizer), args.completions * args.steps)
    ours, theirs = [], []
    for _ in range(args.repeats):
        ours.append(seconds_per_step(run_ours(args, rows)))
        theirs.append(seconds_per_step(run_trl(args, rows)))
    ours_step, trl_step = min(ours), min(theirs)  # the least-disturbed repeat of each side
    result = {
        "benchmark": "REINFORCE step (ours) vs RLOO step (TRL), equal completions per step",
        "settings": {k: v for k, v in vars(args).items() if k != "out"},
        "environment": environment(),
        "seconds_per_step": {"ours": ours_step, "trl": trl_step, "ours_runs": ours, "trl_runs": theirs},
        "completions_per_second": {"ours": args.completions / ours_step, "trl": args.completions / trl_step},
        "ours_over_trl_throughput": trl_step / ours_step,
        "caveat": "response lengths are sampled, so the two sides need not generate the same number of tokens",
    }
    write(args.out, result)
    print(table([("completions/s", args.completions / ours_step, args.completions / trl_step)], "REINFORCE step"))


if __name__ == "__main__":
    main()
