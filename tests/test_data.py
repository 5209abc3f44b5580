import copy
import gzip
import json

import pytest
import torch
from conftest import SHARED, write_rows

from rlhf.data import (
    HelpSteerDataModule,
    LengthGroupedSampler,
    PairCollator,
    PromptCollator,
    clean_pairs,
    encode_pairs,
    load_rows,
    pair_problem,
    prompt_key,
    split_by_prompt,
)
from rlhf.tiny import synthetic_preference_rows


def row(prompt="Q?", chosen="good answer", rejected="bad answer"):
    return {
        "prompt": prompt,
        "chosen": [{"role": "user", "content": prompt}, {"role": "assistant", "content": chosen}],
        "rejected": [{"role": "user", "content": prompt}, {"role": "assistant", "content": rejected}],
        "chosen_rating": 3.0,
        "rejected_rating": None,
    }


def broken(edit):
    r = row()
    edit(r)
    return r


@pytest.mark.parametrize(
    "bad_row, message",
    [
        (broken(lambda r: r["chosen"][1].update(content="   ")), "chosen response is empty"),
        (broken(lambda r: r["rejected"][1].update(content="")), "rejected response is empty"),
        (
            broken(lambda r: r["chosen"][1].update(role="user")),
            "chosen's last message is from 'user', not the assistant",
        ),
        (broken(lambda r: r["rejected"][0].update(role="human")), "unknown role"),
        (broken(lambda r: r.update(rejected=copy.deepcopy(r["chosen"]))), "identical"),
        (broken(lambda r: r["rejected"][0].update(content="another question")), "different conversations"),
        (broken(lambda r: r.update(chosen=[])), "chosen is not a non-empty list"),
        (broken(lambda r: r["chosen"][1].pop("content")), "without 'role' and 'content'"),
    ],
)
def test_each_bad_row_gets_a_clear_message(bad_row, message):
    assert message in pair_problem(bad_row)
    with pytest.raises(ValueError, match=r"row 1: .*" + message.split("'")[0]):
        clean_pairs([row(), bad_row], strict=True)


def test_bad_rows_are_dropped_and_counted_unless_strict():
    rows = [row(prompt=f"q{i}") for i in range(3)] + [broken(lambda r: r["chosen"][1].update(content=""))]
    with pytest.warns(UserWarning, match="dropped 1 of 4 rows"):
        kept = clean_pairs(rows)
    assert len(kept) == 3
    with pytest.raises(ValueError, match="no valid preference pairs"):
        clean_pairs([rows[-1]])


def test_missing_column_is_fatal_and_named(tmp_path):
    r = row()
    del r["rejected"]
    path = write_rows(tmp_path / "x.jsonl", [r])
    with pytest.raises(ValueError, match=r"missing column\(s\) \['rejected'\]"):
        load_rows(path)


def test_bad_paths(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a file"):
        load_rows(str(tmp_path / "nope.jsonl"))
    (tmp_path / "data.csv").write_text("a,b\n")
    with pytest.raises(ValueError, match="unsupported file type"):
        load_rows(str(tmp_path / "data.csv"))


def test_loads_jsonl_gz_and_parquet(tmp_path):
    rows = [row(prompt=f"q{i}") for i in range(4)]
    gz = tmp_path / "pairs.jsonl.gz"
    with gzip.open(gz, "wt") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)
    assert [r["prompt"] for r in load_rows(str(gz))] == [f"q{i}" for i in range(4)]
    from datasets import Dataset

    Dataset.from_list(rows).to_parquet(str(tmp_path / "pairs.parquet"))
    assert len(load_rows(str(tmp_path / "pairs.parquet"))) == 4


@pytest.mark.skipif(not (SHARED / "data/helpsteer2_sample").exists(), reason="shared HelpSteer2 sample not present")
def test_reads_the_real_helpsteer2_binarized_schema():
    rows = clean_pairs(load_rows(str(SHARED / "data/helpsteer2_sample/binarized_average_rating_44pairs.jsonl")))
    assert len(rows) == 44
    assert all(0 <= r["chosen_rating"] <= 4 and r["chosen_rating"] > r["rejected_rating"] for r in rows)


def test_split_is_by_prompt_deterministic_and_seeded():
    rows = synthetic_preference_rows(num_prompts=50, pairs_per_prompt=4)
    train, val = split_by_prompt(rows, 0.2, seed=0)
    train_prompts, val_prompts = {prompt_key(r) for r in train}, {prompt_key(r) for r in val}
    assert not train_prompts & val_prompts
    assert len(val_prompts) == 10 and len(train) + len(val) == len(rows)
    again_train, again_val = split_by_prompt(list(reversed(rows)), 0.2, seed=0)
    assert {prompt_key(r) for r in again_val} == val_prompts  # independent of row order
    _, other_val = split_by_prompt(rows, 0.2, seed=1)
    assert {prompt_key(r) for r in other_val} != val_prompts
    with pytest.raises(ValueError):
        split_by_prompt(rows, 1.0, seed=0)


def test_overlong_pairs_keep_whole_responses_and_lose_prompt_tokens_from_the_left(tokenizer):
    long_prompt = " ".join(["word"] * 200)
    items = encode_pairs(tokenizer, [row(prompt=long_prompt, chosen="yes great", rejected="no")], max_length=40)
    eos = tokenizer.eos_token_id
    chosen_response = tokenizer("yes great", add_special_tokens=False)["input_ids"] + [eos]
    assert len(items[0]["chosen_ids"]) == 40
    assert items[0]["chosen_ids"][-len(chosen_response) :] == chosen_response
    full_prompt = tokenizer(
        tokenizer.apply_chat_template(
            [{"role": "user", "content": long_prompt}], tokenize=False, add_generation_prompt=True
        ),
        add_special_tokens=False,
    )["input_ids"]
    kept_prompt = items[0]["chosen_ids"][: -len(chosen_response)]
    assert kept_prompt == full_prompt[-len(kept_prompt) :]  # the end of the prompt (generation prompt) survives
    assert items[0]["rejected_ids"][: len(kept_prompt)] == kept_prompt
    # A response that alone exceeds the limit cannot be scored at its end: the pair is dropped.
    assert encode_pairs(tokenizer, [row(chosen=" ".join(["w"] * 100))], max_length=40) == []


def test_responses_are_encoded_as_generated_ending_with_eos(tokenizer):
    item = encode_pairs(tokenizer, [row()], max_length=512)[0]
    assert item["chosen_ids"][-1] == tokenizer.eos_token_id
    text = tokenizer.decode(item["chosen_ids"])
    assert text.endswith("<|im_start|>assistant\ngood answer<|im_end|>")
    assert item["chosen_rating"] == 3.0 and torch.isnan(torch.tensor(item["rejected_rating"]))


def test_collators_pad_dynamically():
    pairs = PairCollator(pad_id=2)(
        [
            {"chosen_ids": [5, 6, 7], "rejected_ids": [5, 8], "chosen_rating": 1.0, "rejected_rating": 0.0},
            {"chosen_ids": [5], "rejected_ids": [5, 9], "chosen_rating": 1.0, "rejected_rating": 0.0},
        ]
    )
    assert pairs["chosen_input_ids"].tolist() == [[5, 6, 7], [5, 2, 2]]
    assert pairs["rejected_attention_mask"].tolist() == [[1, 1, 0], [1, 1, 0]]
    prompts = PromptCollator(pad_id=2)([{"prompt_ids": [5, 6, 7], "index": 0}, {"prompt_ids": [8], "index": 1}])
    assert prompts["input_ids"].tolist() == [[5, 6, 7], [2, 2, 8]]
    assert prompts["attention_mask"].tolist() == [[1, 1, 1], [0, 0, 1]]


def test_length_grouped_sampler_is_a_permutation_with_less_padding():
    g = torch.Generator().manual_seed(0)
    lengths = torch.randint(1, 500, (1000,), generator=g).tolist()
    sampler = LengthGroupedSampler(lengths, batch_size=8, seed=0)
    order = list(sampler)
    assert sorted(order) == list(range(1000))
    assert order == list(LengthGroupedSampler(lengths, batch_size=8, seed=0))
    sampler.set_epoch(1)
    assert list(sampler) != order

    def padding(o):
        return sum(
            max(lengths[i] for i in o[s : s + 8]) * 8 - sum(lengths[i] for i in o[s : s + 8]) for s in range(0, 1000, 8)
        )

    assert padding(order) < 0.2 * padding(torch.randperm(1000, generator=g).tolist())


def test_datamodule_prompt_mode_holds_out_the_same_prompts_as_pair_mode(tiny_model, pairs_file):
    def module(mode):
        dm = HelpSteerDataModule(path=pairs_file, tokenizer=tiny_model, mode=mode, val_fraction=0.25, batch_size=4)
        dm.setup("fit")
        return dm

    pairs, prompts = module("pairs"), module("prompts")
    decode = pairs.tokenizer.decode
    val_prompts = {decode(i["prompt_ids"]) for i in prompts.datasets["val"]}
    train_prompts = {decode(i["prompt_ids"]) for i in prompts.datasets["train"]}
    assert len(val_prompts) == 10 and not val_prompts & train_prompts
    for item in pairs.datasets["val"]:
        text = decode(item["chosen_ids"])
        assert any(text.startswith(p) for p in val_prompts)
    batch = next(iter(pairs.train_dataloader()))
    assert batch["chosen_input_ids"].shape == batch["rejected_input_ids"].shape
    assert batch["chosen_input_ids"].shape[0] == 4
    batch = next(iter(prompts.val_dataloader()))
    assert batch["attention_mask"][:, -1].all()  # left padded: every prompt ends at the last column
