from types import SimpleNamespace

import pytest
import torch
from transformers import GenerationConfig
from transformers.cache_utils import DynamicLayer

from rlhf.data import PromptCollator
from rlhf.dataset import unique_prompts
from rlhf.generation import PreallocatedLayer, generate, plain_generate, response_logprobs, sample_tokens
from rlhf.models import load_causal_lm, position_ids_from_mask
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
    draws = sample_tokens(
        logits, temperature=2.0, uniform=torch.rand((40_000, 1), generator=torch.Generator().manual_seed(0))
    )
    frequencies = torch.bincount(draws, minlength=4).float() / draws.numel()
    assert torch.allclose(frequencies, (logits[0] / 2.0).softmax(-1), atol=0.01)  # ~4 standard errors
    again = sample_tokens(logits[:100], 2.0, torch.rand((100, 1), generator=torch.Generator().manual_seed(0)))
    assert torch.equal(again, draws[:100])
    edges = sample_tokens(logits[:2], 2.0, torch.tensor([[0.0], [1.0 - 1e-7]]))  # both ends of [0, 1)
    assert edges.tolist() == [0, 3]


def eos_prone(model, eos_token_id: int, bias: float = 4.0):
    """The model with its eos logit raised, so that rows finish at many different steps."""
    head = torch.nn.Linear(model.lm_head.in_features, model.lm_head.out_features, bias=True)
    head.weight = model.lm_head.weight
    torch.nn.init.zeros_(head.bias)
    head.bias.data[eos_token_id] = bias
    model.lm_head = head
    return model


@pytest.mark.parametrize("autocast", [False, True])
def test_the_fast_loop_samples_what_the_plain_loop_samples(tiny_model, tokenizer, prompt_batch, autocast):
    """The preallocated cache and dropping finished rows are optimisations only: the same tokens, row for row."""
    model = eos_prone(load_causal_lm(tiny_model).eval(), tokenizer.eos_token_id)
    items, collate = prompt_batch
    batch, eos = collate(items * 3), tokenizer.eos_token_id  # 18 rows, prompts of two lengths
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
        for seed in range(3):
            fast = generate(model, batch["input_ids"], batch["attention_mask"], eos, 12,
                            generator=torch.Generator().manual_seed(seed))  # fmt: skip
            plain, finished = plain_generate(model, batch["input_ids"], batch["attention_mask"], eos, 12,
                                             generator=torch.Generator().manual_seed(seed))  # fmt: skip
            assert torch.equal(fast.response_ids, plain) and torch.equal(fast.finished, finished)
            lengths = fast.response_lengths[fast.finished]
            assert len(set(lengths.tolist())) >= 4 and not fast.finished.all()  # rows left at many steps, some ran on


def test_the_preallocated_cache_holds_what_a_dynamic_cache_holds():
    fast, dynamic = PreallocatedLayer(capacity=3), DynamicLayer()
    states = [torch.randn(4, 2, n, 5) for n in (6, 1, 1)]
    for key in states[:2]:
        fast.update(key, -key)
        dynamic.update(key, -key)
    keep = torch.tensor([0, 2, 3])
    fast.batch_select_indices(keep)
    dynamic.batch_select_indices(keep)
    keys, values = fast.update(states[2][keep], -states[2][keep])
    expected_keys, expected_values = dynamic.update(states[2][keep], -states[2][keep])
    assert torch.equal(keys, expected_keys) and torch.equal(values, expected_values)
    assert fast.get_seq_length() == 8 and fast._keys.shape[-2] == 9  # 6 + capacity 3: no reallocation


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


class MarkovLM(torch.nn.Module):
    """A stand-in causal LM whose argmax after a token is a scripted next token, whatever rows the batch holds."""

    def __init__(self, transitions: dict[int, int], vocab=16):
        super().__init__()
        self.next_token = torch.arange(vocab)
        for current, following in transitions.items():
            self.next_token[current] = following
        self.vocab = vocab

    def forward(self, input_ids, **kwargs):
        logits = torch.full((input_ids.shape[0], 1, self.vocab), -1e4)
        logits[torch.arange(input_ids.shape[0]), 0, self.next_token[input_ids[:, -1]]] = 0.0
        return SimpleNamespace(logits=logits)


def test_rollout_masks_stop_at_the_first_eos():
    prompts = torch.tensor([[0, 5, 6], [7, 8, 9], [0, 0, 5]])
    prompt_mask = (torch.arange(3) >= torch.tensor([[1], [0], [2]])).long()
    # row 0: 6 -> 11 -> eos; row 1: 9 -> eos at once; row 2: 5 -> 12 -> 13 -> 14 -> 15, never eos
    lm = MarkovLM({6: 11, 11: 2, 9: 2, 5: 12, 12: 13, 13: 14, 14: 15})
    rollout = generate(lm, prompts, prompt_mask, eos_token_id=2, max_new_tokens=4, greedy=True)
    assert rollout.response_ids.tolist() == [[11, 2, 2, 2], [2, 2, 2, 2], [12, 13, 14, 15]]  # pads after eos
    assert rollout.response_mask.tolist() == [[1, 1, 0, 0], [1, 0, 0, 0], [1, 1, 1, 1]]
    assert rollout.finished.tolist() == [True, True, False]
    assert rollout.response_lengths.tolist() == [2, 1, 4]
    assert rollout.prompt_length == 3
    assert rollout.attention_mask.tolist()[2] == [0, 0, 1, 1, 1, 1, 1]
    early = generate(MarkovLM({6: 2, 9: 2}), prompts[:2], prompt_mask[:2], 2, max_new_tokens=8, greedy=True)
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


def test_logprobs_through_the_head_for_real_tokens_only_equal_the_full_head_with_its_gradient(
    tiny_model, tokenizer, prompt_batch
):
    items, collate = prompt_batch
    batch, eos = collate(items), tokenizer.eos_token_id
    sampler = eos_prone(load_causal_lm(tiny_model).eval(), eos)
    rollout = generate(sampler, batch["input_ids"], batch["attention_mask"], eos, 10,
                       generator=torch.Generator().manual_seed(0))  # fmt: skip
    real = rollout.response_mask.bool()
    assert not real.all() and real.sum(-1).min() < real.sum(-1).max()  # padding after some responses
    model, weights = load_causal_lm(tiny_model).train(), torch.randn(real.shape)

    def loss_and_grads(logprobs):
        model.zero_grad()
        (logprobs * weights * real).sum().backward()
        return logprobs.detach(), [p.grad.clone() for p in model.parameters()]

    packed, packed_grads = loss_and_grads(response_logprobs(model, rollout, temperature=0.7))
    full = model(input_ids=rollout.input_ids, attention_mask=rollout.attention_mask,
                 position_ids=position_ids_from_mask(rollout.attention_mask)).logits  # fmt: skip
    full = (full[:, -real.shape[1] - 1 : -1] / 0.7).log_softmax(-1).gather(-1, rollout.response_ids[..., None])
    full, full_grads = loss_and_grads(full.squeeze(-1))
    torch.testing.assert_close(packed[real], full[real], atol=1e-5, rtol=1e-5)
    assert (packed[~real] == 0).all()
    for a, b in zip(packed_grads, full_grads):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)
