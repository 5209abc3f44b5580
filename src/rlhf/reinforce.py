"""REINFORCE with a moving-average baseline (Ahmadian et al. 2024, "Back to Basics").

Each response is one action. For a prompt x and a sampled response y:

    R(x, y) = r(x, y) - beta * sum_t [log pi(y_t | .) - log pi_ref(y_t | .)]     (no gradient through R)
    loss    = -mean_batch (R - b) * sum_t log pi(y_t | .)

with b a moving average of past rewards held in a registered buffer (saved in checkpoints, identical on all
ranks). No value network, no ratio, no clipping: one gradient step per rollout batch.
"""

from __future__ import annotations

import copy
import itertools
import time
from typing import Literal, Optional

import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_info
from torch import Tensor
from tqdm.auto import tqdm
from transformers import get_constant_schedule_with_warmup

from rlhf.data import require_mode
from rlhf.generation import Rollout, generate, response_logprobs
from rlhf.losses import reinforce_loss
from rlhf.models import DEFAULT_MODEL, load_causal_lm, load_reward_model, load_tokenizer, reward_logits
from rlhf.optim import GradientClipping, adamw
from rlhf.paths import directory_written_whole
from rlhf.rewards import read_rewards, sequence_kl, shaped_reward, update_baseline

FROZEN = ("reference.", "reward_model.")  # reloaded from their paths, never stored in checkpoints


class ReinforceModule(GradientClipping, L.LightningModule):
    """Policy-gradient fine-tuning of the SFT model against a reward model (scalar or distributional).

    Args:
        policy: SFT model (Hub id, directory or ``.gguf``); also loaded as the frozen reference.
        reward_model: directory of an RM exported by ``RewardModelModule`` or ``DistributionalRewardModule``.
        tokenizer: chat tokenizer (linked from ``data.tokenizer``).
        lr: AdamW learning rate (constant after ``warmup_steps``).
        beta: weight of the KL penalty in the reward.
        baseline: ``ema`` (default: tracks the improving policy's rewards), ``mean`` (the paper's running mean
            of every reward so far, which lags behind as rewards rise and so keeps advantages positive) or
            ``none`` (b = 0: plain REINFORCE, for the ablation). With standardised rewards it starts at the mean
            shaped reward of the SFT samples, so the first step's advantages are centred too.
        baseline_momentum: EMA momentum.
        temperature: sampling temperature of rollouts (log-probs use the same).
        max_new_tokens: response budget; a response without eos by then is "unfinished".
        unfinished_penalty: subtracted from the (standardised) RM reward of unfinished responses, whose score is
            read mid-sentence and would otherwise reward rambling.
        reward_functional: how a distributional RM's p(s) becomes a reward (``mean``, ``mean_minus_std``,
            ``quantile``, ``cvar``); ignored for a scalar RM.
        risk_lambda, quantile: parameters of those functionals (``quantile`` is the level of quantile and CVaR).
        standardize_rewards: divide RM rewards by (and centre them on) statistics of SFT samples measured once
            before training, so beta means the same for RMs of different scales.
        standardization_batches: training batches of SFT samples used for those statistics.
        sample_log_every_n_steps: how often rollouts are written to TensorBoard as text.
        gradient_checkpointing: recompute each policy layer's activations in the backward pass instead of keeping
            them: the same gradients (tests). For 16 float32 rollouts of 384 + 256 tokens on the 2-core Intel Ice
            Lake, the policy's forward + backward peaks at 5.6 instead of 18.5 GiB for 1.08x its time
            (results/bench/policy_memory_cpu.json); without it the whole step outgrew 24 GiB.
        rollout_seed: seed of the rollouts' sampler (default: the run's seed); its state is in every checkpoint,
            so a resumed run draws the samples an uninterrupted one would have.
        export_dir: where the trained policy is written (Hugging Face format) at the end of fit.
    """

    data_mode = "prompts"

    def __init__(
        self,
        policy: str = DEFAULT_MODEL,
        reward_model: str = "artifacts/reward_model",
        tokenizer: str = DEFAULT_MODEL,
        lr: float = 1e-6,
        weight_decay: float = 0.0,
        warmup_steps: int = 0,
        beta: float = 0.05,
        baseline: Literal["ema", "mean", "none"] = "ema",
        baseline_momentum: float = 0.9,
        temperature: float = 1.0,
        max_new_tokens: int = 256,
        unfinished_penalty: float = 1.0,
        reward_functional: Literal["mean", "mean_minus_std", "quantile", "cvar"] = "mean",
        risk_lambda: float = 1.0,
        quantile: float = 0.25,
        standardize_rewards: bool = True,
        standardization_batches: int = 4,
        sample_log_every_n_steps: int = 50,
        model_dtype: str = "float32",
        gradient_checkpointing: bool = False,
        rollout_seed: Optional[int] = None,
        export_dir: Optional[str] = None,
    ):
        super().__init__()
        self.save_hyperparameters()
        self.tokenizer = load_tokenizer(tokenizer)
        self.policy = load_causal_lm(policy, model_dtype)
        self.policy.train()
        self.reference = copy.deepcopy(self.policy).eval().requires_grad_(False)
        if gradient_checkpointing:  # the policy's training forward only: rollouts decode in eval mode, with a cache
            self.policy.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
        self.reward_model = (
            load_reward_model(reward_model, self.tokenizer.pad_token_id, dtype=model_dtype).eval().requires_grad_(False)
        )
        self.register_buffer("baseline", torch.zeros(()))
        self.register_buffer("baseline_count", torch.zeros(()))  # rewards seen so far (all ranks)
        self.register_buffer("reward_shift", torch.zeros(()))
        self.register_buffer("reward_scale", torch.ones(()))
        self.register_buffer("reward_stats_ready", torch.zeros((), dtype=torch.bool))
        self.rollout_seed = torch.initial_seed() if rollout_seed is None else rollout_seed  # set by seed_everything
        self._rollout_generator: Optional[torch.Generator] = None
        self._rollout_generator_state: Optional[Tensor] = None  # from a checkpoint, applied when the generator is made

    # ----------------------------------------------------------------------------------------- rewards

    @property
    def eos_token_id(self) -> int:
        return self.tokenizer.eos_token_id

    @torch.inference_mode()
    def score_rollout(self, rollout: Rollout) -> dict[str, Tensor]:
        """The RM's reading of each response: ``score`` (plus mean/std/entropy of p(s) for a distributional RM)."""
        hp = self.hparams
        output = reward_logits(self.reward_model, rollout.input_ids, rollout.attention_mask)
        return {
            k: v.clone() for k, v in read_rewards(output, hp.reward_functional, hp.risk_lambda, hp.quantile).items()
        }

    @property
    def rollout_generator(self) -> torch.Generator:
        """The sampler's random state: one per rank, saved in checkpoints, untouched by evaluation."""
        if self._rollout_generator is None:
            rank = self.trainer.global_rank if self._trainer is not None else 0
            self._rollout_generator = torch.Generator(self.device).manual_seed(self.rollout_seed + rank)
            if self._rollout_generator_state is not None:
                self._rollout_generator.set_state(self._rollout_generator_state)
                self._rollout_generator_state = None
        return self._rollout_generator

    def _reduce_sum(self, value: Tensor) -> Tensor:
        return self.trainer.strategy.reduce(value, reduce_op="sum") if self._trainer is not None else value

    def setup(self, stage: str) -> None:
        require_mode(self.trainer.datamodule, self.data_mode, type(self).__name__)

    def on_train_start(self) -> None:
        """Measure the RM's reward statistics on SFT samples once (restored from the checkpoint on resume), under
        the training precision, and start the baseline at their mean shaped reward."""
        hp = self.hparams
        if not hp.standardize_rewards or self.reward_stats_ready:
            return
        scores, finished = [], []
        datamodule, rank, world = self.trainer.datamodule, self.trainer.global_rank, self.trainer.world_size
        loader = datamodule.loader("train", batch_size=datamodule.hparams.batch_size)
        batches = itertools.islice(loader, rank, world * hp.standardization_batches, world)  # each rank its own
        with self.trainer.precision_plugin.forward_context():
            for batch in tqdm(
                batches,
                desc="RM statistics on SFT samples",
                total=hp.standardization_batches,
                disable=not self.trainer.is_global_zero,
            ):
                ids, mask = batch["input_ids"].to(self.device), batch["attention_mask"].to(self.device)
                rollout = generate(
                    self.policy,
                    ids,
                    mask,
                    self.eos_token_id,
                    hp.max_new_tokens,
                    hp.temperature,
                    generator=self.rollout_generator,
                )
                scores.append(self.score_rollout(rollout)["score"].float())
                finished.append(rollout.finished)
        scores, finished = torch.cat(scores), torch.cat(finished)
        n = self._reduce_sum(torch.tensor(float(scores.numel()), device=self.device))
        mean = self._reduce_sum(scores.sum()) / n
        var = self._reduce_sum(((scores - mean) ** 2).sum()) / (n - 1).clamp(min=1)
        self.reward_shift.fill_(mean.item())
        self.reward_scale.fill_(var.sqrt().clamp(min=1e-6).item())
        self.reward_stats_ready.fill_(True)
        sft_rewards = shaped_reward(
            scores, finished, torch.zeros_like(scores), self.reward_shift, self.reward_scale, hp.unfinished_penalty
        )
        if hp.baseline != "none":  # the SFT samples are the first rewards the baseline sees (KL = 0 for them)
            self.baseline.fill_((self._reduce_sum(sft_rewards.sum()) / n).item())
            self.baseline_count.fill_(n.item())
        rank_zero_info(
            f"RM score on SFT samples: mean {mean.item():.4g}, std {self.reward_scale.item():.4g} (n={int(n)}); "
            f"{1 - finished.float().mean().item():.0%} unfinished; baseline starts at {self.baseline.item():.4g}"
        )

    # ---------------------------------------------------------------------------------------- training

    def training_step(self, batch: dict, batch_idx: int) -> Tensor:
        hp = self.hparams
        start = time.perf_counter()
        profile = self.trainer.profiler.profile  # phases for `--trainer.profiler simple` (no-op without one)
        with profile("[ReinforceModule]rollout"):
            rollout = generate(
                self.policy,
                batch["input_ids"],
                batch["attention_mask"],
                self.eos_token_id,
                hp.max_new_tokens,
                hp.temperature,
                generator=self.rollout_generator,
            )
        with profile("[ReinforceModule]reference_logprobs"), torch.inference_mode():
            reference_logprobs = response_logprobs(self.reference, rollout, hp.temperature)
        with profile("[ReinforceModule]reward_model"):
            scores = self.score_rollout(rollout)
        with profile("[ReinforceModule]policy_logprobs"):
            policy_logprobs = response_logprobs(self.policy, rollout, hp.temperature)
        mask = rollout.response_mask.float()

        kl = sequence_kl(policy_logprobs.detach(), reference_logprobs, mask)
        rewards = shaped_reward(
            scores["score"], rollout.finished, kl, self.reward_shift, self.reward_scale, hp.unfinished_penalty, hp.beta
        )
        advantages = rewards - self.baseline
        loss = reinforce_loss((policy_logprobs * mask).sum(-1), advantages)

        # The baseline moves only after this batch's advantages are formed, with the mean over all ranks.
        batch_sum = self._reduce_sum(rewards.sum())
        batch_count = self._reduce_sum(torch.tensor(float(rewards.numel()), device=self.device))
        new_baseline, new_count = update_baseline(
            self.baseline, self.baseline_count, batch_sum, batch_count, hp.baseline, hp.baseline_momentum
        )
        self.baseline.copy_(new_baseline)
        self.baseline_count.copy_(new_count)

        tokens = mask.sum()
        metrics = {
            "loss": loss.detach(),
            "reward": rewards.mean(),
            "reward_std": rewards.std() if rewards.numel() > 1 else torch.zeros(()),
            "rm_score": scores["score"].mean(),
            "kl": kl.mean(),
            "baseline": self.baseline,
            "advantage_mean": advantages.mean(),
            "advantage_std": advantages.std() if advantages.numel() > 1 else torch.zeros(()),
            "response_length": rollout.response_lengths.float().mean(),
            "unfinished": (~rollout.finished).float().mean(),
            "entropy_estimate": -(policy_logprobs.detach() * mask).sum() / tokens.clamp(min=1),
            "rollouts_per_s": torch.tensor(rewards.numel() / (time.perf_counter() - start)),
        }
        metrics.update({f"rm_{k}": v.mean() for k, v in scores.items() if k != "score"})
        self.log_dict({f"train/{k}": v for k, v in metrics.items()}, batch_size=rewards.numel())
        self.log("reward", metrics["reward"], prog_bar=True, logger=False, batch_size=rewards.numel())
        if hp.sample_log_every_n_steps and self.global_step % hp.sample_log_every_n_steps == 0:
            self._log_samples(rollout, scores["score"], kl)
        return loss

    def _log_samples(self, rollout: Rollout, scores: Tensor, kl: Tensor, count: int = 2) -> None:
        experiment = getattr(self.logger, "experiment", None)
        if not hasattr(experiment, "add_text"):
            return
        lines = []
        for i in range(min(count, rollout.input_ids.shape[0])):
            prompt = self.tokenizer.decode(rollout.input_ids[i, : rollout.prompt_length], skip_special_tokens=True)
            response = self.tokenizer.decode(
                rollout.response_ids[i][rollout.response_mask[i].bool()], skip_special_tokens=True
            )
            lines.append(f"**prompt** {prompt[-500:]}\n\n**response** (RM {scores[i]:.3f}, KL {kl[i]:.2f}) {response}")
        experiment.add_text("rollouts", "\n\n---\n\n".join(lines), self.global_step)

    def configure_optimizers(self):
        optimizer = adamw(self.policy.parameters(), self.hparams.lr, self.hparams.weight_decay)
        scheduler = get_constant_schedule_with_warmup(optimizer, self.hparams.warmup_steps)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

    def on_fit_end(self) -> None:
        if self.hparams.export_dir and self.trainer.is_global_zero:
            with directory_written_whole(self.hparams.export_dir) as partial:
                self.policy.save_pretrained(partial)
                self.tokenizer.save_pretrained(partial)
            rank_zero_info(f"policy after {self.global_step} steps saved to {self.hparams.export_dir}")

    # ------------------------------------------------------------------------------------- checkpoints

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["state_dict"] = {k: v for k, v in checkpoint["state_dict"].items() if not k.startswith(FROZEN)}
        checkpoint["rollout_generator"] = self.rollout_generator.get_state()

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        frozen = {k: v for k, v in self.state_dict().items() if k.startswith(FROZEN)}
        checkpoint["state_dict"].update(frozen)
        self._rollout_generator_state = checkpoint.get("rollout_generator")
        self._rollout_generator = None
