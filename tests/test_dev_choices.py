"""The pre-registered dev-prompt rules (scripts/study/dev_choices.py) on hand-made measurements."""

import json

import pytest
import yaml
from helpers import load_script

dev_choices = load_script("scripts/study/dev_choices.py")


def sample(length: int, finished: bool = True, repetition: float = 0.0) -> dict:
    return {"length": length, "finished": finished, "repetition": repetition}


def test_budget_is_the_smallest_with_half_finished(tmp_path):
    # 10 samples: 4 finish within 128, 6 within 192, 7 within 256, 3 never (unfinished at 256 tokens).
    lengths = [50, 60, 100, 128, 150, 192, 250] + [256] * 3
    records = [{"prompt_hash": str(i), "samples": [sample(n, finished=i < 7)]} for i, n in enumerate(lengths)]
    path = tmp_path / "generations.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    result = dev_choices.choose_budget(str(path))
    assert result["finished_share"] == {128: 0.4, 192: 0.6, 256: 0.7}
    assert result["chosen"] == 192 and not result["none_passed"]
    assert "| 192 | 0.600 |" in dev_choices.budget_markdown(result)


def write_run(root, name: str, lr: float, kl: float, policy: list[dict], sft: list[dict]) -> str:
    """A run directory as scripts/study/reinforce.sh leaves it: its config and two dev checks; one sample a prompt."""
    run = root / name
    logs = run / "logs" / name / "version_0"
    (logs / "eval").mkdir(parents=True)
    (logs / "config.yaml").write_text(yaml.safe_dump({"model": {"init_args": {"lr": lr, "beta": 0.05}}}))
    check = {
        "global_step": 40,
        "kl": kl,
        "reward_gain": {"mean": 0.1, "ci95": [0.0, 0.2]},
        "policy": {f"p{i}": {"samples": [s]} for i, s in enumerate(policy)},
        "sft": {f"p{i}": {"samples": [s]} for i, s in enumerate(sft)},
    }
    (logs / "eval" / "dev_step40.json").write_text(json.dumps(check))
    (logs / "eval" / "dev_step0.json").write_text(json.dumps({**check, "global_step": 0, "kl": 99.0}))
    return str(run)


def test_lr_is_the_largest_that_keeps_kl_and_behaviour(tmp_path):
    sft = [sample(80)] * 10 + [sample(128, finished=False)] * 10  # SFT: half unfinished, none repetitive
    one_more_unfinished = [sample(80)] * 9 + [sample(128, finished=False)] * 11  # one flip: noise, not a rise
    looping = [sample(128, repetition=0.9)] * 20  # every response degenerate: a rise
    runs = [
        write_run(tmp_path, "a", 1e-6, 0.5, sft, sft),
        write_run(tmp_path, "b", 3e-6, 4.0, one_more_unfinished, sft),
        write_run(tmp_path, "c", 1e-5, 6.0, looping, sft),
    ]
    result = dev_choices.choose_lr(runs)
    assert [r["passes"] for r in result["runs"].values()] == [True, True, False]
    assert result["runs"][runs[2]]["behaviour"]["repetitive"]["risen"]
    assert result["runs"][runs[1]]["behaviour"]["unfinished"]["policy"] == pytest.approx(0.55)
    assert result["chosen_lr"] == 3e-6 and result["beta"] == 0.05
    assert result["runs"][runs[0]]["step"] == 40  # the last dev check, not the first
    table = dev_choices.lr_markdown(result).splitlines()
    assert [row.split("|")[1].strip() for row in table[2:5]] == ["1e-06", "3e-06", "1e-05"]
    assert [row.split("|")[-2].strip() for row in table[2:5]] == ["yes", "yes", "no"]
    assert "| 1.00 / 0.00 |" in table[4] and table[-1] == "Chosen: lr 3e-06, beta 0.05."


def test_lr_none_passing_says_so(tmp_path):
    sft = [sample(80)] * 4
    runs = [write_run(tmp_path, "a", 1e-6, 11.0, sft, sft)]  # KL over the 10-nat budget
    result = dev_choices.choose_lr(runs)
    assert result["chosen_lr"] is None and result["beta"] is None
    assert dev_choices.lr_markdown(result).endswith("No lr passed the rule.\n")


def test_lr_without_a_dev_check_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit, match="no dev check"):
        dev_choices.choose_lr([str(tmp_path / "empty")])
