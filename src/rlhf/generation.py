"""Rollouts: batched generation with a KV cache, and log-probabilities of the generated responses."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor
from transformers import GenerationConfig, PreTrainedModel

from rlhf.models import position_ids_from_mask


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


@torch.no_grad()
def generate(
    model: PreTrainedModel,
    input_ids: Tensor,
    attention_mask: Tensor,
    eos_token_id: int,
    max_new_tokens: int,
    temperature: float = 1.0,
    greedy: bool = False,
    use_cache: bool = True,
) -> Rollout:
    """Sample (or greedily decode) one response per left-padded prompt, stopping at eos.

    Sampling is from the plain softmax at ``temperature`` (no top-k/top-p), so that the samples come from the
    policy whose log-probabilities REINFORCE differentiates.
    """
    config = GenerationConfig(
        do_sample=not greedy,
        temperature=None if greedy else temperature,
        top_k=None if greedy else 0,
        top_p=None if greedy else 1.0,
        max_new_tokens=max_new_tokens,
        eos_token_id=eos_token_id,
        pad_token_id=eos_token_id,
        use_cache=use_cache,  # False only to measure what the KV cache buys (bench/bench_generation.py)
    )
    was_training = model.training
    model.eval()
    sequences = model.generate(input_ids=input_ids, attention_mask=attention_mask, generation_config=config)
    model.train(was_training)
    response = sequences[:, input_ids.shape[1] :]
    # Generation stops at the first eos, so the first eos ends the response; what follows is padding.
    is_eos = response == eos_token_id
    finished = is_eos.any(-1)
    lengths = torch.where(finished, is_eos.int().argmax(-1) + 1, response.shape[1])
    response_mask = (torch.arange(response.shape[1], device=response.device) < lengths[:, None]).long()
    return Rollout(
        input_ids=sequences,
        attention_mask=torch.cat([attention_mask, response_mask], dim=1),
        response_mask=response_mask,
        finished=finished,
    )


def response_logprobs(model: PreTrainedModel, rollout: Rollout, temperature: float = 1.0) -> Tensor:
    """log pi(y_t | x, y_<t) of every response token, ``[B, R]`` (padding positions hold junk; mask them).

    Only the response positions go through the LM head (``logits_to_keep``), which is most of the memory.
    """
    num_response = rollout.response_mask.shape[1]
    logits = model(
        input_ids=rollout.input_ids,
        attention_mask=rollout.attention_mask,
        position_ids=position_ids_from_mask(rollout.attention_mask),
        logits_to_keep=num_response + 1,
        use_cache=False,
    ).logits[:, :-1]
    logits = logits.float() / temperature
    targets = rollout.response_ids
    return -F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none").view_as(
        targets
    )
