"""results/level1/summary.json from the Level-1 result files (scripts/study/level1.sh writes them all): the RMs'
accuracies, the REINFORCE settings as run, and the pre-registered primary endpoint, with the sha256 of every
model file the numbers came from.

python scripts/report/level1_summary.py --results results/level1 --artifacts $RLHF_ARTIFACTS \
    --out results/level1/summary.json
"""

import argparse
import csv
import hashlib
import json
import os

import yaml


def load(path: str) -> dict:
    with open(path) as f:
        return json.load(f)


def sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def run_config(artifacts: str, name: str) -> dict:
    with open(os.path.join(artifacts, name, "logs", name, "version_0", "config.yaml")) as f:
        return yaml.safe_load(f)


def rm_entry(results: str, artifacts: str, name: str) -> dict:
    config = run_config(artifacts, name)
    data, trainer = config["data"], config["trainer"]
    train = load(os.path.join(artifacts, name, "export", "training.json"))
    accuracy = lambda r: {"mean": r["accuracy"]["mean"], "ci95": r["accuracy"]["ci95"], "n": r["n_pairs"]}  # noqa: E731
    test, human = (load(os.path.join(results, f"{name}_{k}_pairs.json")) for k in ("test", "human"))
    return {
        "pairs_trained": train["pairs_trained"],
        "train_roles": data["train_roles"],
        "max_length": data["max_length"],
        "pairs_per_optimizer_step": data["batch_size"] * trainer["accumulate_grad_batches"],
        "lr": config["model"]["init_args"]["lr"],
        "precision": trainer["precision"],
        "val_accuracy": accuracy(test),  # held-out substitute pairs (test prompts), prompt-clustered CI
        "human_accuracy": accuracy(human),
        "length_baseline": {"test": test["length_baseline"], "human": human["length_baseline"]},
        "probe_beats_sft_answer": load(os.path.join(results, f"{name}_probe.json"))["probe_beats_answer"],
        "weights_sha256": sha256(os.path.join(artifacts, name, "export", "model.safetensors")),
    }


def decision(ci: list[float]) -> str:
    """The pre-registered rule (REPORT.md §3.1) applied to the primary interval."""
    return "beats SFT" if ci[0] > 0 else "worse than SFT" if ci[1] < 0 else "inconclusive at this scale"


def summarize(results: str, artifacts: str, model_file: str | None, splits: str) -> dict:
    compare = load(os.path.join(results, "test_compare.json"))
    primary = compare["primary"]
    policy = compare["policies"][primary["policy"]]
    result = policy["judges"][primary["judge"]]
    configs = [run_config(artifacts, os.path.basename(os.path.normpath(run))) for run in policy["runs"]]
    model = configs[0]["model"]["init_args"]
    with open(os.path.join(results, "training_scalars.csv")) as f:
        steps = max(int(r["step"]) for r in csv.DictReader(f) if r["tag"] == "train/reward")
    return {
        "rm": {k: rm_entry(results, artifacts, f"rm_{k.lower()}") for k in ("A", "B")},
        "reinforce": {
            "seeds": [c["seed_everything"] for c in configs],
            "steps": configs[0]["trainer"]["max_steps"],
            "last_logged_step": steps,
            "rollouts_per_step": configs[0]["data"]["batch_size"],
            "max_new_tokens": model["max_new_tokens"],
            "lr": model["lr"],
            "beta": model["beta"],
            "baseline": model["baseline"],
            "baseline_momentum": model["baseline_momentum"],
            "precision": configs[0]["trainer"]["precision"],
        },
        "test_prompts": result["prompts"],
        "primary": {
            "judge": primary["judge"],
            "policy": primary["policy"],
            "gain": result["gain"],
            "gain_sft_std": result["gain_reference_std"],
            "ci95": result["ci95_hierarchical"],
            "ci95_t_over_seeds": result["ci95_t_over_seeds"],
            "method": "mean over test prompts and seeds of (policy's mean judge score over its 2 sampled responses "
            "- SFT's); 95% hierarchical bootstrap over seeds, then prompts (rlhf.stats)",
            "decision": decision(result["ci95_hierarchical"]),
        },
        "sft_model": {"path": model_file, "sha256": sha256(model_file) if model_file else None},
        "data_sha256": load(splits)["data_sha256"],
        "sources": ["test_compare.json", "dev_budget.json", "dev_lr.json", "rm_*_pairs.json", "rm_*_probe.json"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", default="results/level1")
    parser.add_argument("--artifacts", default=os.path.expanduser("~/rlhf_artifacts"))
    parser.add_argument("--model", default=os.environ.get("MODEL"), help="the SFT model file (its sha256 is recorded)")
    parser.add_argument("--splits", default="splits/prefmix.json")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    summary = summarize(args.results, args.artifacts, args.model, args.splits)
    with open(args.out, "w") as f:
        json.dump(summary, f, indent=2)
    print(json.dumps(summary["primary"], indent=2))


if __name__ == "__main__":
    main()
