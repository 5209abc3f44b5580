"""Rollouts: the one generation helper (a lean KV-cache decode loop) and the log-probabilities of responses.

The loop does only what REINFORCE needs: prefill the left-padded prompts, then one token per step for every row,
sampling from the plain softmax at ``temperature`` (no top-k/top-p, so the samples come from the policy whose
log-probabilities are differentiated) by inverse CDF with the caller's ``torch.Generator``, so that a run's
samples are reproducible and a resumed run draws what an uninterrupted one would have. Greedy decoding is the
argmax, token for token what ``model.generate`` returns (tests/test_generation.py).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor
from transformers import DynamicCache, PreTrainedModel

from rlhf.models import lm_logits_fp32, position_ids_from_mask


@dataclass
class Rollout:
    """Left-padded prompts followed by right-padded responses, as one batch of token ids."""

    input_ids: Tensor  # [B, P + R]
    attention_mask: Tensor  # [B, P + R]: prompt mask, then response_mask
    response_mask: Tensor  # [B, R]: 1 up to and including the response's eos
    finished: Tensor  # [B] bool: the response ended with eos within max_new_tokens

    @property
    def prompt_length(self) -> int:
        return self.input_ids.shape[1] - self.response_mask.shape[1]

    @property
    def response_ids(self) -> Tensor:
        return self.input_ids[:, self.prompt_length :]

    @property
    def response_lengths(self) -> Tensor:
        return self.response_mask.sum(-1)


def sample_tokens(logits: Tensor, temperature: float, generator: Optional[torch.Generator]) -> Tensor:
    """One token per row from softmax(logits / temperature), by inverse CDF: the same distribution as
    ``torch.multinomial``, several times faster over a 49k vocabulary, and driven by ``generator``."""
    cdf = torch.softmax(logits.float() / temperature, dim=-1).cumsum(-1)
    u = torch.rand((logits.shape[0], 1), generator=generator, device=logits.device) * cdf[:, -1:]
    return torch.searchsorted(cdf, u, right=True).squeeze(-1).clamp(max=logits.shape[-1] - 1)


def _cache_argument(model) -> str:
    """transformers renamed ``past_key_values`` to ``cache`` (5.24); accept both."""
    return "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"


@torch.no_grad()
def generate(
    model: PreTrainedModel,
    input_ids: Tensor,
    attention_mask: Tensor,
    eos_token_id: int,
    max_new_tokens: int,
    temperature: float = 1.0,
    greedy: bool = False,
    generator: Optional[torch.Generator] = None,
) -> Rollout:
    """Sample (or greedily decode) one response per left-padded prompt, stopping each row at its first eos.

    Under autocast, the low-precision copies of the weights are made once per call instead of at every decode
    step (Lightning's autocast disables that cache; the casts are the same, so the outputs are too).
    """
    device = input_ids.device.type
    if torch.is_autocast_enabled(device):
        dtype = torch.get_autocast_dtype(device)
        with torch.autocast(device, dtype=dtype, cache_enabled=True):
            return _generate(
                model, input_ids, attention_mask, eos_token_id, max_new_tokens, temperature, greedy, generator
            )
    return _generate(model, input_ids, attention_mask, eos_token_id, max_new_tokens, temperature, greedy, generator)


def _generate(
    model, input_ids, attention_mask, eos_token_id, max_new_tokens, temperature, greedy, generator
) -> Rollout:
    was_training = model.training
    model.eval()
    batch = input_ids.shape[0]
    cache = {_cache_argument(model): DynamicCache(), "use_cache": True}
    positions = position_ids_from_mask(attention_mask)
    logits = model(
        input_ids=input_ids, attention_mask=attention_mask, position_ids=positions, logits_to_keep=1, **cache
    )
    logits = logits.logits[:, -1]
    tokens = torch.full((batch, max_new_tokens), eos_token_id, dtype=torch.long, device=input_ids.device)
    finished = torch.zeros(batch, dtype=torch.bool, device=input_ids.device)
    next_position = positions[:, -1:] + 1
    mask = attention_mask
    for step in range(max_new_tokens):
        token = logits.argmax(-1) if greedy else sample_tokens(logits, temperature, generator)
        token = token.masked_fill(finished, eos_token_id)  # a finished row only pads
        tokens[:, step] = token
        finished |= token == eos_token_id
        if step == max_new_tokens - 1 or bool(finished.all()):
            tokens = tokens[:, : step + 1]
            break
        mask = torch.cat([mask, mask.new_ones(batch, 1)], dim=1)
        logits = model(input_ids=token[:, None], attention_mask=mask, position_ids=next_position, **cache).logits[:, -1]
        next_position = next_position + 1
    model.train(was_training)
    is_eos = tokens == eos_token_id
    lengths = torch.where(finished, is_eos.int().argmax(-1) + 1, tokens.shape[1])
    response_mask = (torch.arange(tokens.shape[1], device=tokens.device) < lengths[:, None]).long()
    return Rollout(
        input_ids=torch.cat([input_ids, tokens], dim=1),
        attention_mask=torch.cat([attention_mask, response_mask], dim=1),
        response_mask=response_mask,
        finished=finished,
    )


def response_logprobs(model: PreTrainedModel, rollout: Rollout, temperature: float = 1.0) -> Tensor:
    """log pi(y_t | x, y_<t) of every response token, ``[B, R]``, from an fp32 LM head (padding holds junk; mask it).

    Only the response positions go through the LM head, which is most of the memory.
    """
    num_response = rollout.response_mask.shape[1]
    hidden = model.base_model(
        input_ids=rollout.input_ids,
        attention_mask=rollout.attention_mask,
        position_ids=position_ids_from_mask(rollout.attention_mask),
        use_cache=False,
    ).last_hidden_state[:, -num_response - 1 : -1]
    logits = lm_logits_fp32(model, hidden) / temperature
    targets = rollout.response_ids
    return -F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none").view_as(
        targets
    )
