"""Evaluation as its own stage: generate, then judge, then compare; each step reads and writes files.

    python evaluate.py generate --policy PATH --out DIR/generations.jsonl [--reference SFT] ...
    python evaluate.py judge --rm RM_DIR --generations DIR/generations.jsonl --out DIR/scores_<judge>.jsonl
    python evaluate.py pairs --rm RM_DIR --pairs FILE --out accuracy.json       # agreement with labels
    python evaluate.py probe --rm RM_DIR --generations SFT/generations.jsonl --probe TEXT --out probe.json
    python evaluate.py compare --sft DIR --policy NAME=DIR[,DIR...] --judges rm_b rm_a length --out table.json

A policy is generated once and judged by any number of reward models later. Every stage resumes when cut off:
``generate`` skips the prompts already in its output, and ``judge``, ``pairs`` and ``probe`` the batches already
scored (kept in ``--progress``, bit for bit what an uninterrupted run computes).
The comparison statistics are in ``rlhf.stats``; their meaning in REPORT.md.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import warnings
from pathlib import Path
from typing import Optional

import torch

from rlhf.data import PromptCollator
from rlhf.dataset import (
    clean_pairs,
    encode_pairs,
    load_rows,
    load_split_file,
    rating,
    rows_in_roles,
    unique_prompts,
)
from rlhf.generation import Rollout, generate, response_logprobs
from rlhf.hardware import emulated_bf16_warning
from rlhf.losses import log_preference_probability, rating_to_score
from rlhf.models import load_causal_lm, load_reward_model, load_tokenizer, reward_logits
from rlhf.paths import InputError
from rlhf.rewards import entropy, expected_score, read_rewards, score_quantile, score_std, sequence_kl
from rlhf.stats import bootstrap_ci, cluster_bootstrap_ci, expected_calibration_error

# ---------------------------------------------------------------------------------------------- inputs


def load_policy(path: str):
    """A policy from a REINFORCE checkpoint (``.ckpt``: its ``policy.*`` weights on the SFT model it names) or
    from a model path (an exported policy directory, the SFT model's directory, ``.gguf`` or Hub id)."""
    if not path.endswith(".ckpt"):
        return load_causal_lm(path)
    checkpoint = torch.load(path, map_location="cpu", weights_only=False)
    model = load_causal_lm(checkpoint["hyper_parameters"]["policy"])
    state = {k[len("policy.") :]: v for k, v in checkpoint["state_dict"].items() if k.startswith("policy.")}
    model.load_state_dict(state)
    return model


def select_rows(data: str, splits: Optional[str], roles: list[str], sources: Optional[list[str]]) -> list[dict]:
    rows = clean_pairs(load_rows(data), name=data)
    if splits:
        rows = rows_in_roles(rows, load_split_file(splits), roles, splits)
    if sources:
        rows = [r for r in rows if r.get("source") in sources]
    if not rows:
        raise InputError(f"{data}: no rows for roles {roles} and sources {sources}")
    return rows


def read_jsonl(path: str) -> list[dict]:
    with (gzip.open if str(path).endswith(".gz") else open)(path, "rt") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_jsonl(path: str, records: list[dict]) -> None:
    """Records as JSON lines, gzipped if ``path`` ends with ``.gz`` (with no timestamp: the same records, the same
    bytes)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(r) + "\n" for r in records).encode()
    Path(path).write_bytes(gzip.compress(text, mtime=0) if str(path).endswith(".gz") else text)


def repeated_ngram_fraction(ids: list[int], n: int = 4) -> float:
    """Share of a response's n-grams that repeat an earlier one: near 1 for degenerate loops, ~0 for prose."""
    grams = [tuple(ids[i : i + n]) for i in range(len(ids) - n + 1)]
    return 1 - len(set(grams)) / len(grams) if grams else 0.0


# -------------------------------------------------------------------------------------------- generate


def _responses(rollout: Rollout, tokenizer, kl: Optional[torch.Tensor]) -> list[dict]:
    out = []
    for i in range(rollout.input_ids.shape[0]):
        ids = rollout.response_ids[i][rollout.response_mask[i].bool()].tolist()
        record = {
            "ids": ids,
            "text": tokenizer.decode(ids, skip_special_tokens=True),
            "length": len(ids),
            "finished": bool(rollout.finished[i]),
            "repetition": repeated_ngram_fraction(ids),
        }
        if kl is not None:
            record["kl"] = kl[i].item()
        out.append(record)
    return out


@torch.inference_mode()
def generate_responses(
    policy, tokenizer, items: list[dict], samples: int, max_new_tokens: int, batch_size: int, seed: int,
    reference=None, temperature: float = 1.0, autocast=None, done: frozenset = frozenset(),
):  # fmt: skip
    """Yield one record per prompt: its greedy response and ``samples`` sampled ones (with their KL to
    ``reference`` if given). Batches and their random streams depend only on the prompts and the seed, so two
    policies evaluated with one seed see the same random numbers (less noise in their difference)."""
    collate = PromptCollator(tokenizer.pad_token_id)
    eos = tokenizer.eos_token_id
    device = next(policy.parameters()).device
    items = sorted(items, key=lambda i: (len(i["prompt_ids"]), i["prompt_hash"]))
    autocast = autocast or contextlib.nullcontext
    for number, start in enumerate(range(0, len(items), batch_size)):
        chunk = [i for i in items[start : start + batch_size] if i["prompt_hash"] not in done]
        if not chunk:
            continue
        batch = collate(chunk)
        ids, mask = batch["input_ids"].to(device), batch["attention_mask"].to(device)
        with autocast():
            greedy = generate(policy, ids, mask, eos, max_new_tokens, greedy=True)
            records = [
                {"prompt_hash": c["prompt_hash"], "greedy": r}
                for c, r in zip(chunk, _responses(greedy, tokenizer, None))
            ]
            if samples:
                g = torch.Generator(device).manual_seed(seed * 1_000_003 + number)
                sampled = generate(
                    policy,
                    ids.repeat_interleave(samples, 0),
                    mask.repeat_interleave(samples, 0),
                    eos,
                    max_new_tokens,
                    temperature,
                    generator=g,
                )
                kl = None
                if reference is not None:
                    m = sampled.response_mask.float()
                    kl = sequence_kl(
                        response_logprobs(policy, sampled, temperature),
                        response_logprobs(reference, sampled, temperature),
                        m,
                    )
                responses = _responses(sampled, tokenizer, kl)
                for j, record in enumerate(records):
                    record["samples"] = responses[j * samples : (j + 1) * samples]
        yield from records


def run_generate(args) -> None:
    tokenizer = load_tokenizer(args.tokenizer)
    rows = select_rows(args.data, args.splits, args.roles, args.sources)
    items = unique_prompts(tokenizer, rows, args.max_prompt_length, name=f"{args.roles} prompts")[: args.max_prompts]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = frozenset(r["prompt_hash"] for r in read_jsonl(out)) if out.exists() else frozenset()
    policy = on_device(load_policy(args.policy), args.device)
    reference = None
    if args.reference:  # SFT's own run names itself as reference: one copy, not two
        reference = policy if args.reference == args.policy else on_device(load_policy(args.reference), args.device)
    torch.manual_seed(args.seed)
    with open(out, "a") as f:
        for record in generate_responses(
            policy, tokenizer, items, args.samples, args.max_new_tokens, args.batch_size, args.seed, reference,
            args.temperature, _autocast(args.precision, args.device), done,
        ):  # fmt: skip
            f.write(json.dumps(record) + "\n")
            f.flush()
    meta = {k: v for k, v in vars(args).items() if k != "func"}
    (out.parent / "generate_settings.json").write_text(json.dumps(meta, indent=1))
    print(f"{len(items) - len(done)} prompts generated -> {out}")


def _autocast(precision: str = "bf16-mixed", device: str = "cpu"):
    """bf16 autocast (the fast path on a CPU with bf16 instructions and on a GPU, and what REINFORCE's rollouts ran
    under) or full fp32, on ``device``; inside training, the trainer's own precision context is passed instead."""
    if message := emulated_bf16_warning(precision, on_cpu=device == "cpu", override="--precision 32"):
        warnings.warn(message, stacklevel=2)
    return lambda: torch.autocast(device, dtype=torch.bfloat16, enabled=precision == "bf16-mixed")


def on_device(model, device: str):
    """``model`` in eval mode on ``device`` (``cpu``, the study's machines, or ``cuda``), which must exist here."""
    if device == "cuda" and not torch.cuda.is_available():
        raise InputError("--device cuda: PyTorch sees no CUDA device on this machine")
    return model.to(device).eval()


# ------------------------------------------------------------------------------------------------ judge


class ScoringProgress:
    """The batches a long scoring run (an RM over the 1,043 human pairs at float32 on two cores) has done, kept in
    ``path`` after each batch so that a run cut off by a session's end goes on from there. The file holds a key
    of everything that decides the outputs (the RM's weights, the sequences, the batch size, ``context``: precision
    and device); a file with another key is not read. Same batches, same order: the outputs of a resumed run equal
    an uninterrupted run's bit for bit."""

    def __init__(self, path, rm, sequences: list[list[int]], batch_size: int, context: str):
        digest = hashlib.sha256(json.dumps([sequences, batch_size, context]).encode())
        for name, tensor in rm.state_dict().items():
            digest.update(name.encode())
            digest.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy())
        self.path, self.key = Path(path), digest.hexdigest()

    def load(self) -> list[torch.Tensor]:
        if not self.path.exists():
            return []
        saved = torch.load(self.path, weights_only=True)
        if saved["key"] != self.key:
            print(f"{self.path}: another run's batches (other RM, inputs or settings), not used")
            return []
        print(f"{self.path}: resuming after {len(saved['batches'])} batches")
        return saved["batches"]

    def save(self, batches: list[torch.Tensor]) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        torch.save({"key": self.key, "batches": batches}, tmp)
        tmp.replace(self.path)  # never a half-written file, whenever the run is cut off

    def finish(self) -> None:
        self.path.unlink(missing_ok=True)


def stage_progress(args, rm, sequences: list[list[int]]) -> ScoringProgress:
    """A scoring stage's progress file (``--progress``, by default beside ``--out``), removed once the output is
    written."""
    context = json.dumps({"precision": args.precision, "device": args.device})
    path = args.progress or f"{args.out}.partial.pt"
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return ScoringProgress(path, rm, sequences, args.batch_size, context)


@torch.inference_mode()
def rm_outputs(
    rm,
    sequences: list[list[int]],
    pad_id: int,
    batch_size: int,
    autocast=None,
    progress: Optional[ScoringProgress] = None,
) -> torch.Tensor:
    """The RM head's output for each sequence, in input order: ``[N]`` scores or ``[N, 10]`` logits of p(s).
    With ``progress``, the batches done are kept as they are done and a cut-off run resumes after them."""
    order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
    collate = PromptCollator(pad_id)  # right or left padding both work: the RM reads the last real token
    device = next(rm.parameters()).device
    chunks = progress.load() if progress else []
    with (autocast or _autocast())():
        for start in range(len(chunks) * batch_size, len(order), batch_size):
            batch = collate([{"prompt_ids": sequences[i], "index": i} for i in order[start : start + batch_size]])
            chunks.append(reward_logits(rm, batch["input_ids"].to(device), batch["attention_mask"].to(device)).cpu())
            if progress:
                progress.save(chunks)
    outputs = torch.cat(chunks)
    return outputs[torch.argsort(torch.tensor(order))]


def score_sequences(rm, sequences: list[list[int]], pad_id: int, batch_size: int, autocast=None) -> list[dict]:
    """The RM's reading of each sequence (``score_records``)."""
    return score_records(rm_outputs(rm, sequences, pad_id, batch_size, autocast))


def score_records(outputs: torch.Tensor) -> list[dict]:
    """The RM head's outputs as records: ``score``; for a distributional RM, whose score is its mean, also the std
    and entropy of p and p itself, ``probs`` over scores 1..10, for the analyses that compare distributions."""
    read = read_rewards(outputs, "mean")
    records = [{k: round(v[i].item(), 6) for k, v in read.items()} for i in range(outputs.shape[0])]
    if outputs.dim() == 2:
        for record, probs in zip(records, outputs.float().softmax(-1).tolist()):
            record["probs"] = [round(p, 6) for p in probs]
    return records


def run_judge(args) -> None:
    tokenizer = load_tokenizer(args.rm)
    rm = on_device(load_reward_model(args.rm, tokenizer.pad_token_id), args.device)
    records = read_jsonl(args.generations)
    prompts = _prompt_ids(args, tokenizer, records)
    sequences, keys = [], []
    for r in records:
        for name, response in [("greedy", r["greedy"])] + [
            (f"sample{j}", s) for j, s in enumerate(r.get("samples", []))
        ]:
            sequences.append(prompts[r["prompt_hash"]] + response["ids"])
            keys.append((r["prompt_hash"], name))
    progress = stage_progress(args, rm, sequences)
    autocast = _autocast(args.precision, args.device)
    scores = score_records(rm_outputs(rm, sequences, tokenizer.pad_token_id, args.batch_size, autocast, progress))
    by_prompt: dict[str, dict] = {}
    for (h, name), s in zip(keys, scores):
        by_prompt.setdefault(h, {"prompt_hash": h})[name] = s
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w") as f:
        f.writelines(json.dumps(v) + "\n" for v in by_prompt.values())
    progress.finish()
    print(f"{len(sequences)} responses judged by {args.rm} -> {args.out}")


def _prompt_ids(args, tokenizer, records) -> dict[str, list[int]]:
    """The prompts' token ids exactly as the generate stage built them (its settings are beside its output)."""
    settings = json.loads((Path(args.generations).parent / "generate_settings.json").read_text())
    rows = select_rows(settings["data"], settings["splits"], settings["roles"], settings["sources"])
    items = unique_prompts(tokenizer, rows, settings["max_prompt_length"])
    prompts = {i["prompt_hash"]: i["prompt_ids"] for i in items}
    missing = [r["prompt_hash"] for r in records if r["prompt_hash"] not in prompts]
    if missing:
        raise InputError(f"{len(missing)} prompts of {args.generations} are not in its data any more")
    return prompts


def length_controls(agree: torch.Tensor, chosen_len: torch.Tensor, rejected_len: torch.Tensor, clusters) -> dict:
    """Whether an RM knows more than "the longer response wins" (the labels' bias, REPORT.md §4.1), pair by pair:
    its accuracy minus the length baseline's on the same pairs, how often it prefers the longer response, and its
    accuracy separately where the chosen response is the longer and where it is the shorter one (there the
    length baseline is always wrong). ``agree``: 1, 0 or 1/2 (a tie) per pair; intervals clustered by prompt."""
    longer = (chosen_len > rejected_len).double() + 0.5 * (chosen_len == rejected_len).double()
    prefers_longer = torch.where(chosen_len > rejected_len, agree, 1 - agree)
    prefers_longer[chosen_len == rejected_len] = 0.5  # no longer response to prefer

    def summary(values: torch.Tensor, mask: torch.Tensor) -> dict:
        kept = [c for c, m in zip(clusters, mask.tolist()) if m]
        return {"mean": values[mask].mean().item() if kept else None, "n": len(kept),
                "ci95": cluster_bootstrap_ci(values[mask], kept) if kept else None}  # fmt: skip

    everywhere = torch.ones_like(agree, dtype=torch.bool)
    return {
        "rm_minus_length_baseline": summary(agree - longer, everywhere),
        "rm_prefers_longer": summary(prefers_longer, everywhere),
        "accuracy_chosen_longer": summary(agree, chosen_len > rejected_len),
        "accuracy_chosen_shorter": summary(agree, chosen_len < rejected_len),
    }


def run_pairs(args) -> None:
    """Agreement of an RM with a pair file's labels, and of the length baseline on the same pairs, with
    prompt-clustered intervals."""
    if args.grade_prior_roles and not (args.splits and args.rating_range):  # before any model is loaded
        raise InputError("--grade-prior-roles needs --splits (where the roles are) and --rating-range")
    tokenizer = load_tokenizer(args.rm)
    rm = on_device(load_reward_model(args.rm, tokenizer.pad_token_id), args.device)
    rows = select_rows(args.pairs, args.splits, args.roles, args.sources)
    items = encode_pairs(tokenizer, rows, args.max_length, name=args.pairs)
    dropped = len(rows) - len(items)  # too long for max_length even with the user text cut (encode_pairs says why)
    if args.max_prompts:  # a subset fixed by the prompts' hashes, unrelated to their content
        kept = set(sorted({i["prompt_hash"] for i in items})[: args.max_prompts])
        items = [i for i in items if i["prompt_hash"] in kept]
    sequences = [i["chosen_ids"] for i in items] + [i["rejected_ids"] for i in items]
    progress = stage_progress(args, rm, sequences)
    autocast = _autocast(args.precision, args.device)
    outputs = rm_outputs(rm, sequences, tokenizer.pad_token_id, args.batch_size, autocast, progress)
    n = len(items)
    scores = read_rewards(outputs, "mean")["score"]
    chosen, rejected = scores[:n], scores[n:]
    agree = (chosen > rejected).double() + 0.5 * (chosen == rejected).double()
    chosen_len = torch.tensor([len(i["chosen_ids"]) for i in items])
    rejected_len = torch.tensor([len(i["rejected_ids"]) for i in items])
    longer = (chosen_len > rejected_len).double() + 0.5 * (chosen_len == rejected_len).double()
    clusters = [i["prompt_hash"] for i in items]
    report = {
        "rm": args.rm,
        "pairs": args.pairs,
        "roles": args.roles if args.splits else None,
        "max_length": args.max_length,
        "precision": args.precision,
        "pairs_dropped_for_length": dropped,
        "n_pairs": n,
        "n_prompts": len(set(clusters)),
        "accuracy": {"mean": agree.mean().item(), "ci95": cluster_bootstrap_ci(agree, clusters)},
        "length_baseline": {"mean": longer.mean().item(), "ci95": cluster_bootstrap_ci(longer, clusters)},
        "length_controls": length_controls(agree, chosen_len, rejected_len, clusters),
    }
    if outputs.dim() == 2:  # a distributional RM: what its p(s) adds
        ratings = [torch.tensor([i[f"{side}_rating"] for i in items]) for side in ("chosen", "rejected")]
        prior = None
        if args.grade_prior_roles:
            prior_rows = select_rows(args.pairs, args.splits, args.grade_prior_roles, args.sources)
            prior = torch.tensor([rating(r, side) for r in prior_rows for side in ("chosen", "rejected")])
        report["distribution"] = distribution_report(outputs[:n], outputs[n:], *ratings, args.rating_range, prior)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1))
    if args.scores_out:
        write_jsonl(args.scores_out, pair_score_records(items, score_records(outputs)))
    progress.finish()
    print(json.dumps({k: report[k] for k in ("n_pairs", "pairs_dropped_for_length", "accuracy", "length_baseline")}))


def pair_key(item: dict) -> str:
    """A pair's identity across RMs and runs: a hash of its two token sequences (the same tokenizer and
    ``max_length`` give the same key), as the prompt's hash clusters it."""
    return hashlib.sha256(json.dumps([item["chosen_ids"], item["rejected_ids"]]).encode()).hexdigest()[:16]


def pair_score_records(items: list[dict], records: list[dict]) -> list[dict]:
    """One record per pair: its keys, the token lengths of its prompt (as cut) and of its two responses, and the RM's
    reading of each side (``records``: the chosen sequences' then the rejected ones', as ``run_pairs`` scores them).
    Small enough to commit, so that analyses across RMs (agreement on the same pairs, what a spread tracks) outlive
    the models."""
    n = len(items)
    return [
        {
            "prompt_hash": item["prompt_hash"],
            "pair": pair_key(item),
            "prompt_length": item["prompt_length"],
            "chosen_length": len(item["chosen_ids"]) - item["prompt_length"],
            "rejected_length": len(item["rejected_ids"]) - item["prompt_length"],
            "chosen": records[i],
            "rejected": records[n + i],
        }
        for i, item in enumerate(items)
    ]


def pair_scores_file(results: str, run: str, kind: str) -> str:
    """Where the study drivers keep an RM's pair scores (``pairs --scores-out``) of the ``test`` or ``human`` pairs."""
    return str(Path(results) / f"{run}_{kind}_pair_scores.jsonl.gz")


def read_pair_scores(named_files: dict[str, str]) -> tuple[list[str], dict[str, dict[str, dict]]]:
    """Several RMs' pair scores of the same pairs: the pair keys in a fixed order, and each RM's records by key (a
    pair present twice, the same two sequences with the same scores, counts once). Different pairs are an error."""
    scores = {name: {r["pair"]: r for r in read_jsonl(path)} for name, path in named_files.items()}
    keys = sorted(next(iter(scores.values())))
    if any(s.keys() != set(keys) for s in scores.values()):
        raise ValueError(f"the pair scores of {', '.join(named_files)} are of different pairs")
    return keys, scores


def pair_margins(scores: dict[str, dict], keys: list[str]) -> torch.Tensor:
    """An RM's chosen - rejected score of each pair in ``keys`` (float64)."""
    return torch.tensor(
        [scores[k]["chosen"]["score"] - scores[k]["rejected"]["score"] for k in keys], dtype=torch.float64
    )


def distribution_report(
    chosen: torch.Tensor, rejected: torch.Tensor, chosen_ratings: torch.Tensor, rejected_ratings: torch.Tensor,
    rating_range: Optional[list[float]] = None, prior_ratings: Optional[torch.Tensor] = None,
) -> dict:  # fmt: skip
    """What a distributional RM's p(s) says on labelled pairs: its P(chosen > rejected) (ties half) and that
    probability's calibration, the spread of p, and, where the pairs carry absolute grades on ``rating_range``, how
    well p predicts them; with ``prior_ratings`` (the graded ratings of the RM's training pairs) beside the same fit
    of one fixed p for every response, those ratings' smoothed shares: what p(s) adds over knowing the grade scale."""
    log_p_win = log_preference_probability(chosen, rejected)
    p_win = log_p_win.exp()
    probs = torch.cat([chosen, rejected]).float().softmax(-1)
    report = {
        "p_win_mean": p_win.mean().item(),
        "p_win_accuracy": ((p_win > 0.5).double() + 0.5 * (p_win == 0.5).double()).mean().item(),
        "log_loss": -log_p_win.mean().item(),
        "ece_p_win": expected_calibration_error(p_win, torch.ones_like(p_win)),
        "score_std_mean": score_std(probs).mean().item(),
        "entropy_mean": entropy(probs).mean().item(),
    }
    ratings = torch.cat([chosen_ratings, rejected_ratings]).float()
    known = ~torch.isnan(ratings)
    if rating_range is not None and known.any():
        grades, p = rating_to_score(ratings[known], *rating_range), probs[known]
        mean = expected_score(p)
        report["grades"] = {
            "n": int(known.sum()),
            **grade_fit(p, grades),
            "pearson": torch.corrcoef(torch.stack([mean, grades]))[0, 1].item(),
        }
        if prior_ratings is not None:
            graded = prior_ratings[~torch.isnan(prior_ratings)]
            shares = grade_shares(rating_to_score(graded, *rating_range), p.shape[-1])
            report["grades"]["marginal_baseline"] = {
                "n_prior": graded.numel(),
                "shares": shares.tolist(),
                **grade_fit(shares.expand_as(p), grades),
            }
    return report


def grade_fit(probs: torch.Tensor, grades: torch.Tensor) -> dict:
    """How well score distributions (one row per response) predict the responses' integer grades (1-based)."""
    low, high = score_quantile(probs, 0.1), score_quantile(probs, 0.9)
    return {
        "nll": -probs.gather(1, grades.long()[:, None] - 1).clamp_min(1e-12).log().mean().item(),
        "mean_abs_error": (expected_score(probs) - grades).abs().mean().item(),
        "within_central_80": ((grades >= low) & (grades <= high)).double().mean().item(),
    }


def grade_shares(grades: torch.Tensor, num_scores: int = 10, smoothing: float = 1.0) -> torch.Tensor:
    """Each score's share of the grades, with ``smoothing`` added to every count (Laplace): no score gets p = 0."""
    counts = torch.bincount(grades.long() - 1, minlength=num_scores).float() + smoothing
    return counts / counts.sum()


def run_probe(args) -> None:
    """The reward-hacking probe: the RM's score of a fixed garbage answer vs the SFT model's answer, per prompt."""
    tokenizer = load_tokenizer(args.rm)
    rm = on_device(load_reward_model(args.rm, tokenizer.pad_token_id), args.device)
    records = read_jsonl(args.generations)
    prompts = _prompt_ids(args, tokenizer, records)
    probe = tokenizer(Path(args.probe).read_text().strip(), add_special_tokens=False)["input_ids"]
    probe = probe + [tokenizer.eos_token_id]
    sft = [prompts[r["prompt_hash"]] + r["greedy"]["ids"] for r in records]
    garbage = [prompts[r["prompt_hash"]] + probe for r in records]
    progress = stage_progress(args, rm, sft + garbage)
    autocast = _autocast(args.precision, args.device)
    scores = score_records(rm_outputs(rm, sft + garbage, tokenizer.pad_token_id, args.batch_size, autocast, progress))
    n = len(records)
    s_sft = torch.tensor([s["score"] for s in scores[:n]])
    s_probe = torch.tensor([s["score"] for s in scores[n:]])
    beats = (s_probe > s_sft).double()
    report = {
        "rm": args.rm,
        "precision": args.precision,
        "n_prompts": n,
        "probe_beats_answer": beats.mean().item(),
        "probe_beats_answer_ci95": bootstrap_ci(beats),  # one answer per prompt: prompts are the units
        "mean_score_answer": s_sft.mean().item(),
        "mean_score_probe": s_probe.mean().item(),
        "sft_score_std": s_sft.std().item(),
    }
    if "score_std" in scores[0]:  # a distributional RM: is it less sure of the garbage than of real answers?
        report["spread_answer_mean"] = sum(s["score_std"] for s in scores[:n]) / n
        report["spread_probe_mean"] = sum(s["score_std"] for s in scores[n:]) / n
        gap = torch.tensor([p["score_std"] - a["score_std"] for a, p in zip(scores[:n], scores[n:])])
        report["spread_probe_minus_answer"] = {"mean": gap.double().mean().item(), "ci95": bootstrap_ci(gap)}
    # per prompt, so that RMs can be compared on the same prompts once the models are gone
    report["per_prompt"] = [
        {"prompt_hash": r["prompt_hash"], "answer": a, "probe": p} for r, a, p in zip(records, scores[:n], scores[n:])
    ]
    Path(args.out).write_text(json.dumps(report, indent=1))
    progress.finish()
    print(json.dumps({k: v for k, v in report.items() if k != "per_prompt"}))
