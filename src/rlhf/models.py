"""The one factory for every model and tokenizer the project builds, and the forward passes that read them.

A model path is one of: a Hugging Face Hub id (the default, ``HuggingFaceTB/SmolLM2-135M-Instruct``), a local
directory written by ``save_pretrained``, or a ``.gguf`` file (dequantized by transformers; needs ``gguf``).
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import torch
from torch import Tensor
from torch.nn import functional as F
from transformers import (
    AutoModelForCausalLM,
    AutoModelForSequenceClassification,
    AutoTokenizer,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)
from transformers import logging as transformers_logging

from rlhf.paths import InputError, require_local_or_hub

DEFAULT_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"

# Stored in an exported reward model's config.json so that loaders know how to read its head.
REWARD_HEAD_KEY = "reward_head"
SCALAR_HEAD = "scalar"
DISTRIBUTION_HEAD = "distribution"
NUM_SCORES = 10  # the distributional head predicts p(s) for s = 1..10


def resolve_model_path(path: str) -> tuple[str, dict]:
    """Return ``(name_or_dir, extra from_pretrained kwargs)`` for a Hub id, a directory or a ``.gguf`` file."""
    local = require_local_or_hub(path, "model path")
    if local is None:
        return path, {}
    if local.endswith(".gguf"):
        if importlib.util.find_spec("gguf") is None:
            raise InputError(
                f"{path} is a GGUF file, which needs the optional package 'gguf': pip install -e '.[gguf]'"
            )
        return os.path.dirname(os.path.abspath(local)), {"gguf_file": os.path.basename(local)}
    if not os.path.isdir(local):
        raise InputError(
            f"model path {path!r} is a file but not a .gguf file (expected a directory, a .gguf or a Hub id)"
        )
    return local, {}


def load_tokenizer(path: str = DEFAULT_MODEL) -> PreTrainedTokenizerBase:
    """Load a chat tokenizer; pad falls back to eos (SmolLM2 already has pad == eos == ``<|im_end|>``)."""
    name, kwargs = resolve_model_path(path)
    if "gguf_file" in kwargs:
        raise InputError(f"tokenizer path {path!r} is a GGUF file; point the tokenizer at the original tokenizer files")
    tokenizer = AutoTokenizer.from_pretrained(name)
    if not tokenizer.chat_template:
        raise InputError(f"tokenizer at {path!r} has no chat template; this project needs a chat (instruct) tokenizer")
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def _dtype(name: str) -> torch.dtype:
    dtype = getattr(torch, name, None)
    if not isinstance(dtype, torch.dtype):
        raise InputError(f"unknown dtype {name!r}; use e.g. 'float32', 'bfloat16' or 'float16'")
    return dtype


def _from_pretrained(auto_class, path: str, dtype: str, **kwargs) -> PreTrainedModel:
    name, source = resolve_model_path(path)
    model = auto_class.from_pretrained(name, dtype=_dtype(dtype), **source, **kwargs)
    if "gguf_file" in source:
        # transformers dequantizes GGUF weights to `dtype` while loading; the result is an ordinary float model
        # that still carries the quantizer's markers, which would make save_pretrained and Trainer refuse it.
        model.hf_quantizer = None
        model.is_quantized = False
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
    return model


def load_causal_lm(path: str = DEFAULT_MODEL, dtype: str = "float32") -> PreTrainedModel:
    """The SFT policy (and its frozen reference copy)."""
    return _from_pretrained(AutoModelForCausalLM, path, dtype)


def load_reward_model(path: str, pad_token_id: int, head: str | None = None, dtype: str = "float32") -> PreTrainedModel:
    """A reward model: an exported one (its head kind read from its config), or a new head on an SFT backbone.

    ``head`` is required for a new reward model (``scalar``: one output; ``distribution``: logits over scores
    1..10) and, if given for an exported one, must match what it was trained as.
    """
    exported_head = _exported_head(os.path.expanduser(path))
    if exported_head is not None:
        if head is not None and head != exported_head:
            raise InputError(f"{path!r} is a {exported_head!r} reward model, not {head!r}")
        head = exported_head
    if head not in (SCALAR_HEAD, DISTRIBUTION_HEAD):
        raise InputError(f"{path!r} is not an exported reward model; say which head to build: scalar or distribution")
    num_labels = 1 if head == SCALAR_HEAD else NUM_SCORES
    if exported_head is None:  # a new head: transformers' "score.weight newly initialized" warning is expected
        verbosity = transformers_logging.get_verbosity()
        transformers_logging.set_verbosity_error()
        try:
            model = _from_pretrained(AutoModelForSequenceClassification, path, dtype, num_labels=num_labels)
        finally:
            transformers_logging.set_verbosity(verbosity)
    else:
        model = _from_pretrained(AutoModelForSequenceClassification, path, dtype, num_labels=num_labels)
    model.config.pad_token_id = pad_token_id
    setattr(model.config, REWARD_HEAD_KEY, head)
    return model


def _exported_head(path: str) -> str | None:
    config = Path(path) / "config.json"
    if not config.is_file():
        return None  # a Hub id: from_pretrained reads its config; treat it as a backbone unless told otherwise
    return json.loads(config.read_text()).get(REWARD_HEAD_KEY)


def reward_head(model: PreTrainedModel) -> str:
    return getattr(model.config, REWARD_HEAD_KEY, SCALAR_HEAD)


def position_ids_from_mask(attention_mask: Tensor) -> Tensor:
    """Positions that count real tokens only, so left-padded rows see the same positions as unpadded ones."""
    return (attention_mask.long().cumsum(-1) - 1).clamp(min=0)


def last_token_index(attention_mask: Tensor) -> Tensor:
    """Index of the last real token in each row, for left or right padding.

    Read from the mask, never from the pad id: SmolLM2's pad token is its eos token, which ends every response.
    """
    length = attention_mask.shape[-1]
    return length - 1 - attention_mask.long().flip(-1).argmax(-1)


def reward_logits(model: PreTrainedModel, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
    """Reward-model head output at the last real token: ``[batch]`` for a scalar head, ``[batch, 10]`` otherwise.

    We run the backbone and apply the head ourselves because the library's pooling looks for the pad id.
    """
    hidden = model.base_model(
        input_ids=input_ids,
        attention_mask=attention_mask,
        position_ids=position_ids_from_mask(attention_mask),
        use_cache=False,  # one full pass: a KV cache would only cost memory and copies
    ).last_hidden_state
    rows = torch.arange(hidden.shape[0], device=hidden.device)
    logits = model.score(hidden[rows, last_token_index(attention_mask)]).float()
    return logits.squeeze(-1) if logits.shape[-1] == 1 else logits


def lm_logits_fp32(model: PreTrainedModel, hidden: Tensor) -> Tensor:
    """The LM head in float32 whatever the autocast: log-probabilities (and so KL estimates) are differences of
    large logits, and bf16's 8-bit mantissa would make their rounding noise as large as the KLs measured."""
    with torch.autocast(hidden.device.type, enabled=False):
        return F.linear(hidden.float(), model.get_output_embeddings().weight.float())
