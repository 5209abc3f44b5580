"""Reward models and REINFORCE with a moving-average baseline (Ahmadian et al. 2024), in PyTorch Lightning."""

from rlhf.data import HelpSteerDataModule
from rlhf.reinforce import ReinforceModule
from rlhf.reward_model import DistributionalRewardModule, RewardModelModule

__all__ = ["HelpSteerDataModule", "RewardModelModule", "DistributionalRewardModule", "ReinforceModule"]
