"""The optimizer both trainers use, and gradient clipping that works with it under every precision."""

from __future__ import annotations

import torch
from torch import Tensor

from rlhf.paths import InputError


def adamw(parameters, lr: float, weight_decay: float = 0.0) -> torch.optim.AdamW:
    """AdamW with the fused kernel: one pass over all tensors instead of a Python loop over ~270 of them. The
    same update (tests/test_optim.py), several times faster (results/bench/optimizer_cpu.json); Hugging Face's
    Trainer, and so TRL, uses it by default."""
    return torch.optim.AdamW(parameters, lr=lr, weight_decay=weight_decay, fused=True)


def clip_grad_norm(parameters, optimizer, max_norm: float | None, scaler=None) -> Tensor:
    """Clip the gradients' global norm to ``max_norm`` (None or 0: only measure it); returns the norm before.

    With an fp16 ``GradScaler`` the gradients are unscaled first; the scaler's ``step`` then sees they already are
    (and still skips the step on inf/NaN). bf16 and fp32 have no scaler.
    """
    if scaler is not None and scaler.is_enabled():
        scaler.unscale_(optimizer)
    parameters = [p for p in parameters if p.grad is not None]
    if max_norm:
        return torch.nn.utils.clip_grad_norm_(parameters, max_norm)
    return torch.nn.utils.get_total_norm([p.grad for p in parameters])


class GradientClipping:
    """LightningModule mixin: ``trainer.gradient_clip_val`` with the fused AdamW at any precision, and the
    gradient norm (before clipping) logged as ``train/grad_norm``.

    Lightning's mixed-precision plugin refuses to clip for optimizers that unscale fp16 gradients inside
    ``step`` (the fused AdamW) to be safe; ``clip_grad_norm`` does the unscaling that makes it correct.
    """

    def configure_gradient_clipping(self, optimizer, gradient_clip_val=None, gradient_clip_algorithm=None) -> None:
        if gradient_clip_val and gradient_clip_algorithm not in (None, "norm"):
            raise InputError(f"gradient_clip_algorithm {gradient_clip_algorithm!r} is not supported; use 'norm'")
        scaler = getattr(self.trainer.precision_plugin, "scaler", None)
        norm = clip_grad_norm(self.parameters(), optimizer, gradient_clip_val, scaler)
        self.log("train/grad_norm", norm)
