"""Rollouts: the one generation helper (a lean KV-cache decode loop) and the log-probabilities of responses.

The loop does only what REINFORCE needs: prefill the left-padded prompts, then one token per step for every row
still unfinished, sampling from the plain softmax at ``temperature`` (no top-k/top-p, so the samples come from the
policy whose log-probabilities are differentiated) by inverse CDF with the caller's ``torch.Generator``, so that a
run's samples are reproducible and a resumed run draws what an uninterrupted one would have. Greedy decoding is the
argmax, token for token what ``model.generate`` returns (tests/test_generation.py).

Two things make a long rollout cheaper without changing what is sampled (tested against the plain loop):
- the KV cache is allocated once per rollout and written in place (``PreallocatedLayer``); the library's dynamic
  cache concatenates, copying every layer's whole cache at every step;
- a row that has finished leaves the decode batch, so its attention and cache stop costing. Every step still draws
  one uniform number per row of the whole batch, as if no row had left, so the random stream is the plain loop's.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from functools import partial
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor
from transformers import Cache, DynamicCache, PreTrainedModel
from transformers.cache_utils import DynamicLayer

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


def sample_tokens(logits: Tensor, temperature: float, uniform: Tensor) -> Tensor:
    """One token per row from softmax(logits / temperature), by inverse CDF at ``uniform`` (``[B, 1]`` in [0, 1)):
    the same distribution as ``torch.multinomial``, several times faster over a 49k vocabulary."""
    cdf = torch.softmax(logits.float() / temperature, dim=-1).cumsum(-1)
    return torch.searchsorted(cdf, uniform * cdf[:, -1:], right=True).squeeze(-1).clamp(max=logits.shape[-1] - 1)


class PreallocatedLayer(DynamicLayer):
    """One layer's KV cache in a buffer with room for ``capacity`` tokens after the prompt, written in place.

    ``keys``/``values`` are views of the filled part, so attention sees what a dynamic cache would hold.
    """

    def __init__(self, capacity: int):
        super().__init__()
        self.capacity = capacity
        self.length = 0

    def update(self, key_states: Tensor, value_states: Tensor, *args, **kwargs) -> tuple[Tensor, Tensor]:
        if not self.is_initialized:  # the prefill: the prompt's states, then room for every new token
            self.device, self.is_initialized = key_states.device, True
            size = key_states.shape[-2] + self.capacity
            self._keys = key_states.new_empty(*key_states.shape[:-2], size, key_states.shape[-1])
            self._values = value_states.new_empty(*value_states.shape[:-2], size, value_states.shape[-1])
        end = self.length + key_states.shape[-2]
        self._keys[..., self.length : end, :] = key_states
        self._values[..., self.length : end, :] = value_states
        self.length = end
        self.keys, self.values = self._keys[..., :end, :], self._values[..., :end, :]
        return self.keys, self.values

    def batch_select_indices(self, indices: Tensor) -> None:
        """Keep the rows ``indices`` (copies the filled part only)."""
        if not self.is_initialized:
            return
        for name in ("_keys", "_values"):
            old = getattr(self, name)
            new = old.new_empty(len(indices), *old.shape[1:])
            new[..., : self.length, :] = old[indices, ..., : self.length, :]
            setattr(self, name, new)
        self.keys, self.values = self._keys[..., : self.length, :], self._values[..., : self.length, :]


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
    batch, prompt_length = input_ids.shape
    device = input_ids.device
    cache = Cache(layer_class_to_replicate=partial(PreallocatedLayer, capacity=max_new_tokens))
    cache_kwargs = {_cache_argument(model): cache, "use_cache": True}
    positions = position_ids_from_mask(attention_mask)
    logits = model(
        input_ids=input_ids, attention_mask=attention_mask, position_ids=positions, logits_to_keep=1, **cache_kwargs
    ).logits[:, -1]
    tokens = torch.full((batch, max_new_tokens), eos_token_id, dtype=torch.long, device=device)
    finished = torch.zeros(batch, dtype=torch.bool, device=device)
    rows = torch.arange(batch, device=device)  # the original row of each row still decoding
    mask = torch.cat([attention_mask, attention_mask.new_ones(batch, max_new_tokens)], dim=1)
    next_position = positions[:, -1:] + 1
    for step in range(max_new_tokens):
        if greedy:
            token = logits.argmax(-1)
        else:  # one uniform number for every row of the batch, as if none had left: the plain loop's stream
            uniform = torch.rand((batch, 1), generator=generator, device=device)
            token = sample_tokens(logits, temperature, uniform[rows])
        tokens[rows, step] = token
        ended = token == eos_token_id
        finished[rows] = ended
        if step == max_new_tokens - 1 or bool(finished.all()):
            tokens = tokens[:, : step + 1]
            break
        if bool(ended.any()):  # finished rows leave the batch
            keep = (~ended).nonzero().squeeze(-1)
            rows, token, mask, next_position = rows[keep], token[keep], mask[keep], next_position[keep]
            cache.batch_select_indices(keep)
        step_mask = mask[:, : prompt_length + step + 1]
        logits = model(input_ids=token[:, None], attention_mask=step_mask, position_ids=next_position, **cache_kwargs)
        logits = logits.logits[:, -1]
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


@torch.no_grad()
def plain_generate(model, input_ids, attention_mask, eos_token_id, max_new_tokens, temperature=1.0, generator=None):
    """The plain loop that ``generate`` must match token for token (tests) and is timed against (bench): a growing
    dynamic cache, every row decoded until all have finished (finished rows pad with eos). Returns the response
    tokens ``[B, R]`` and ``finished``."""
    batch = input_ids.shape[0]
    cache = {_cache_argument(model): DynamicCache(), "use_cache": True}
    positions = position_ids_from_mask(attention_mask)
    logits = model(
        input_ids=input_ids, attention_mask=attention_mask, position_ids=positions, logits_to_keep=1, **cache
    ).logits[:, -1]
    tokens, finished, mask = [], torch.zeros(batch, dtype=torch.bool, device=input_ids.device), attention_mask
    for step in range(max_new_tokens):
        uniform = torch.rand((batch, 1), generator=generator, device=input_ids.device)
        token = sample_tokens(logits, temperature, uniform).masked_fill(finished, eos_token_id)
        tokens.append(token)
        finished |= token == eos_token_id
        if bool(finished.all()):
            break
        mask = torch.cat([mask, mask.new_ones(batch, 1)], dim=1)
        logits = model(
            input_ids=token[:, None], attention_mask=mask, position_ids=positions[:, -1:] + step + 1, **cache
        )
        logits = logits.logits[:, -1]
    return torch.stack(tokens, dim=1), finished


def response_logprobs(model: PreTrainedModel, rollout: Rollout, temperature: float = 1.0) -> Tensor:
    """log pi(y_t | x, y_<t) of every response token, ``[B, R]``, from an fp32 LM head; 0 at padding.

    Only the real response tokens go through the LM head: over a 49k vocabulary in float32 it is most of the
    memory of a REINFORCE step and, with many short responses in a long budget, much of its arithmetic.
    """
    num_response = rollout.response_mask.shape[1]
    hidden = model.base_model(
        input_ids=rollout.input_ids,
        attention_mask=rollout.attention_mask,
        position_ids=position_ids_from_mask(rollout.attention_mask),
        use_cache=False,
    ).last_hidden_state[:, -num_response - 1 : -1]
    real = rollout.response_mask.bool()
    logits = lm_logits_fp32(model, hidden[real]) / temperature
    logprobs = -F.cross_entropy(logits, rollout.response_ids[real], reduction="none")
    return logprobs.new_zeros(real.shape).masked_scatter(real, logprobs)
