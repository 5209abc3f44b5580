"""Fixtures: a tiny SmolLM2 look-alike (2-layer Llama + byte-level BPE with the same chat template and special
tokens, pad == eos) and synthetic pairs with a known rule, built offline once per test session."""

import json
from pathlib import Path

import pytest
import torch

from rlhf.models import load_reward_model, load_tokenizer
from rlhf.tiny import build_tiny_model, synthetic_preference_rows, write_jsonl

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> str:
    return str(build_tiny_model(tmp_path_factory.mktemp("tiny") / "model"))


@pytest.fixture(scope="session")
def tokenizer(tiny_model):
    return load_tokenizer(tiny_model)


@pytest.fixture(scope="session")
def pairs_file(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("data") / "pairs.jsonl"
    return str(write_jsonl(synthetic_preference_rows(num_prompts=40, pairs_per_prompt=3), path))


def export_untrained_rm(tiny_model, tokenizer, out, head: str) -> str:
    torch.manual_seed(0)
    model = load_reward_model(tiny_model, tokenizer.pad_token_id, head=head)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return str(out)


@pytest.fixture(scope="session")
def scalar_rm(tiny_model, tokenizer, tmp_path_factory) -> str:
    """An (untrained) exported scalar RM on the tiny backbone."""
    return export_untrained_rm(tiny_model, tokenizer, tmp_path_factory.mktemp("rm") / "scalar", "scalar")


@pytest.fixture(scope="session")
def distribution_rm(tiny_model, tokenizer, tmp_path_factory) -> str:
    return export_untrained_rm(tiny_model, tokenizer, tmp_path_factory.mktemp("rm") / "distribution", "distribution")


def write_rows(path: Path, rows: list[dict]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)
