"""Reward models trained on preference pairs: a scalar Bradley-Terry RM and a distributional RM over scores 1..10."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from typing import Literal, Optional

import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_info
from torch import Tensor
from torchmetrics import CatMetric, MeanMetric
from torchmetrics.classification import BinaryCalibrationError
from transformers import get_linear_schedule_with_warmup

from rlhf.data import require_mode
from rlhf.losses import bradley_terry_loss, log_preference_probability, rating_nll, rating_to_score
from rlhf.models import DEFAULT_MODEL, DISTRIBUTION_HEAD, SCALAR_HEAD, load_reward_model, load_tokenizer, reward_logits
from rlhf.optim import GradientClipping, adamw
from rlhf.paths import directory_written_whole
from rlhf.rewards import entropy, expected_score, score_std
from rlhf.stats import mean_with_ci


def half_credit(p_chosen_wins: Tensor) -> Tensor:
    """1 if the RM prefers the chosen response, 0 if the rejected one, 1/2 if it cannot tell."""
    return (p_chosen_wins > 0.5).float() + 0.5 * (p_chosen_wins == 0.5).float()


@dataclass
class PairResult:
    """What an RM's loss says about a batch of pairs."""

    loss: Tensor
    p_chosen_wins: Tensor  # [B]: the RM's probability that the chosen response is preferred
    metrics: dict[str, Tensor]  # detached, to log


class RewardModelModule(GradientClipping, L.LightningModule):
    """Scalar reward model r(x, y), trained with the Bradley-Terry loss on (chosen, rejected) pairs.

    Args:
        model: SFT backbone (Hub id, directory or ``.gguf`` file); the reward head is new.
        tokenizer: chat tokenizer (linked from ``data.tokenizer`` by ``cli.py``).
        lr: peak AdamW learning rate, reached after ``warmup_ratio`` of the steps, then decayed linearly to 0.
        export_dir: where the trained RM is written with ``save_pretrained`` (model + tokenizer) at the end of fit
            (the configs name it; None: not exported).
        model_dtype: dtype of the weights; mixed precision comes from ``trainer.precision``.
    """

    head = SCALAR_HEAD
    data_mode = "pairs"

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        tokenizer: str = DEFAULT_MODEL,
        lr: float = 5e-5,
        weight_decay: float = 0.0,
        warmup_ratio: float = 0.03,
        export_dir: Optional[str] = None,
        model_dtype: str = "float32",
    ):
        super().__init__()
        self.save_hyperparameters()
        self.tokenizer = load_tokenizer(tokenizer)
        self.model = load_reward_model(model, self.tokenizer.pad_token_id, head=self.head, dtype=model_dtype).train()
        self.eval_accuracy = MeanMetric()
        self.eval_p_chosen_wins = MeanMetric()
        self.eval_outcomes = CatMetric()  # per-pair win/loss, for a confidence interval of the accuracy
        self._checkpoint_step = 0
        self._pairs_trained = 0  # on this rank; kept in checkpoints, written beside the export

    # ------------------------------------------------------------------------------------------- model

    def score_pairs(self, batch: dict) -> tuple[Tensor, Tensor]:
        """Head outputs for the chosen and the rejected responses, from one forward pass over the stacked batch."""
        return reward_logits(self.model, batch["input_ids"], batch["attention_mask"]).chunk(2)

    def pair_loss(self, chosen: Tensor, rejected: Tensor, batch: dict) -> PairResult:
        margin = chosen - rejected
        rewards = torch.cat([chosen, rejected]).detach()
        metrics = {"margin": margin.detach().mean(), "reward_mean": rewards.mean(), "reward_std": rewards.std()}
        return PairResult(bradley_terry_loss(chosen, rejected), torch.sigmoid(margin.detach()), metrics)

    # ------------------------------------------------------------------------------------------- steps

    def setup(self, stage: str) -> None:
        require_mode(self.trainer.datamodule, self.data_mode, type(self).__name__)

    def on_train_batch_start(self, batch: dict, batch_idx: int) -> None:
        self._step_started = time.perf_counter()

    def on_after_backward(self) -> None:
        self._step_seconds = time.perf_counter() - self._step_started

    def on_train_batch_end(self, outputs, batch: dict, batch_idx: int) -> None:
        """Throughput of forward + backward in pairs and real (non-pad) tokens: timed up to the end of backward, so
        neither the optimizer step (once per accumulation) nor checkpoint saving lands in one batch's figure."""
        tokens = batch["attention_mask"].sum()
        pairs = batch["attention_mask"].shape[0] // 2
        seconds = self._step_seconds
        self.log_dict({"train/tokens_per_s": tokens.float() / seconds, "train/pairs_per_s": pairs / seconds})

    def training_step(self, batch: dict, batch_idx: int) -> Tensor:
        self._pairs_trained += batch["input_ids"].shape[0] // 2
        result = self.pair_loss(*self.score_pairs(batch), batch)
        metrics = {"loss": result.loss.detach(), "accuracy": half_credit(result.p_chosen_wins).mean(), **result.metrics}
        self.log_dict({f"train/{k}": v for k, v in metrics.items()})
        self.log("train_loss", result.loss.detach(), prog_bar=True, logger=False)
        return result.loss

    def _eval_step(self, batch: dict, stage: str) -> None:
        chosen, rejected = self.score_pairs(batch)
        result = self.pair_loss(chosen, rejected, batch)
        self.update_eval_metrics(chosen, rejected, result)
        self.log(f"{stage}/loss", result.loss, sync_dist=True)
        self.log_dict({f"{stage}/{k}": v for k, v in result.metrics.items()}, sync_dist=True)

    def update_eval_metrics(self, chosen: Tensor, rejected: Tensor, result: PairResult) -> None:
        outcomes = half_credit(result.p_chosen_wins)
        self.eval_accuracy.update(outcomes)
        self.eval_p_chosen_wins.update(result.p_chosen_wins)
        self.eval_outcomes.update(outcomes)

    def _eval_epoch_end(self, stage: str) -> None:
        self.log(f"{stage}/accuracy", self.eval_accuracy.compute(), prog_bar=True)
        self.log(f"{stage}/p_chosen_wins", self.eval_p_chosen_wins.compute())
        outcomes = self.eval_outcomes.compute()
        for metric in (self.eval_accuracy, self.eval_p_chosen_wins, self.eval_outcomes):
            metric.reset()
        log_dir = self.trainer.log_dir  # collective calls under DDP: every rank must make them
        pairs = self._pairs_trained_on_all_ranks()
        if self.trainer.is_global_zero and not self.trainer.sanity_checking and log_dir:
            step = max(self.global_step, self._checkpoint_step)
            report = {"stage": stage, "global_step": step, "pairs_trained": pairs, "accuracy": mean_with_ci(outcomes)}
            # Named by pairs too: with validations more often than optimizer steps, two share a step.
            path = os.path.join(log_dir, f"rm_{stage}_step{step}_pairs{pairs}.json")
            with open(path, "w") as f:
                json.dump(report, f, indent=2)
            acc = report["accuracy"]
            rank_zero_info(
                f"{stage} accuracy {acc['mean']:.3f} [{acc['ci95'][0]:.3f}, {acc['ci95'][1]:.3f}] "
                f"(n={acc['n']}) -> {path}"
            )

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        self._eval_step(batch, "val")

    def on_validation_epoch_end(self) -> None:
        self._eval_epoch_end("val")

    def test_step(self, batch: dict, batch_idx: int) -> None:
        self._eval_step(batch, "test")

    def on_test_epoch_end(self) -> None:
        self._eval_epoch_end("test")

    def _pairs_trained_on_all_ranks(self) -> int:
        """A collective call under DDP: every rank must make it."""
        pairs = torch.tensor(float(self._pairs_trained), device=self.device)
        return int(self.trainer.strategy.reduce(pairs, reduce_op="sum"))

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["pairs_trained"] = self._pairs_trained

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        self._checkpoint_step = checkpoint.get("global_step", 0)  # validate/test do not restore global_step
        if "pairs_trained" in checkpoint:
            self._pairs_trained = checkpoint["pairs_trained"]
        elif self._trainer is not None and self.trainer.datamodule is not None:
            # A checkpoint from before the count: every training batch of those runs was full.
            batches = checkpoint["loops"]["fit_loop"]["epoch_loop.batch_progress"]["total"]["processed"]
            self._pairs_trained = batches * self.trainer.datamodule.hparams.batch_size

    # ------------------------------------------------------------------------------ optimizer and export

    def configure_optimizers(self):
        optimizer = adamw(self.parameters(), self.hparams.lr, self.hparams.weight_decay)
        total = self.trainer.estimated_stepping_batches
        scheduler = get_linear_schedule_with_warmup(optimizer, int(self.hparams.warmup_ratio * total), total)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

    def on_fit_end(self) -> None:
        pairs = self._pairs_trained_on_all_ranks()
        if self.hparams.export_dir and self.trainer.is_global_zero:
            self.export(self.hparams.export_dir, {"pairs_trained": pairs, "optimizer_steps": self.global_step})

    def export(self, directory: str, training: Optional[dict] = None) -> None:
        """Hugging Face format (model + tokenizer); ``config.reward_head`` tells loaders how to read the head.
        ``training`` (pairs and steps trained) goes to ``training.json`` beside it."""
        with directory_written_whole(directory) as partial:
            self.model.save_pretrained(partial)
            self.tokenizer.save_pretrained(partial)
            if training is not None:
                with open(os.path.join(partial, "training.json"), "w") as f:
                    json.dump(training, f, indent=2)
        accuracy = self.trainer.callback_metrics.get("val/accuracy") if self._trainer else None
        summary = f", last validation accuracy {accuracy.item():.4f}" if accuracy is not None else ""
        rank_zero_info(f"reward model ({self.head}) saved to {directory}{summary}")


class DistributionalRewardModule(RewardModelModule):
    """Reward model that predicts p(s | x, y) over integer scores s = 1..10.

    The pairwise loss is -log P(y_w > y_l) for independent score distributions (ties count half). That alone
    pins neither location nor spread: it is minimised by putting all of p_w on 10 and all of p_l on 1. Two
    optional terms keep the distributions meaningful:

    Args:
        comparison: ``exact`` (the formula above) or ``smooth`` (sum_ij p_w(i) p_l(j) sigmoid((i - j) / tau)).
        tau: temperature of the smooth comparison.
        entropy_weight: weight of an entropy bonus that resists collapse onto the extreme scores.
        entropy_on: ``sample`` (mean entropy of each p) or ``marginal`` (entropy of the batch-average p, which
            spreads the scores over the scale but lets each p stay sharp).
        rating_weight: weight of the NLL of the absolute ratings of both responses, where a row has them.
        rating_range: ``[low, high]`` of the dataset's ratings, mapped linearly onto 1..10
            (HelpSteer2 averages: [0, 4]; integer grades 1..10: [1, 10]).
        **kwargs: everything else, as for ``RewardModelModule``.
    """

    head = DISTRIBUTION_HEAD

    def __init__(
        self,
        comparison: Literal["exact", "smooth"] = "exact",
        tau: float = 1.0,
        entropy_weight: float = 0.0,
        entropy_on: Literal["sample", "marginal"] = "sample",
        rating_weight: float = 0.0,
        rating_range: tuple[float, float] = (0.0, 4.0),
        **kwargs,  # RewardModelModule's: model, tokenizer, lr, ... (the same recipe as the scalar RM)
    ):
        super().__init__(**kwargs)
        self.eval_calibration = BinaryCalibrationError(n_bins=10)
        self.eval_expected_scores = CatMetric()

    def pair_loss(self, chosen: Tensor, rejected: Tensor, batch: dict) -> PairResult:
        hp = self.hparams
        log_p_win = log_preference_probability(chosen, rejected, hp.comparison, hp.tau)
        pairwise = -log_p_win.mean()
        logits = torch.cat([chosen, rejected])
        probs = logits.float().softmax(-1)
        sample_entropy = entropy(probs)
        loss = pairwise
        if hp.entropy_weight:
            spread = sample_entropy.mean() if hp.entropy_on == "sample" else entropy(probs.mean(0))
            loss = loss - hp.entropy_weight * spread
        if hp.rating_weight:
            loss = loss + hp.rating_weight * rating_nll(logits, rating_to_score(batch["ratings"], *hp.rating_range))
        probs = probs.detach()
        expected = expected_score(probs)
        n = chosen.shape[0]
        metrics = {
            "pairwise_loss": pairwise.detach(),
            "p_win": log_p_win.detach().exp().mean(),
            "accuracy_expected": half_credit(torch.sigmoid(expected[:n] - expected[n:])).mean(),
            "entropy": sample_entropy.detach().mean(),
            "score_std": score_std(probs).mean(),
            "extreme_mass": (probs[:, 0] + probs[:, -1]).mean(),
            "expected_score": expected.mean(),
        }
        return PairResult(loss, log_p_win.detach().exp(), metrics)

    def update_eval_metrics(self, chosen: Tensor, rejected: Tensor, result: PairResult) -> None:
        super().update_eval_metrics(chosen, rejected, result)
        # Calibration of P(y_w > y_l) needs both classes: count each pair in both orders.
        p_win = result.p_chosen_wins
        labels = torch.cat([torch.ones_like(p_win), torch.zeros_like(p_win)]).long()
        self.eval_calibration.update(torch.cat([p_win, 1 - p_win]), labels)
        self.eval_expected_scores.update(expected_score(torch.cat([chosen, rejected]).float().softmax(-1)))

    def _eval_epoch_end(self, stage: str) -> None:
        self.log(f"{stage}/calibration_error", self.eval_calibration.compute())
        expected = self.eval_expected_scores.compute()
        self.eval_calibration.reset()
        self.eval_expected_scores.reset()
        experiment = getattr(self.logger, "experiment", None)
        if hasattr(experiment, "add_histogram") and not self.trainer.sanity_checking:
            experiment.add_histogram(f"{stage}/expected_score", expected, self.global_step)
        super()._eval_epoch_end(stage)
