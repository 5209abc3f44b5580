"""Lightning callbacks: the dev-set check of a policy during REINFORCE, and a progress bar for step budgets."""

from __future__ import annotations

import json
import os
from typing import Optional

import lightning as L
import torch
from lightning.pytorch.callbacks import TQDMProgressBar
from lightning.pytorch.utilities import rank_zero_info

from rlhf.evaluate import generate_responses, score_sequences
from rlhf.stats import bootstrap_ci, win_rate


class DevEvaluation(L.Callback):
    """Every ``every_n_steps`` steps and at the end of fit, the policy and the SFT model answer the data module's
    validation prompts (greedy + ``samples`` sampled), the training RM scores both, and the gain over SFT goes to
    TensorBoard (``dev/*``) and to ``<log_dir>/eval/dev_step<N>.json``.

    A monitor, and the measurement lr, beta and steps are chosen on (dev prompts); the study's reported numbers
    come from the evaluation stages (``evaluate.py``) on the test prompts, with independent judges.
    """

    def __init__(
        self,
        every_n_steps: int = 50,
        samples: int = 1,
        max_new_tokens: Optional[int] = None,
        max_prompts: Optional[int] = None,
        seed: int = 0,
    ):
        self.every_n_steps, self.samples, self.max_new_tokens, self.seed = every_n_steps, samples, max_new_tokens, seed
        self.max_prompts = max_prompts  # the first N validation prompts only (quick checks)
        self._sft: Optional[dict] = None
        self._sft_settings: Optional[dict] = None  # what SFT's answers were made with
        self._last_step = -1

    def _settings(self, module) -> dict:
        budget = self.max_new_tokens or module.hparams.max_new_tokens
        return {"samples": self.samples, "max_new_tokens": budget, "max_prompts": self.max_prompts, "seed": self.seed}

    def state_dict(self) -> dict:
        """SFT's dev answers and their scores, kept in checkpoints: a resumed run does not make them again (the same
        seed, models and settings make the same answers; minutes per resume at float32 on a 2-core CPU)."""
        return {} if self._sft is None else {"sft": self._sft, "sft_settings": self._sft_settings}

    def load_state_dict(self, state_dict: dict) -> None:
        self._sft, self._sft_settings = state_dict.get("sft"), state_dict.get("sft_settings")

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if self.every_n_steps and trainer.global_step % self.every_n_steps == 0:
            self.evaluate(trainer, pl_module)

    def on_fit_end(self, trainer, pl_module) -> None:
        # Not on_train_end: a run stopped during its final check and resumed from its last checkpoint has nothing
        # left to train, so Lightning skips the training loop and its end hooks; on_fit_end still runs.
        self.evaluate(trainer, pl_module)

    def _answers(self, trainer, module, model) -> dict[str, dict]:
        items = trainer.datamodule.datasets["val"][: self.max_prompts]
        budget = self.max_new_tokens or module.hparams.max_new_tokens
        tokenizer = module.tokenizer
        records = list(
            generate_responses(
                model, tokenizer, items, self.samples, budget, trainer.datamodule.hparams.eval_batch_size or 16,
                self.seed, module.reference, module.hparams.temperature, trainer.precision_plugin.forward_context,
            )
        )  # fmt: skip
        prompts = {i["prompt_hash"]: i["prompt_ids"] for i in items}
        responses = [
            (r, k, x) for r in records for k, x in [("greedy", r["greedy"])] + [("s", s) for s in r["samples"]]
        ]
        scores = score_sequences(
            module.reward_model, [prompts[r["prompt_hash"]] + x["ids"] for r, _, x in responses],
            tokenizer.pad_token_id, 16, trainer.precision_plugin.forward_context,
        )  # fmt: skip
        for (_, _, x), s in zip(responses, scores):
            x["score"] = s["score"]
        return {r["prompt_hash"]: r for r in records}

    @torch.inference_mode()
    def evaluate(self, trainer, module) -> None:
        if trainer.global_step == self._last_step or trainer.sanity_checking:
            return
        self._last_step = trainer.global_step
        if trainer.is_global_zero:
            settings = self._settings(module)
            if self._sft is None or self._sft_settings != settings:  # SFT's answers never change: once per run
                self._sft, self._sft_settings = self._answers(trainer, module, module.reference), settings
            policy = self._answers(trainer, module, module.policy)
            self._report(trainer, policy)
        trainer.strategy.barrier("dev evaluation")

    def _report(self, trainer, policy: dict[str, dict]) -> None:
        keys = sorted(policy)
        mean = lambda r, k: sum(s[k] for s in r["samples"]) / max(len(r["samples"]), 1)  # noqa: E731
        gains = torch.tensor([mean(policy[h], "score") - mean(self._sft[h], "score") for h in keys])
        greedy = [(policy[h]["greedy"], self._sft[h]["greedy"]) for h in keys]
        wins = win_rate(
            torch.tensor([p["score"] for p, _ in greedy]),
            torch.tensor([s["score"] for _, s in greedy]),
            torch.tensor([p["ids"] == s["ids"] for p, s in greedy]),
        )
        samples = [s for h in keys for s in policy[h]["samples"]]
        summary = {
            "global_step": trainer.global_step,
            "prompts": len(keys),
            "reward_gain": {"mean": gains.mean().item(), "ci95": bootstrap_ci(gains)},
            "greedy_win_rate": wins.mean().item(),
            "kl": sum(s["kl"] for s in samples) / max(len(samples), 1),
            "length": sum(s["length"] for s in samples) / max(len(samples), 1),
            "unfinished": sum(not s["finished"] for s in samples) / max(len(samples), 1),
        }
        if trainer.logger is not None:
            flat = {f"dev/{k}": v for k, v in summary.items() if isinstance(v, float)}
            flat["dev/reward_gain"] = summary["reward_gain"]["mean"]
            trainer.logger.log_metrics(flat, step=trainer.global_step)
        if trainer.log_dir:
            out = os.path.join(trainer.log_dir, "eval")
            os.makedirs(out, exist_ok=True)
            path = os.path.join(out, f"dev_step{trainer.global_step}.json")
            with open(path, "w") as f:
                json.dump({**summary, "policy": policy, "sft": self._sft}, f)
            low, high = summary["reward_gain"]["ci95"]
            rank_zero_info(
                f"dev, step {trainer.global_step}: RM gain over SFT {gains.mean().item():+.3g} "
                f"[{low:+.3g}, {high:+.3g}], greedy win rate {summary['greedy_win_rate']:.3f}, "
                f"KL {summary['kl']:.3g} -> {path}"
            )


class StepProgressBar(TQDMProgressBar):
    """For step-budgeted runs (``max_epochs: -1``, as REINFORCE): one bar over ``max_steps``, not 'Epoch 19'. For
    epoch runs resumed part-way (the RMs), the epoch's bar with its total and the batches already done: Lightning
    does not start a resumed epoch again, so its own bar would read 'Training: 61/?'."""

    def on_train_start(self, trainer, pl_module) -> None:
        super().on_train_start(trainer, pl_module)
        done = trainer.fit_loop.epoch_loop.batch_progress.current.ready
        if not self._by_step(trainer) and done:
            super().on_train_epoch_start(trainer, pl_module)
            self.train_progress_bar.n = self.train_progress_bar.initial = done
            self.train_progress_bar.refresh()

    @staticmethod
    def _by_step(trainer) -> bool:
        return trainer.max_steps > 0 and trainer.max_epochs in (-1, None)

    def on_train_epoch_start(self, trainer, *args) -> None:
        if not self._by_step(trainer):
            return super().on_train_epoch_start(trainer, *args)
        bar = self.train_progress_bar
        if bar.total != trainer.max_steps:
            bar.reset(total=trainer.max_steps)
            bar.n = bar.initial = trainer.global_step
        bar.set_description("steps")

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if not self._by_step(trainer):
            return super().on_train_batch_end(trainer, pl_module, outputs, batch, batch_idx)
        self.train_progress_bar.n = trainer.global_step
        self.train_progress_bar.set_postfix(self.get_metrics(trainer, pl_module))
        self.train_progress_bar.refresh()

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        if not self._by_step(trainer):
            super().on_train_epoch_end(trainer, pl_module)
