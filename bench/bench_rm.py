"""Reward-model training throughput: RewardModelModule vs TRL's RewardTrainer, same model, pairs, max length,
batch size, precision and optimiser, timed in one process, the two sides alternating run by run. Each run trains
``--epochs`` epochs and only the last one is timed: the first steps of a run pay one-off costs (first touch of
activation and optimiser memory), and a whole epoch holds the same pairs on both sides however they are batched.

python bench/bench_rm.py --pairs 24 --batch-size 4 --max-length 384 --epochs 2 --repeats 3 \
    --out results/bench/rm_cpu.json
"""

import argparse
import statistics
import tempfile

import lightning as L
import torch
from common import (
    HFStepTimer,
    add_common_args,
    environment,
    fitting_rows,
    seconds_per_step,
    table,
    timed_lightning_fit,
    write,
)
from datasets import Dataset
from torch.utils.data import DataLoader

from rlhf.data import PairCollator
from rlhf.dataset import encode_pairs
from rlhf.models import load_reward_model, load_tokenizer
from rlhf.reward_model import RewardModelModule
from rlhf.sampling import LengthGroupedSampler


def run_ours(args, rows) -> list[float]:
    L.seed_everything(0)
    module = RewardModelModule(model=args.model, tokenizer=args.tokenizer, lr=5e-5, export_dir=None)
    items = encode_pairs(module.tokenizer, rows, args.max_length)
    lengths = [max(len(i["chosen_ids"]), len(i["rejected_ids"])) for i in items]
    loader = DataLoader(
        items,
        batch_size=args.batch_size,
        sampler=LengthGroupedSampler(lengths, args.batch_size),
        collate_fn=PairCollator(module.tokenizer.pad_token_id),
        drop_last=True,
    )
    return timed_lightning_fit(module, loader, args.precision, max_epochs=args.epochs)


def run_trl(args, rows) -> list[float]:
    from trl import RewardConfig, RewardTrainer

    tokenizer = load_tokenizer(args.tokenizer)
    torch.manual_seed(0)
    model = load_reward_model(args.model, tokenizer.pad_token_id, head="scalar")
    timer = HFStepTimer()
    with tempfile.TemporaryDirectory() as out:
        config = RewardConfig(
            output_dir=out,
            per_device_train_batch_size=args.batch_size,
            max_length=args.max_length,
            learning_rate=5e-5,
            num_train_epochs=args.epochs,
            lr_scheduler_type="linear",
            warmup_steps=0.03,  # a fraction of the steps, as our warmup_ratio
            gradient_checkpointing=False,
            bf16=args.precision == "bf16-mixed",
            fp16=args.precision == "16-mixed",
            report_to=[],
            save_strategy="no",
            logging_steps=10_000,
            seed=0,
            dataloader_drop_last=True,
            use_cpu=not torch.cuda.is_available(),
        )
        data = Dataset.from_list([{"chosen": r["chosen"], "rejected": r["rejected"]} for r in rows])
        trainer = RewardTrainer(
            model=model, args=config, train_dataset=data, processing_class=tokenizer, callbacks=[timer]
        )
        trainer.train()
    return timer.times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(parser)
    parser.add_argument("--pairs", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=2, help="epochs per run; only the last one is timed")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--max-length", type=int, default=384)
    parser.add_argument("--precision", default="32", choices=["32", "bf16-mixed", "16-mixed"])
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.pairs % args.batch_size:
        raise SystemExit("--pairs must be a multiple of --batch-size (every step a full batch on both sides)")
    tokenizer = load_tokenizer(args.tokenizer)
    rows = fitting_rows(tokenizer, args.data, args.max_length, args.pairs)
    tokens_per_pair = statistics.mean(
        len(i["chosen_ids"]) + len(i["rejected_ids"]) for i in encode_pairs(tokenizer, rows, args.max_length)
    )
    steps_per_epoch = args.pairs // args.batch_size
    ours, theirs = [], []
    for repeat in range(args.repeats):  # alternate who goes first, so drift and first-run effects hit both sides
        sides = [(run_ours, ours), (run_trl, theirs)]
        for run, runs in sides if repeat % 2 == 0 else sides[::-1]:
            runs.append(seconds_per_step(run(args, rows), warmup=(args.epochs - 1) * steps_per_epoch))
    ours_step, trl_step = statistics.median(ours), statistics.median(theirs)
    result = {
        "benchmark": "reward-model training step",
        "settings": {k: v for k, v in vars(args).items() if k != "out"},
        "environment": environment(),
        "seconds_per_step": {"ours": ours_step, "trl": trl_step, "ours_runs": ours, "trl_runs": theirs},
        "pairs_per_second": {"ours": args.batch_size / ours_step, "trl": args.batch_size / trl_step},
        "tokens_per_pair": tokens_per_pair,  # prompt + response, both responses, no padding
        "tokens_per_second": {
            "ours": args.batch_size * tokens_per_pair / ours_step,
            "trl": args.batch_size * tokens_per_pair / trl_step,
        },
        "ours_over_trl_throughput": trl_step / ours_step,
    }
    write(args.out, result)
    rows = [
        ("pairs/s", result["pairs_per_second"]["ours"], result["pairs_per_second"]["trl"]),
        ("tokens/s", result["tokens_per_second"]["ours"], result["tokens_per_second"]["trl"]),
    ]
    print(table(rows, f"RM training, median of {args.repeats} runs"))


if __name__ == "__main__":
    main()
