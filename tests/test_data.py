import copy
import gzip
import json

import pytest
import torch
from conftest import SHARED, write_rows

from rlhf.data import HelpSteerDataModule, PairCollator, PromptCollator
from rlhf.dataset import (
    MIN_KEPT_USER_TOKENS,
    clean_pairs,
    encode_pairs,
    load_rows,
    pair_problem,
    prompt_hash,
    prompt_key,
    split_by_prompt,
    unique_prompts,
)
from rlhf.paths import InputError
from rlhf.sampling import LengthGroupedSampler
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


def test_bad_paths_and_files_get_one_clear_error(tmp_path, monkeypatch):
    with pytest.raises(InputError, match="does not exist"):
        load_rows(str(tmp_path / "nope.jsonl"))
    with pytest.raises(InputError, match="does not exist"):
        load_rows("data/pairs.jsonl.gz")  # path syntax: never sent to the Hub
    (tmp_path / "data.csv").write_text("a,b\n")
    with pytest.raises(InputError, match="unsupported file type"):
        load_rows(str(tmp_path / "data.csv"))
    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(InputError, match="holds no rows"):
        load_rows(str(tmp_path / "empty.jsonl"))
    (tmp_path / "bad.jsonl").write_text(json.dumps(row()) + "\n" + json.dumps(row())[:-3] + "\n")
    with pytest.raises(InputError, match=r"bad.jsonl, line 2: not valid JSON"):
        load_rows(str(tmp_path / "bad.jsonl"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # no Hub: fail at once and point at the offline instructions
    with pytest.raises(InputError, match="Hub cannot be reached.*Local files and offline use"):
        load_rows("someone/some-dataset")


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
    with pytest.raises(InputError):
        split_by_prompt(rows, 1.0, seed=0)


def chat_ids(tokenizer, text):
    rendered = tokenizer.apply_chat_template(
        [{"role": "user", "content": text}], tokenize=False, add_generation_prompt=True
    )
    return tokenizer(rendered, add_special_tokens=False)["input_ids"]


def test_overlong_prompts_are_cut_inside_the_users_text_never_in_the_template(tokenizer):
    long_prompt = "Question start. " + " ".join(f"w{i}" for i in range(300)) + " Question end?"
    items = encode_pairs(tokenizer, [row(prompt=long_prompt, chosen="yes great", rejected="no")], max_length=160)
    eos = tokenizer.eos_token_id
    chosen_response = tokenizer("yes great", add_special_tokens=False)["input_ids"] + [eos]
    ids = items[0]["chosen_ids"]
    assert len(ids) <= 160 and ids[-len(chosen_response) :] == chosen_response
    text = tokenizer.decode(ids)
    header = tokenizer.apply_chat_template(
        [{"role": "user", "content": "X"}], tokenize=False, add_generation_prompt=True
    )
    before, after = header.split("X")
    assert text.startswith(before + "Question start.")  # system turn and user header whole, the start kept
    assert "[...]" in text and (" Question end?" + after + "yes great<|im_end|>") in text  # the end and markers kept
    assert items[0]["rejected_ids"][: len(ids) - len(chosen_response)] == ids[: -len(chosen_response)]
    # Untouched prompts are tokenized exactly as a whole (no boundary effects from the cut machinery).
    short = encode_pairs(tokenizer, [row(prompt="Short one?", chosen="a", rejected="b")], max_length=160)[0]
    assert short["chosen_ids"][: len(chat_ids(tokenizer, "Short one?"))] == chat_ids(tokenizer, "Short one?")


def test_a_pair_is_dropped_when_the_question_would_not_survive_and_all_dropped_is_fatal(tokenizer):
    long_response = " ".join(["w"] * 100)
    rows = [row(prompt="Keep me?", chosen="fine", rejected="ok"), row(prompt="q2", chosen=long_response)]
    items = encode_pairs(tokenizer, rows, max_length=100 + MIN_KEPT_USER_TOKENS // 2)
    assert len(items) == 1
    with pytest.raises(InputError, match="max_length=40 drops all 1 pairs"):
        encode_pairs(tokenizer, [row(chosen=long_response)], max_length=40)


def test_prompt_mode_cuts_long_prompts_the_same_way(tokenizer):
    rows = [row(prompt="Tell me " + " ".join(["more"] * 300)), row(prompt="Short?")]
    items = unique_prompts(tokenizer, rows, max_prompt_length=96)
    assert len(items) == 2 and all(len(i["prompt_ids"]) <= 96 for i in items)
    assert all(tokenizer.decode(i["prompt_ids"]).endswith("<|im_end|>\n<|im_start|>assistant\n") for i in items)
    assert {i["prompt_hash"] for i in items} == {prompt_hash(r) for r in rows}


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
    # One stacked batch: the chosen responses, then the rejected ones, padded to one width.
    assert pairs["input_ids"].tolist() == [[5, 6, 7], [5, 2, 2], [5, 8, 2], [5, 9, 2]]
    assert pairs["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0], [1, 1, 0], [1, 1, 0]]
    assert pairs["ratings"].tolist() == [1.0, 1.0, 0.0, 0.0]
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
    assert batch["input_ids"].shape[0] == 8  # 4 pairs, chosen then rejected
    batch = next(iter(prompts.val_dataloader()))
    assert batch["attention_mask"][:, -1].all()  # left padded: every prompt ends at the last column


def write_split_file(path, rows, roles_of):
    roles = {}
    for r in rows:
        roles.setdefault(roles_of(r), set()).add(prompt_hash(r))
    path.write_text(json.dumps({"roles": {k: sorted(v) for k, v in roles.items()}}))
    return str(path)


def test_split_file_roles_make_the_sets_and_test_is_never_the_validation_set(tiny_model, tmp_path):
    rows = synthetic_preference_rows(num_prompts=20, pairs_per_prompt=2)
    data = write_rows(tmp_path / "pairs.jsonl", rows)
    number = lambda r: int(r["prompt"].split("number ")[1].rstrip("."))  # noqa: E731
    splits = write_split_file(tmp_path / "splits.json", rows, lambda r: ["rm_a", "rm_b", "dev", "test"][number(r) % 4])
    dm = HelpSteerDataModule(
        path=data, tokenizer=tiny_model, mode="prompts", splits=splits, train_roles=["rm_a", "rm_b"]
    )
    dm.setup("fit")
    assert {k: len(v) for k, v in dm.datasets.items()} == {"train": 10, "val": 5, "test": 5}
    prompts = {k: {dm.tokenizer.decode(i["prompt_ids"]) for i in v} for k, v in dm.datasets.items()}
    assert not prompts["train"] & prompts["val"] and not prompts["val"] & prompts["test"]
    with pytest.raises(InputError, match="has no role"):
        HelpSteerDataModule(path=data, tokenizer=tiny_model, splits=splits, val_roles=["nope"]).setup("fit")
    plain = HelpSteerDataModule(path=data, tokenizer=tiny_model, val_fraction=0.25)
    plain.setup("test")
    with pytest.raises(InputError, match="no test set"):
        plain.test_dataloader()


def test_training_position_is_checkpointed_and_resumes_with_the_unseen_batches(tiny_model, pairs_file):
    def fresh():
        dm = HelpSteerDataModule(path=pairs_file, tokenizer=tiny_model, val_fraction=0.25, batch_size=4, seed=3)
        dm.setup("fit")
        return dm

    def consume(dm, loader_iter, n):
        return [dm.on_before_batch_transfer(next(loader_iter), 0)["input_ids"].sum().item() for _ in range(n)]

    dm = fresh()
    loader = dm.train_dataloader()
    loader.sampler.set_epoch(2)
    it = iter(loader)
    seen = consume(dm, it, 3)
    next(it)  # prefetched, never trained on: not counted
    state = dm.state_dict()
    assert state == {"epoch": 2, "batches_done": 3}

    uninterrupted = fresh()
    loader = uninterrupted.train_dataloader()
    loader.sampler.set_epoch(2)
    expected = consume(uninterrupted, iter(loader), 6)

    resumed = fresh()
    resumed.load_state_dict(state)
    loader = resumed.train_dataloader()  # Lightning has not called set_epoch yet when it first iterates
    assert seen + consume(resumed, iter(loader), 3) == expected
    assert resumed.state_dict() == {"epoch": 2, "batches_done": 6}


def test_grade_stats_count_each_graded_response_once_and_split_its_variance_by_prompt():
    from helpers import load_script

    grades = load_script("scripts/data/grade_stats.py")
    rated = lambda prompt, chosen, c, rejected, r: {  # noqa: E731
        **row(prompt, chosen, rejected), "chosen_rating": c, "rejected_rating": r}  # fmt: skip
    unrated = {**row("C?"), "chosen_rating": None, "rejected_rating": None}
    rows = [rated("A?", "a1", "3.0", "a2", "1.0"), rated("A?", "a1", "3.0", "a3", "1.0"),  # a1 in two pairs
            rated("B?", "b1", "7.0", "b2", "5.0"), unrated]  # fmt: skip
    responses = grades.graded_responses(rows)
    assert sorted((r["text"], r["grade"]) for r in responses) == [
        ("a1", 3.0), ("a2", 1.0), ("a3", 1.0), ("b1", 7.0), ("b2", 5.0)]  # fmt: skip
    # prompts A: 1, 1, 3 (mean 5/3) and B: 5, 7 (mean 6); over all, mean 17/5: between / total by hand
    values, prompts = [1.0, 1.0, 3.0, 5.0, 7.0], ["A", "A", "A", "B", "B"]
    mean = 17 / 5
    total = sum((v - mean) ** 2 for v in values)
    between = 3 * (5 / 3 - mean) ** 2 + 2 * (6 - mean) ** 2
    assert grades.between_prompt_share(values, prompts) == pytest.approx(between / total)
    with pytest.raises(SystemExit, match="graded 3 and 4"):
        grades.graded_responses([*rows, rated("A?", "a1", "4.0", "a4", "1.0")])
