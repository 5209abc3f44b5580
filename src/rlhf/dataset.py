"""Preference rows in the HelpSteer2_binarized schema: loading, validation, prompt-level splits, tokenization.

Bad rows (empty response, wrong roles, chosen == rejected, ...) are dropped, counted and logged, with the first
few reasons; ``strict=True`` makes the first bad row fatal. A missing column, an empty or malformed file, and a
length limit that leaves nothing are always fatal (``InputError``: one line, file and line number).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import random
from collections import Counter
from typing import Optional

from lightning.pytorch.utilities import rank_zero_info, rank_zero_only, rank_zero_warn
from tqdm.auto import tqdm

from rlhf.paths import InputError, require_local_or_hub

DEFAULT_DATASET = "esfrankel17/HelpSteer2_binarized"
DEFAULT_SPLIT = "average_rating"
REQUIRED_COLUMNS = ("prompt", "chosen", "rejected")
ROLES = ("system", "user", "assistant")
JSON_SUFFIXES = (".jsonl", ".json", ".jsonl.gz", ".json.gz")

# ----------------------------------------------------------------------------------------------- loading


def load_rows(path: str, split: str = DEFAULT_SPLIT) -> list[dict]:
    """Rows of a local ``.jsonl``/``.jsonl.gz``/``.parquet`` file, or of a split of a Hub dataset."""
    local = require_local_or_hub(path, "data path")
    if local is None:
        from datasets import load_dataset

        rows = load_dataset(path, split=split).to_list()
    elif local.endswith(JSON_SUFFIXES):
        rows = _read_jsonl(local)
    elif local.endswith(".parquet"):
        import pyarrow.parquet as pq

        rows = pq.read_table(local).to_pylist()
    else:
        raise InputError(f"{path!r}: unsupported file type; use one of {[*JSON_SUFFIXES, '.parquet']}")
    if not rows:
        raise InputError(f"{path!r} holds no rows")
    missing = [c for c in REQUIRED_COLUMNS if c not in rows[0]]
    if missing:
        raise InputError(
            f"{path!r} is missing column(s) {missing}; expected the HelpSteer2_binarized schema "
            f"{list(REQUIRED_COLUMNS)} (+ optional chosen_rating, rejected_rating)"
        )
    return rows


def _read_jsonl(path: str) -> list[dict]:
    rows = []
    with (gzip.open if path.endswith(".gz") else open)(path, "rt", encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise InputError(f"{path}, line {number}: not valid JSON ({e.msg} at column {e.colno})") from None
            if not isinstance(row, dict):
                raise InputError(f"{path}, line {number}: expected a JSON object, got {type(row).__name__}")
            rows.append(row)
    return rows


def pair_problem(row: dict) -> Optional[str]:
    """What is wrong with one preference row, or None. Responses are the last (assistant) messages."""
    for side in ("chosen", "rejected"):
        messages = row[side]
        if not isinstance(messages, list) or not messages:
            return f"{side} is not a non-empty list of messages"
        if any(not isinstance(m, dict) or "role" not in m or "content" not in m for m in messages):
            return f"{side} has a message without 'role' and 'content'"
        roles = [m["role"] for m in messages]
        if any(r not in ROLES for r in roles):
            return f"{side} has an unknown role in {roles}; allowed: {list(ROLES)}"
        if roles[-1] != "assistant":
            return f"{side}'s last message is from {roles[-1]!r}, not the assistant"
        if "user" not in roles[:-1] and not (row.get("prompt") or "").strip():
            return f"{side} has no user message and the prompt is empty"
        if not (messages[-1]["content"] or "").strip():
            return f"{side} response is empty"
    if row["chosen"][:-1] != row["rejected"][:-1]:
        return "chosen and rejected answer different conversations"
    if row["chosen"][-1]["content"].strip() == row["rejected"][-1]["content"].strip():
        return "chosen and rejected responses are identical"
    return None


def clean_pairs(rows: list[dict], strict: bool = False, name: str = "data") -> list[dict]:
    """Keep valid rows (see ``pair_problem``); log what was dropped, or raise on the first problem if strict."""
    kept, reasons = [], Counter()
    for i, row in enumerate(rows):
        problem = pair_problem(row)
        if problem is None:
            kept.append(row)
            continue
        if strict:
            raise InputError(f"{name}: row {i}: {problem}")
        if sum(reasons.values()) < 5:
            rank_zero_warn(f"{name}: dropping row {i}: {problem}")
        reasons[problem] += 1
    if reasons:
        rank_zero_warn(f"{name}: dropped {sum(reasons.values())} of {len(rows)} rows: {dict(reasons.most_common(5))}")
    if not kept:
        raise InputError(f"{name}: no valid preference pairs in {len(rows)} rows")
    return kept


# ------------------------------------------------------------------------------------------------ splits


def conversation(row: dict) -> list[dict]:
    """The messages before the response (the prompt as a chat)."""
    return row["chosen"][:-1] or [{"role": "user", "content": row["prompt"]}]


def prompt_key(row: dict) -> str:
    """Pairs that share this key share a prompt and must land in the same split."""
    return row["prompt"] or "\n".join(m["content"] for m in conversation(row))


def prompt_hash(row: dict) -> str:
    """A short stable id of the prompt, for split files that must work for any copy of the data."""
    return hashlib.sha1(prompt_key(row).encode("utf-8")).hexdigest()[:16]


def split_by_prompt(rows: list[dict], val_fraction: float, seed: int) -> tuple[list[dict], list[dict]]:
    """Deterministic train/validation split over unique prompts: no prompt is in both."""
    if not 0.0 <= val_fraction < 1.0:
        raise InputError(f"val_fraction must be in [0, 1), got {val_fraction}")
    keys = sorted({prompt_key(r) for r in rows})
    random.Random(seed).shuffle(keys)
    val_keys = set(keys[: math.ceil(val_fraction * len(keys))])
    train = [r for r in rows if prompt_key(r) not in val_keys]
    val = [r for r in rows if prompt_key(r) in val_keys]
    return train, val


def load_split_file(path: str) -> dict[str, set[str]]:
    """``{role: prompt hashes}`` from a split file written by ``scripts/data/make_splits.py``."""
    try:
        with open(path) as f:
            roles = json.load(f)["roles"]
    except (OSError, json.JSONDecodeError, KeyError) as e:
        raise InputError(f"split file {path!r} cannot be read as a split file ({e})") from None
    return {role: set(hashes) for role, hashes in roles.items()}


def rows_in_roles(rows: list[dict], roles: dict[str, set[str]], wanted: list[str], path: str) -> list[dict]:
    unknown = [r for r in wanted if r not in roles]
    if unknown:
        raise InputError(f"split file {path!r} has no role(s) {unknown}; it has {sorted(roles)}")
    keep = set().union(*(roles[r] for r in wanted))
    return [r for r in rows if prompt_hash(r) in keep]


# ------------------------------------------------------------------------------------------- tokenization

_SLOT = "\ue000"  # a private-use character that stands for the user's text while the template is rendered
_CUT_MARK = " [...] "
MIN_KEPT_USER_TOKENS = 32  # a prompt cut shorter than this is no longer the question: drop it instead


def tokenize(tokenizer, texts: list[str], desc: str, chunk: int = 1024) -> list[list[int]]:
    """Token ids of many texts, in chunks behind a progress bar (rank zero only)."""
    ids = []
    for start in tqdm(range(0, len(texts), chunk), desc=desc, disable=rank_zero_only.rank != 0 or len(texts) <= chunk):
        ids += tokenizer(texts[start : start + chunk], add_special_tokens=False)["input_ids"]
    return ids


class PromptEncoder:
    """Chat-template ids ending with the generation prompt (``<|im_start|>assistant\\n``), within a budget.

    An over-long prompt loses tokens from the middle of its last user message (marked ``[...]``), never the
    template's headers or the turn markers; if fewer than ``MIN_KEPT_USER_TOKENS`` of the user's text would be
    left, ``encode`` returns None and the caller drops the item.
    """

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.cut_mark = tokenizer(_CUT_MARK, add_special_tokens=False)["input_ids"]

    def full(self, conversations: list[list[dict]]) -> list[list[int]]:
        texts = [
            self.tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=True) for c in conversations
        ]
        return tokenize(self.tokenizer, texts, "tokenizing prompts")

    def cut(self, messages: list[dict], budget: int) -> Optional[list[int]]:
        last_user = max((i for i, m in enumerate(messages) if m["role"] == "user"), default=None)
        if last_user is None:
            return None
        slotted = [dict(m) for m in messages]
        slotted[last_user]["content"] = _SLOT
        text = self.tokenizer.apply_chat_template(slotted, tokenize=False, add_generation_prompt=True)
        head, tail = text.split(_SLOT)
        encode = lambda s: self.tokenizer(s, add_special_tokens=False)["input_ids"]  # noqa: E731
        head, tail, user = encode(head), encode(tail), encode(messages[last_user]["content"])
        keep = budget - len(head) - len(tail) - len(self.cut_mark)
        if keep < MIN_KEPT_USER_TOKENS:
            return None
        return head + user[: keep - keep // 2] + self.cut_mark + user[len(user) - keep // 2 :] + tail


def encode_responses(tokenizer, responses: list[str]) -> list[list[int]]:
    """Response ids exactly as the policy generates them: the text, then eos, and no template newline after it."""
    return [r + [tokenizer.eos_token_id] for r in tokenize(tokenizer, responses, "tokenizing responses")]


def rating(row: dict, side: str) -> float:
    value = row.get(f"{side}_rating")
    return float("nan") if value is None else float(value)


def encode_pairs(tokenizer, rows: list[dict], max_length: int, name: str = "pairs") -> list[dict]:
    """Tokenize pairs within ``max_length``: both whole responses, the prompt cut inside the user's text if need be.

    A pair whose longer response leaves too little room for the question is dropped. Counts are logged; a limit
    that drops every pair is an error.
    """
    encoder = PromptEncoder(tokenizer)
    keys = list(dict.fromkeys(prompt_key(r) for r in rows))
    first_row = {prompt_key(r): r for r in reversed(rows)}
    prompt_ids = dict(zip(keys, encoder.full([conversation(first_row[k]) for k in keys])))
    chosen = encode_responses(tokenizer, [r["chosen"][-1]["content"] for r in rows])
    rejected = encode_responses(tokenizer, [r["rejected"][-1]["content"] for r in rows])
    items, cut, dropped = [], 0, 0
    for row, c, r in zip(rows, chosen, rejected):
        prompt = prompt_ids[prompt_key(row)]
        budget = max_length - max(len(c), len(r))
        if len(prompt) > budget:
            prompt = encoder.cut(conversation(row), budget)
            if prompt is None:
                dropped += 1
                continue
            cut += 1
        items.append(
            {
                "chosen_ids": prompt + c,
                "rejected_ids": prompt + r,
                "prompt_length": len(prompt),
                "chosen_rating": rating(row, "chosen"),
                "rejected_rating": rating(row, "rejected"),
                "prompt_hash": prompt_hash(row),
            }
        )
    if not items:
        raise InputError(
            f"{name}: max_length={max_length} drops all {len(rows)} pairs (the responses alone do not fit); "
            "raise max_length"
        )
    if cut or dropped:
        rank_zero_info(
            f"{name}: max_length={max_length}: {cut} of {len(rows)} pairs had their user text cut in the middle, "
            f"{dropped} dropped (a response leaves fewer than {MIN_KEPT_USER_TOKENS} tokens of the question)"
        )
    return items


def unique_prompts(tokenizer, rows: list[dict], max_prompt_length: int, name: str = "prompts") -> list[dict]:
    """One item per unique prompt in a deterministic order, each cut to ``max_prompt_length`` as pairs are."""
    encoder = PromptEncoder(tokenizer)
    by_key = {prompt_key(r): r for r in rows}
    keys = sorted(by_key)
    items, cut = [], 0
    for key, ids in zip(keys, encoder.full([conversation(by_key[k]) for k in keys])):
        if len(ids) > max_prompt_length:
            ids, cut = encoder.cut(conversation(by_key[key]), max_prompt_length), cut + 1
        if ids is not None:
            items.append({"prompt_ids": ids, "prompt_hash": prompt_hash(by_key[key])})
    if not items:
        raise InputError(f"{name}: no prompt fits max_prompt_length={max_prompt_length}")
    if cut:
        rank_zero_info(
            f"{name}: max_prompt_length={max_prompt_length}: {cut} of {len(keys)} prompts cut inside the user's "
            f"text, {len(keys) - len(items)} dropped"
        )
    for i, item in enumerate(items):
        item["index"] = i
    return items
