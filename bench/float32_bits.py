"""Do two CPUs' float32 runs give the same bits? The study's float32 computations, hashed, under the kernel
settings that could make a chain portable between CPU kinds, each with its speed (REPORT.md Appendix A).

    python bench/float32_bits.py --out results/bench/float32_bits_<cpu>.json [--against OTHER_CPUS.json ...]

Per setting, in a child process of its own (the libraries read them at start): the scalar RM's scores and
gradients on a fixed padded pair batch (its head drawn from seed 0, as a new RM's is), and a sampled rollout of
the SFT policy with its log-probabilities. Same hashes on two CPUs = a chain's float32 runs repeat there bit for
bit (``--against``: other CPUs' files, compared in the table); the tokens/s say what the setting costs. The settings:

- ``default``: what the study runs today (MKL and ATen pick kernels by the CPU);
- ``mkl_avx2``: MKL's reproducible AVX2 branch and ATen's AVX2 kernels: the same on every Intel CPU with AVX2,
  not promised on AMD (MKL's documentation: there the AUTO branch may run instead);
- ``mkl_compatible``: MKL's COMPATIBLE branch (SSE2, promised on every x86 CPU) with ATen's AVX2 kernels.
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from common import DEFAULTS, cpu_model

SETTINGS = {
    "default": {},
    "mkl_avx2": {"MKL_CBWR": "AVX2,STRICT", "ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"},
    "mkl_compatible": {"MKL_CBWR": "COMPATIBLE,STRICT", "ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"},
}

HASHES = ("rm_scores", "rm_grads", "rollout")

CHILD = r"""
import hashlib, json, sys, time, torch
from rlhf.generation import generate, response_logprobs
from rlhf.models import load_causal_lm, load_reward_model, reward_logits

def digest(*tensors):
    h = hashlib.sha256()
    for t in tensors:
        h.update(t.detach().float().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]

def padded(rows, lengths, left, seed):
    ids = torch.randint(3, 49152, (rows, max(lengths)), generator=torch.Generator().manual_seed(seed))
    mask = torch.zeros_like(ids)
    for row, n in enumerate(lengths):
        if left:
            mask[row, -n:] = 1
        else:
            mask[row, :n] = 1
    return ids * mask + 2 * (1 - mask), mask  # pad = eos = 2, as SmolLM2's tokenizer pads

model = sys.argv[1]
torch.manual_seed(0)
rm = load_reward_model(model, 2, head="scalar").train()
ids, mask = padded(4, [256, 180, 256, 97], left=False, seed=0)
scores = reward_logits(rm, ids, mask)
scores.sum().backward()
grads = [p.grad for p in rm.parameters() if p.grad is not None]
out = {"rm_scores": digest(scores), "rm_grads": digest(*grads)}
start = time.perf_counter()
for _ in range(2):
    rm.zero_grad(set_to_none=True)
    reward_logits(rm, ids, mask).sum().backward()
out["fwd_bwd_tokens_per_s"] = round(2 * int(mask.sum()) / (time.perf_counter() - start), 1)
del rm, grads
policy = load_causal_lm(model).eval()
prompt, prompt_mask = padded(2, [24, 15], left=True, seed=1)
start = time.perf_counter()
rollout = generate(policy, prompt, prompt_mask, 2, 32, temperature=1.0, generator=torch.Generator().manual_seed(0))
out["decode_tokens_per_s"] = round(int(rollout.response_mask.sum()) / (time.perf_counter() - start), 1)
with torch.no_grad():
    out["rollout"] = digest(rollout.input_ids, response_logprobs(policy, rollout))
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=DEFAULTS["model"])
    parser.add_argument("--against", nargs="*", default=[], help="other CPUs' files to compare the hashes with")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    result = {"cpu": cpu_model(), "cores": os.cpu_count(), "model": args.model, "settings": {}}
    for name, env in SETTINGS.items():
        run = subprocess.run(
            [sys.executable, "-c", CHILD, args.model], env={**os.environ, **env}, capture_output=True, text=True
        )
        if run.returncode != 0:
            sys.exit(f"setting {name} failed:\n{run.stderr[-2000:]}")
        result["settings"][name] = {"env": env, **json.loads(run.stdout.strip().splitlines()[-1])}
        print(name, result["settings"][name], flush=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    against = {path: json.loads(Path(path).read_text()) for path in args.against if Path(path) != Path(args.out)}
    Path(args.out).with_suffix(".md").write_text(table(result, against, args.out) + "\n")


def table(result: dict, against: dict[str, dict], out: str) -> str:
    """One row per setting: its hashes, its speed beside the default's, and whether each other CPU got its bits."""
    default = result["settings"]["default"]
    lines = [
        "| setting | RM scores | RM gradients | rollout | RM forward + backward, tokens/s (/ default) "
        "| decode, tokens/s " + "".join(f"| same bits on {other['cpu']} " for other in against.values()) + "|",
        "|---" * (6 + len(against)) + "|",
    ]
    for name, run in result["settings"].items():
        same = [other["settings"].get(name, {}) for other in against.values()]
        lines.append(
            f"| {name} | {run['rm_scores']} | {run['rm_grads']} | {run['rollout']} | {run['fwd_bwd_tokens_per_s']:.1f} "
            f"({run['fwd_bwd_tokens_per_s'] / default['fwd_bwd_tokens_per_s']:.2f}) | {run['decode_tokens_per_s']:.1f} "
            + "".join(f"| {'yes' if all(o.get(k) == run[k] for k in HASHES) else 'no'} " for o in same)
            + "|"
        )
    return "\n".join(lines) + (
        f"\n\n{result['cpu']}, {result['cores']} cores, one run per setting; `python bench/float32_bits.py --out {out}`"
    )


if __name__ == "__main__":
    main()
