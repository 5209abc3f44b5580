"""Entry point for every stage: ``python cli.py {fit,validate,test} --config configs/<stage>.yaml``.

The module class is chosen by the config's ``model.class_path`` (RewardModelModule, DistributionalRewardModule
or ReinforceModule); all of them share HelpSteerDataModule. The tokenizer is named once, in ``data.tokenizer``.
"""

import warnings

from lightning.pytorch.cli import LightningCLI

from rlhf.data import HelpSteerDataModule

# Our training samplers recompute each epoch's order and skip what a resumed run has seen (data.EpochShuffleSampler),
# so Lightning's generic warning about resuming mid-epoch without a stateful dataloader does not apply.
warnings.filterwarnings("ignore", message="You're resuming from a checkpoint that ended before the epoch ended")


class RLHFCLI(LightningCLI):
    def add_arguments_to_parser(self, parser):
        parser.link_arguments("data.tokenizer", "model.init_args.tokenizer")


def main(args=None):
    return RLHFCLI(
        datamodule_class=HelpSteerDataModule,
        subclass_mode_model=True,
        save_config_kwargs={"overwrite": True},
        args=args,
    )


if __name__ == "__main__":
    main()
