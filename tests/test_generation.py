from types import SimpleNamespace

import pytest
import torch
from transformers import GenerationConfig

from rlhf.data import PromptCollator
from rlhf.dataset import unique_prompts
from rlhf.generation import generate, response_logprobs, sample_tokens
from rlhf.models import load_causal_lm
from rlhf.tiny import synthetic_preference_rows


@pytest.fixture(scope="module")
def prompt_batch(tokenizer):
    items = unique_prompts(tokenizer, synthetic_preference_rows(num_prompts=6, pairs_per_prompt=1), 512)
    items[0]["prompt_ids"] = items[0]["prompt_ids"][5:]  # make the lengths differ, so padding is exercised
    return items, PromptCollator(tokenizer.pad_token_id)


def test_greedy_equals_model_generate_and_one_prompt_at_a_time(tiny_model, tokenizer, prompt_batch):
    """Our decode loop (left padding, KV cache) is an optimisation only: greedy outputs must not change."""
    model = load_causal_lm(tiny_model).eval()
    items, collate = prompt_batch
    eos, batch = tokenizer.eos_token_id, collate(items)
    ours = generate(model, batch["input_ids"], batch["attention_mask"], eos, 12, greedy=True)
    config = GenerationConfig(do_sample=False, max_new_tokens=12, eos_token_id=eos, pad_token_id=eos)
    hf = model.generate(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], generation_config=config)
    hf_response = hf[:, batch["input_ids"].shape[1] :]
    width = ours.response_ids.shape[1]
    assert torch.equal(ours.response_ids, hf_response[:, :width]) and (hf_response[:, width:] == eos).all()
    for i, item in enumerate(items):
        alone = collate([item])
        single = generate(model, alone["input_ids"], alone["attention_mask"], eos, 12, greedy=True)
        n = int(single.response_mask.sum())
        assert ours.response_ids[i, :n].tolist() == single.response_ids[0, :n].tolist()
        assert int(ours.response_mask[i].sum()) == n


def test_sampling_follows_the_softmax_and_the_generator():
    logits = torch.tensor([[2.0, 0.0, -1.0, 1.0]]).repeat(40_000, 1)
    draws = sample_tokens(logits, temperature=2.0, generator=torch.Generator().manual_seed(0))
    frequencies = torch.bincount(draws, minlength=4).float() / draws.numel()
    assert torch.allclose(frequencies, (logits[0] / 2.0).softmax(-1), atol=0.01)  # ~4 standard errors
    again = sample_tokens(logits[:100], 2.0, torch.Generator().manual_seed(0))
    assert torch.equal(again, draws[:100])


def test_samples_are_reproducible_and_their_logprobs_are_what_training_recomputes(tiny_model, tokenizer, prompt_batch):
    model = load_causal_lm(tiny_model).train()
    items, collate = prompt_batch
    batch, eos = collate(items), tokenizer.eos_token_id

    def sample(seed):
        g = torch.Generator().manual_seed(seed)
        return generate(model, batch["input_ids"], batch["attention_mask"], eos, 10, generator=g)

    a, b = sample(1), sample(1)
    assert torch.equal(a.input_ids, b.input_ids) and not torch.equal(a.input_ids, sample(2).input_ids)
    assert model.training  # generate restores the mode it found
    with torch.no_grad():
        logprobs = response_logprobs(model, a)
        for i in range(2):  # an unpadded forward of each sequence alone gives the same log-probs
            seq = a.input_ids[i][a.attention_mask[i].bool()]
            n = int(a.response_mask[i].sum())
            alone = model(seq[None]).logits[0, -n - 1 : -1].log_softmax(-1).gather(-1, seq[-n:, None]).squeeze(-1)
            torch.testing.assert_close(logprobs[i, :n], alone, atol=1e-4, rtol=1e-4)


class ScriptedLM(torch.nn.Module):
    """A stand-in causal LM whose every step's argmax is a scripted token (eos = 2)."""

    def __init__(self, continuations, vocab=16):
        super().__init__()
        self.continuations, self.vocab, self.step = torch.tensor(continuations), vocab, 0

    def forward(self, input_ids, **kwargs):
        logits = torch.full((input_ids.shape[0], 1, self.vocab), -1e4)
        logits[torch.arange(input_ids.shape[0]), 0, self.continuations[:, self.step]] = 0.0
        self.step += 1
        return SimpleNamespace(logits=logits)


def test_rollout_masks_stop_at_the_first_eos():
    prompts = torch.tensor([[0, 5, 6], [7, 8, 9], [0, 0, 5]])
    prompt_mask = (torch.arange(3) >= torch.tensor([[1], [0], [2]])).long()
    continuations = [[11, 2, 7, 7], [2, 9, 9, 9], [11, 12, 13, 14]]  # ends after 2 tokens; at once; never
    rollout = generate(ScriptedLM(continuations), prompts, prompt_mask, eos_token_id=2, max_new_tokens=4, greedy=True)
    assert rollout.response_ids.tolist() == [[11, 2, 2, 2], [2, 2, 2, 2], [11, 12, 13, 14]]  # pads after eos
    assert rollout.response_mask.tolist() == [[1, 1, 0, 0], [1, 0, 0, 0], [1, 1, 1, 1]]
    assert rollout.finished.tolist() == [True, True, False]
    assert rollout.response_lengths.tolist() == [2, 1, 4]
    assert rollout.prompt_length == 3
    assert rollout.attention_mask.tolist()[2] == [0, 0, 1, 1, 1, 1, 1]
    early = generate(ScriptedLM([[2, 9], [2, 9]]), prompts[:2], prompt_mask[:2], 2, max_new_tokens=8, greedy=True)
    assert early.response_ids.shape[1] == 1  # stops as soon as every row has finished


def test_the_weight_cast_cache_under_autocast_changes_nothing(tiny_model, tokenizer, prompt_batch):
    from rlhf.generation import _generate

    model = load_causal_lm(tiny_model).train()  # trainable weights: the ones autocast caches
    items, collate = prompt_batch
    batch, eos = collate(items), tokenizer.eos_token_id
    args = (model, batch["input_ids"], batch["attention_mask"], eos, 10)
    with torch.autocast("cpu", dtype=torch.bfloat16, cache_enabled=False):  # as Lightning's bf16-mixed does
        cached = generate(*args, generator=torch.Generator().manual_seed(3))
        uncached = _generate(*args, 1.0, False, torch.Generator().manual_seed(3))
    assert torch.equal(cached.input_ids, uncached.input_ids)
