import torch

from rlhf.data import PromptCollator, unique_prompts
from rlhf.generation import generate
from rlhf.models import load_causal_lm
from rlhf.tiny import synthetic_preference_rows


def test_batched_left_padded_greedy_generation_equals_one_prompt_at_a_time(tiny_model, tokenizer):
    """Batching (left padding, KV cache) is an optimisation only: greedy outputs must not change."""
    model = load_causal_lm(tiny_model).eval()
    items = unique_prompts(tokenizer, synthetic_preference_rows(num_prompts=6, pairs_per_prompt=1), 512)
    items[0]["prompt_ids"] = items[0]["prompt_ids"][5:]  # make the lengths differ, so padding is exercised
    collate, eos = PromptCollator(tokenizer.pad_token_id), tokenizer.eos_token_id
    batch = collate(items)
    batched = generate(model, batch["input_ids"], batch["attention_mask"], eos, 12, greedy=True)
    no_cache = generate(model, batch["input_ids"], batch["attention_mask"], eos, 12, greedy=True, use_cache=False)
    assert torch.equal(batched.response_ids * batched.response_mask, no_cache.response_ids * no_cache.response_mask)
    for i, item in enumerate(items):
        alone = collate([item])
        single = generate(model, alone["input_ids"], alone["attention_mask"], eos, 12, greedy=True)
        n = int(single.response_mask.sum())
        assert batched.response_ids[i, :n].tolist() == single.response_ids[0, :n].tolist()
        assert int(batched.response_mask[i].sum()) == n


class ScriptedModel(torch.nn.Module):
    """Stands in for a causal LM whose ``generate`` returns fixed continuations (eos = 2, padded with eos)."""

    def __init__(self, continuations):
        super().__init__()
        self.continuations = continuations

    def generate(self, input_ids, attention_mask, generation_config):
        return torch.cat([input_ids, torch.tensor(self.continuations)], dim=1)


def test_rollout_masks_stop_at_the_first_eos():
    prompts = torch.tensor([[0, 5, 6], [7, 8, 9], [0, 0, 5]])
    prompt_mask = (torch.arange(3) >= torch.tensor([[1], [0], [2]])).long()
    continuations = [[11, 2, 2, 2], [2, 2, 2, 2], [11, 12, 13, 14]]  # ends after 2 tokens; at once; never
    rollout = generate(ScriptedModel(continuations), prompts, prompt_mask, eos_token_id=2, max_new_tokens=4)
    assert rollout.response_mask.tolist() == [[1, 1, 0, 0], [1, 0, 0, 0], [1, 1, 1, 1]]
    assert rollout.finished.tolist() == [True, True, False]
    assert rollout.response_lengths.tolist() == [2, 1, 4]
    assert rollout.prompt_length == 3
    assert rollout.attention_mask.tolist()[2] == [0, 0, 1, 1, 1, 1, 1]
