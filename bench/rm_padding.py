"""How much of a study RM's training arithmetic is padding: token slots of the epoch's micro-batches, as the study's
config makes them (configs/study/reward_model_cpu.yaml: its batch size, max_length, batch limit, length-grouped
order, seed 0), against the real tokens in them, and what two other batchings would leave. No model runs: counts
only, so it can run beside a training run.

Forward + backward cost grows with the token slots (and attention faster), so ``padded_share`` bounds what a pass
without padding could save of an RM's epoch.

python bench/rm_padding.py --out results/bench/rm_padding.json
"""

import argparse

import yaml
from common import DEFAULTS, environment, write

from rlhf.data import HelpSteerDataModule

STUDY_CONFIG = "configs/study/reward_model_cpu.yaml"


def slots(lengths: list[list[int]]) -> int:
    """Token slots of batches padded to their longest sequence."""
    return sum(len(batch) * max(batch) for batch in lengths)


def padding(micro_batches: list[list[int]]) -> dict:
    """Padding of micro-batches given as their sequences' real lengths (the B chosen responses, then the B rejected,
    as the pair collator lays them out), and what one pair per micro-batch would leave."""
    real = sum(map(sum, micro_batches))
    per_pair = [[b[j], b[len(b) // 2 + j]] for b in micro_batches for j in range(len(b) // 2)]
    return {
        "micro_batches": len(micro_batches),
        "real_tokens": real,
        "token_slots": slots(micro_batches),
        "padded_share": 1 - real / slots(micro_batches),
        "padded_share_one_pair_per_batch": 1 - real / slots(per_pair),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for key in ("tokenizer", "data"):
        parser.add_argument(f"--{key}", default=DEFAULTS[key])
    parser.add_argument("--roles", nargs="+", default=["rm_a", "rm_b"], help="the split file's RM-train halves")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    with open(STUDY_CONFIG) as f:
        config = yaml.safe_load(f)
    data, batches = config["data"], config["trainer"]["limit_train_batches"]
    result = {"settings": {**vars(args), "config": STUDY_CONFIG, "batch_size": data["batch_size"],
                           "max_length": data["max_length"], "batches": batches}}  # fmt: skip
    for role in args.roles:
        datamodule = HelpSteerDataModule(
            path=args.data, tokenizer=args.tokenizer, splits=data["splits"], train_roles=[role],
            max_length=data["max_length"], batch_size=data["batch_size"],
        )  # fmt: skip
        datamodule.setup()
        micro_batches = []  # each: its sequences' real lengths (the chosen responses, then the rejected)
        for i, batch in enumerate(datamodule.train_dataloader()):
            if i == batches:
                break
            micro_batches.append(batch["attention_mask"].sum(-1).tolist())
        result[role] = padding(micro_batches)
    result["environment"] = environment()
    write(args.out, result)


if __name__ == "__main__":
    main()
