"""A tiny SmolLM2 look-alike and a synthetic preference set with a known rule, built offline in seconds.

The tokenizer is a byte-level BPE with SmolLM2's special tokens at the same ids (``<|endoftext|>`` 0,
``<|im_start|>`` 1, ``<|im_end|>`` 2 = eos = pad) and its chat template; the model is a 2-layer Llama.
Tests and the offline demo use them in place of the real model.

The known rule: a response is better the more times it says ``great``. Ratings are ``1 + count`` (1..10).

    python -m rlhf.tiny OUT_DIR   # writes OUT_DIR/model (weights + tokenizer) and OUT_DIR/pairs.jsonl
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
SMOLLM2_CHAT_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}"
    "{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
GOOD_WORD = "great"
WORDS = ["the", "cat", "dog", "sun", "tree", "blue", "runs", "sees", "big", "small", "red", "fast", "and", "a"]
TOPICS = ["cats", "dogs", "trees", "the sun", "rivers", "cars", "birds", "music", "rain", "books"]


def synthetic_preference_rows(num_prompts: int = 64, pairs_per_prompt: int = 4, seed: int = 0) -> list[dict]:
    """Rows in the HelpSteer2_binarized schema; chosen says ``great`` more often than rejected."""
    rng = random.Random(seed)
    rows = []
    for p in range(num_prompts):
        prompt = f"Tell me about {rng.choice(TOPICS)}, number {p}."
        for _ in range(pairs_per_prompt):
            counts = rng.sample(range(0, 6), 2)
            responses = []
            for count in counts:
                words = [rng.choice(WORDS) for _ in range(rng.randint(3, 8))] + [GOOD_WORD] * count
                rng.shuffle(words)
                responses.append(" ".join(words))
            high, low = (0, 1) if counts[0] > counts[1] else (1, 0)
            user = {"role": "user", "content": prompt}
            rows.append(
                {
                    "prompt": prompt,
                    "chosen": [user, {"role": "assistant", "content": responses[high]}],
                    "rejected": [user, {"role": "assistant", "content": responses[low]}],
                    "chosen_rating": float(1 + counts[high]),
                    "rejected_rating": float(1 + counts[low]),
                }
            )
    return rows


def build_tiny_tokenizer(directory: str | Path, vocab_size: int = 400) -> PreTrainedTokenizerFast:
    corpus = [SMOLLM2_CHAT_TEMPLATE, " ".join(WORDS + TOPICS + [GOOD_WORD] * 10), "Tell me about, number 0123456789."]
    corpus += ["You are a helpful AI assistant named SmolLM, trained by Hugging Face", "system user assistant"]
    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    backend.train_from_iterator(corpus * 20, trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        pad_token="<|im_end|>",
        unk_token="<|endoftext|>",
        additional_special_tokens=SPECIAL_TOKENS[1:],
    )
    tokenizer.chat_template = SMOLLM2_CHAT_TEMPLATE
    tokenizer.save_pretrained(directory)
    return tokenizer


def build_tiny_model(directory: str | Path, seed: int = 0, hidden_size: int = 64, layers: int = 2) -> Path:
    """A randomly initialised Llama (causal LM) with its tokenizer, saved as a Hugging Face directory."""
    directory = Path(directory)
    tokenizer = build_tiny_tokenizer(directory)
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=2,
        tie_word_embeddings=True,
    )
    LlamaForCausalLM(config).save_pretrained(directory)
    return directory


def write_jsonl(rows: list[dict], path: str | Path) -> Path:
    path = Path(path)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def write_splits(rows: list[dict], path: str | Path, seed: int = 0) -> Path:
    """A split file like the study's (scripts/data/make_splits.py): 60% rm_a, 20% dev, 20% test of the prompts."""
    from rlhf.dataset import prompt_hash

    hashes = sorted({prompt_hash(r) for r in rows})
    random.Random(seed).shuffle(hashes)
    cut = [int(0.6 * len(hashes)), int(0.8 * len(hashes))]
    roles = {"rm_a": hashes[: cut[0]], "dev": hashes[cut[0] : cut[1]], "test": hashes[cut[1] :]}
    path = Path(path)
    path.write_text(json.dumps({"seed": seed, "roles": {k: sorted(v) for k, v in roles.items()}}, indent=1))
    return path


def main(out_dir: str) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    build_tiny_model(out / "model")
    rows = synthetic_preference_rows()
    write_jsonl(rows, out / "pairs.jsonl")
    write_splits(rows, out / "splits.json")
    print(f"tiny model in {out / 'model'}, synthetic pairs in {out / 'pairs.jsonl'}, splits in {out / 'splits.json'}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "artifacts/tiny")
