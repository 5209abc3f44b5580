"""Entry point for every stage: ``python cli.py {fit,validate,test} --config configs/<stage>.yaml``.

The module class is chosen by the config's ``model.class_path`` (RewardModelModule, DistributionalRewardModule
or ReinforceModule); all of them share HelpSteerDataModule. The tokenizer is named once, in ``data.tokenizer``.
Bad input (a missing file, a malformed line, no Hub) ends the run with one line on stderr and exit status 2;
``RLHF_TRACEBACK=1`` shows the traceback as well.
"""

import logging
import warnings

from lightning.pytorch.accelerators import CPUAccelerator
from lightning.pytorch.callbacks import ProgressBar
from lightning.pytorch.cli import LightningCLI
from lightning.pytorch.utilities import rank_zero_warn

from rlhf.callbacks import StepProgressBar
from rlhf.data import HelpSteerDataModule
from rlhf.hardware import emulated_bf16_warning
from rlhf.paths import run_with_one_line_errors

# Known, understood noise, each with its reason:
KNOWN_WARNINGS = [
    r"Found \d+ module\(s\) in eval mode",  # the frozen reference and RM are meant to be: REINFORCE trains the policy
    r".*does not have many workers.*",  # the data are tokenized in memory; workers would only copy them
    r"You passed in a `val_dataloader` but have no `validation_step`",  # REINFORCE: DevEvaluation evaluates instead
    # The data module checkpoints its position in the training order (HelpSteerDataModule.state_dict, tested against
    # uninterrupted runs), so a resumed run continues with the unseen batches; Lightning looks at the loader only.
    r"You're resuming from a checkpoint that ended before the epoch ended",
    r".*isinstance\(treespec, LeafSpec\)` is deprecated.*",  # inside Lightning's own pytree helper
    r"Precision .* is not supported by the model summary.*",  # the summary's size estimate only
]
for pattern in KNOWN_WARNINGS:
    warnings.filterwarnings("ignore", message=pattern)


class _DropAdverts(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "litlogger" not in record.getMessage()


for _name in ("lightning.pytorch.utilities.rank_zero", "lightning.fabric.utilities.rank_zero"):
    logging.getLogger(_name).addFilter(_DropAdverts())


class RLHFCLI(LightningCLI):
    def add_arguments_to_parser(self, parser):
        parser.link_arguments("data.tokenizer", "model.init_args.tokenizer")

    def _instantiate_trainer(self, config, callbacks):
        configured = [*(config.get("callbacks") or []), *callbacks]
        if config.get("enable_progress_bar") is not False and not any(isinstance(c, ProgressBar) for c in configured):
            callbacks = [*callbacks, StepProgressBar()]
        return super()._instantiate_trainer(config, callbacks)

    def _warn_if_bf16_is_emulated(self) -> None:
        on_cpu = isinstance(self.trainer.accelerator, CPUAccelerator)
        if message := emulated_bf16_warning(self.trainer.precision, on_cpu):
            rank_zero_warn(message)

    before_fit = before_validate = before_test = _warn_if_bf16_is_emulated


def main(args=None):
    return RLHFCLI(
        datamodule_class=HelpSteerDataModule,
        subclass_mode_model=True,
        save_config_kwargs={"overwrite": True},
        args=args,
    )


if __name__ == "__main__":
    run_with_one_line_errors(main)
