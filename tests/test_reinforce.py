import lightning as L
import pytest
import torch

from rlhf.data import HelpSteerDataModule
from rlhf.generation import generate, response_logprobs
from rlhf.reinforce import ReinforceModule
from rlhf.rewards import sequence_kl

TARGET_TOKENS = range(3, 150)  # a known reward: the share of response tokens drawn from this set


class TokenReward(ReinforceModule):
    """REINFORCE against a toy reward in place of the RM, so learning can be checked exactly."""

    @torch.inference_mode()
    def score_rollout(self, rollout):
        ids, mask = rollout.response_ids, rollout.response_mask
        hits = ((ids >= TARGET_TOKENS.start) & (ids < TARGET_TOKENS.stop)) * mask
        return {"score": hits.sum(-1).float() / mask.sum(-1).clamp(min=1)}


def make_module(tiny_model, scalar_rm, cls=ReinforceModule, **kwargs):
    defaults = dict(
        policy=tiny_model,
        reward_model=scalar_rm,
        tokenizer=tiny_model,
        max_new_tokens=8,
        standardization_batches=1,
        sample_log_every_n_steps=0,
    )
    return cls(**{**defaults, **kwargs})


def prompts(tiny_model, pairs_file, batch_size=8):
    return HelpSteerDataModule(
        path=pairs_file, tokenizer=tiny_model, mode="prompts", val_fraction=0.25, batch_size=batch_size
    )


def mean_toy_reward(module, batch, samples=8):
    torch.manual_seed(123)
    ids, mask = batch["input_ids"].repeat(samples, 1), batch["attention_mask"].repeat(samples, 1)
    rollout = generate(module.policy, ids, mask, module.eos_token_id, module.hparams.max_new_tokens)
    return module.score_rollout(rollout)["score"].mean().item()


def test_policy_learns_a_known_reward(tiny_model, scalar_rm, pairs_file):
    L.seed_everything(0)
    module = make_module(
        tiny_model, scalar_rm, TokenReward, lr=3e-3, beta=0.0, standardize_rewards=False, unfinished_penalty=0.0
    )
    data = prompts(tiny_model, pairs_file)
    data.setup("fit")
    batch = next(iter(data.val_dataloader()))
    before = mean_toy_reward(module, batch)
    trainer = L.Trainer(
        max_steps=40,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        limit_val_batches=0,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(module, datamodule=data)
    after = mean_toy_reward(module, batch)
    print(f"toy reward before {before:.3f} after {after:.3f}")
    assert after > before + 0.15, (before, after)


def test_kl_is_zero_while_policy_equals_reference(tiny_model, scalar_rm, pairs_file):
    module = make_module(tiny_model, scalar_rm)
    data = prompts(tiny_model, pairs_file)
    data.setup("fit")
    batch = next(iter(data.train_dataloader()))
    rollout = generate(module.policy, batch["input_ids"], batch["attention_mask"], module.eos_token_id, 8)
    with torch.no_grad():
        kl = sequence_kl(
            response_logprobs(module.policy, rollout),
            response_logprobs(module.reference, rollout),
            rollout.response_mask,
        )
    assert torch.allclose(kl, torch.zeros_like(kl), atol=1e-5)


def test_logprobs_match_the_sampling_distribution(tiny_model, scalar_rm, pairs_file):
    """Log-probs from the training forward pass equal those of a step-by-step unpadded forward."""
    module = make_module(tiny_model, scalar_rm)
    data = prompts(tiny_model, pairs_file)
    data.setup("fit")
    batch = next(iter(data.val_dataloader()))
    rollout = generate(module.policy, batch["input_ids"], batch["attention_mask"], module.eos_token_id, 6)
    with torch.no_grad():
        batched = response_logprobs(module.policy, rollout)
        for i in range(2):
            seq = rollout.input_ids[i][rollout.attention_mask[i].bool()]
            n = int(rollout.response_mask[i].sum())
            logits = module.policy(seq[None]).logits[0, -n - 1 : -1]
            alone = logits.log_softmax(-1).gather(-1, seq[-n:, None]).squeeze(-1)
            assert torch.allclose(batched[i, :n], alone, atol=1e-4)


def test_checkpoint_holds_policy_and_baseline_but_not_frozen_models(tiny_model, scalar_rm, pairs_file, tmp_path):
    L.seed_everything(0)
    module = make_module(tiny_model, scalar_rm)
    trainer = L.Trainer(
        max_steps=2,
        accelerator="cpu",
        logger=False,
        limit_val_batches=0,
        enable_progress_bar=False,
        default_root_dir=tmp_path,
        enable_model_summary=False,
    )
    trainer.fit(module, datamodule=prompts(tiny_model, pairs_file))
    path = tmp_path / "manual.ckpt"
    trainer.save_checkpoint(path)
    state = torch.load(path, weights_only=False)["state_dict"]
    assert not [k for k in state if k.startswith(("reference.", "reward_model."))]
    assert any(k.startswith("policy.") for k in state)
    # 8 SFT samples measured the reward statistics and started the baseline, then 2 steps of 8 rollouts.
    assert state["baseline_count"].item() == 24 and state["reward_stats_ready"].item()
    assert "rollout_generator" in torch.load(path, weights_only=False)

    restored = ReinforceModule.load_from_checkpoint(path)
    assert restored.baseline.item() == pytest.approx(module.baseline.item())
    assert restored.reward_scale.item() == pytest.approx(module.reward_scale.item())
    for name, value in module.policy.state_dict().items():
        assert torch.equal(restored.policy.state_dict()[name], value)


def test_step_budgeted_runs_show_steps_not_epochs(tiny_model, scalar_rm, pairs_file, capsys):
    from rlhf.callbacks import StepProgressBar

    module = make_module(tiny_model, scalar_rm, TokenReward, standardize_rewards=False, max_new_tokens=4)
    trainer = L.Trainer(
        max_steps=12,  # more than one epoch of the 30 training prompts in batches of 8
        max_epochs=-1,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        limit_val_batches=0,
        enable_model_summary=False,
        callbacks=[StepProgressBar()],
    )
    trainer.fit(module, datamodule=prompts(tiny_model, pairs_file))
    shown = "".join(capsys.readouterr())  # Lightning writes its bars to stdout
    assert "steps" in shown and "12/12" in shown and "Epoch" not in shown


@pytest.mark.parametrize("autocast", [False, True], ids=["float32", "bf16-autocast"])
def test_gradient_checkpointing_gives_the_same_gradients(tiny_model, scalar_rm, pairs_file, autocast):
    """The memory-saving path recomputes activations in the backward pass: the same kernels on the same inputs, so
    the same gradients, bit for bit, in float32 and under the bf16 autocast of the bf16 chains (whose runs are
    pinned: turning it on must not change them)."""
    data = prompts(tiny_model, pairs_file)
    data.setup("fit")
    batch = next(iter(data.train_dataloader()))
    grads = []
    for checkpointing in (False, True):
        module = make_module(tiny_model, scalar_rm, gradient_checkpointing=checkpointing)
        assert module.policy.is_activation_checkpointing == checkpointing
        assert not module.reference.is_activation_checkpointing
        rollout = generate(
            module.policy,
            batch["input_ids"],
            batch["attention_mask"],
            module.eos_token_id,
            8,
            generator=torch.Generator().manual_seed(0),
        )
        advantages = torch.linspace(-1.0, 1.0, rollout.input_ids.shape[0])
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            logprobs = response_logprobs(module.policy, rollout)
        (-(advantages * logprobs.float().sum(-1)).mean()).backward()
        grads.append({n: p.grad.clone() for n, p in module.policy.named_parameters()})
    assert grads[0].keys() == grads[1].keys()
    for name in grads[0]:
        assert torch.equal(grads[0][name], grads[1][name]), name
    assert any(g.abs().sum() > 0 for g in grads[1].values())
