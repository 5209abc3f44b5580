import pytest
import torch

from rlhf.models import load_causal_lm
from rlhf.optim import adamw, clip_grad_norm


def test_fused_adamw_takes_the_same_steps_as_the_default_loop(tiny_model):
    """The speed-up from the fused kernel must not change training: same weights after a few steps."""
    fused_model, loop_model = load_causal_lm(tiny_model), load_causal_lm(tiny_model)
    fused = adamw(fused_model.parameters(), lr=1e-2, weight_decay=0.1)
    loop = torch.optim.AdamW(loop_model.parameters(), lr=1e-2, weight_decay=0.1, foreach=False)
    ids = torch.randint(0, fused_model.config.vocab_size, (2, 12), generator=torch.Generator().manual_seed(0))
    for _ in range(3):
        for model, optimizer in ((fused_model, fused), (loop_model, loop)):
            model(input_ids=ids, labels=ids).loss.backward()
            optimizer.step()
            optimizer.zero_grad()
    moved = 0.0
    for a, b, start in zip(fused_model.parameters(), loop_model.parameters(), load_causal_lm(tiny_model).parameters()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
        moved = max(moved, (a - start).abs().max().item())
    assert moved > 1e-3  # the steps did move the weights


def grads_of(model, ids, scale=1.0):
    (model(input_ids=ids, labels=ids).loss * scale).backward()


@pytest.mark.parametrize("max_norm", [None, 0.05])
def test_fp16_scaler_path_clips_and_steps_like_the_unscaled_one(tiny_model, max_norm):
    """fp16 on a GPU: gradients arrive multiplied by the loss scale; unscale, clip, and the fused AdamW step must
    give the weights of the same step without a scaler (the CPU can run GradScaler's logic, not fp16 kernels)."""
    ids = torch.randint(0, 100, (2, 12), generator=torch.Generator().manual_seed(0))
    plain, scaled = load_causal_lm(tiny_model), load_causal_lm(tiny_model)
    plain_opt, scaled_opt = adamw(plain.parameters(), 1e-2), adamw(scaled.parameters(), 1e-2)
    scaler = torch.amp.GradScaler("cpu", init_scale=1024.0)
    grads_of(plain, ids)
    norm_plain = clip_grad_norm(plain.parameters(), plain_opt, max_norm)
    plain_opt.step()
    scaler.scale(scaled(input_ids=ids, labels=ids).loss).backward()
    norm_scaled = clip_grad_norm(scaled.parameters(), scaled_opt, max_norm, scaler)
    scaler.step(scaled_opt)
    scaler.update()
    assert norm_scaled.item() == pytest.approx(norm_plain.item(), rel=1e-4)  # the norm of the unscaled gradients
    if max_norm:
        assert norm_plain.item() > max_norm  # so clipping did act
    for a, b in zip(plain.parameters(), scaled.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_fp16_overflow_skips_the_step(tiny_model):
    model = load_causal_lm(tiny_model)
    before = [p.detach().clone() for p in model.parameters()]
    optimizer = adamw(model.parameters(), 1e-2)
    scaler = torch.amp.GradScaler("cpu", init_scale=1024.0)
    scaler.scale(model(input_ids=torch.tensor([[5, 6, 7]]), labels=torch.tensor([[5, 6, 7]])).loss).backward()
    next(model.parameters()).grad[0, 0] = float("inf")
    clip_grad_norm(model.parameters(), optimizer, 1.0, scaler)
    scaler.step(optimizer)
    scaler.update()
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), before))
    assert scaler.get_scale() < 1024.0
