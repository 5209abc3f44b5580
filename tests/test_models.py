import importlib.util
import shutil

import pytest
import torch

from rlhf.data import pad
from rlhf.models import (
    last_token_index,
    load_causal_lm,
    load_reward_model,
    load_tokenizer,
    resolve_model_path,
    reward_logits,
)
from rlhf.paths import InputError


def test_last_token_index_reads_the_mask_for_both_paddings():
    right = torch.tensor([[1, 1, 1, 0], [1, 1, 1, 1], [1, 0, 0, 0]])
    left = torch.tensor([[0, 1, 1, 1], [0, 0, 0, 1]])
    assert last_token_index(right).tolist() == [2, 3, 0]
    assert last_token_index(left).tolist() == [3, 3]


def test_rm_pools_at_the_final_eos_even_though_pad_is_eos(scalar_rm, tokenizer):
    model = load_reward_model(scalar_rm, tokenizer.pad_token_id)
    eos = tokenizer.eos_token_id
    assert tokenizer.pad_token_id == eos
    seq = [1, 10, 11, 12, eos]  # a response ends with eos = pad
    ids, mask = pad([seq, seq[:3]], eos)
    with torch.no_grad():
        pooled = reward_logits(model, ids, mask)
        hidden = model.base_model(input_ids=ids[:1]).last_hidden_state
        at_eos = model.score(hidden[0, -1]).item()
        before_eos = model.score(hidden[0, -2]).item()
    assert pooled[0].item() == pytest.approx(at_eos, abs=1e-5)
    assert pooled[0].item() != pytest.approx(before_eos, abs=1e-5)


def test_rewards_do_not_change_with_extra_padding(scalar_rm, tokenizer):
    model = load_reward_model(scalar_rm, tokenizer.pad_token_id)
    seqs = [[1, 10, 11, 12, 2], [1, 13, 2]]
    with torch.no_grad():
        ids, mask = pad(seqs, 2)
        base = reward_logits(model, ids, mask)
        wide_ids = torch.cat([ids, torch.full((2, 7), 2)], 1)
        wide_mask = torch.cat([mask, torch.zeros(2, 7, dtype=torch.long)], 1)
        left_ids, left_mask = pad(seqs, 2, left=True)
        assert torch.allclose(reward_logits(model, wide_ids, wide_mask), base, atol=1e-5)
        assert torch.allclose(reward_logits(model, left_ids, left_mask), base, atol=1e-5)
        alone = reward_logits(model, torch.tensor([seqs[1]]), torch.ones(1, 3, dtype=torch.long))
    assert alone.item() == pytest.approx(base[1].item(), abs=1e-5)


def test_distribution_head_and_exported_kind(distribution_rm, scalar_rm, tokenizer):
    model = load_reward_model(distribution_rm, tokenizer.pad_token_id)
    ids, mask = pad([[1, 10, 2]], 2)
    assert reward_logits(model, ids, mask).shape == (1, 10)
    with pytest.raises(InputError, match="is a 'scalar' reward model, not 'distribution'"):
        load_reward_model(scalar_rm, tokenizer.pad_token_id, head="distribution")


def test_backbone_needs_a_head_kind(tiny_model, tokenizer):
    with pytest.raises(InputError, match="say which head"):
        load_reward_model(tiny_model, tokenizer.pad_token_id)
    rm = load_reward_model(tiny_model, tokenizer.pad_token_id, head="scalar")
    assert rm.config.pad_token_id == tokenizer.pad_token_id and rm.config.reward_head == "scalar"


def test_missing_paths_and_no_hub_fail_clearly(tmp_path, monkeypatch):
    with pytest.raises(InputError, match="does not exist"):
        load_causal_lm(str(tmp_path / "no_such_model"))
    with pytest.raises(InputError, match="does not exist"):
        load_tokenizer("./missing/tokenizer")
    with pytest.raises(InputError, match="neither an existing local path nor a Hub id"):
        load_tokenizer("no_such_dir")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(InputError, match="Hub cannot be reached.*Local files and offline use"):
        resolve_model_path("someone/not-cached-model")


def test_gguf_needs_its_optional_package(tmp_path, monkeypatch):
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF")
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "gguf" else real_find_spec(name, *a)
    )
    with pytest.raises(InputError, match="optional package 'gguf'"):
        resolve_model_path(str(gguf))
    monkeypatch.undo()
    if importlib.util.find_spec("gguf") is not None:
        assert resolve_model_path(str(gguf)) == (str(tmp_path), {"gguf_file": "model.gguf"})


def test_tokenizer_without_chat_template_is_refused(tiny_model, tmp_path):
    copy = tmp_path / "tok"
    shutil.copytree(tiny_model, copy)
    (copy / "chat_template.jinja").unlink(missing_ok=True)
    tok = load_tokenizer(tiny_model)
    tok.chat_template = None
    tok.save_pretrained(copy)
    (copy / "chat_template.jinja").unlink(missing_ok=True)
    with pytest.raises(InputError, match="no chat template"):
        load_tokenizer(str(copy))
