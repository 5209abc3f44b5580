"""Export a reward model from a Lightning checkpoint to Hugging Face format (what ReinforceModule loads).

Fit already exports at its end (``model.init_args.export_dir``); use this for intermediate checkpoints.
python scripts/tools/export_reward_model.py CKPT OUT_DIR
"""

import sys

import torch

from rlhf.models import DISTRIBUTION_HEAD
from rlhf.reward_model import DistributionalRewardModule, RewardModelModule


def main(checkpoint: str, out_dir: str) -> None:
    saved = torch.load(checkpoint, map_location="cpu", weights_only=False, mmap=True)
    distributional = "comparison" in saved["hyper_parameters"]
    cls = DistributionalRewardModule if distributional else RewardModelModule
    module = cls.load_from_checkpoint(checkpoint, map_location="cpu")
    assert (module.head == DISTRIBUTION_HEAD) == distributional
    module.export(out_dir, {"pairs_trained": saved.get("pairs_trained"), "optimizer_steps": saved["global_step"]})


if __name__ == "__main__":
    main(*sys.argv[1:3])
