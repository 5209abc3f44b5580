#!/usr/bin/env bash
# The benchmarks on CPU with the real model at reduced sizes, as reported in README.md. Run from anywhere; takes
# about 45 minutes on a 2-core machine. Nothing else should run meanwhile: the two sides are timed in turns.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=results/bench
ART=${RLHF_ARTIFACTS:-$HOME/rlhf_artifacts}
POLICY=$ART/bench/policy  # written from the GGUF on first use (TRL loads its reference from a directory)
RM=${RM:-$ART/rm_a/export}  # any exported scalar RM will do: scripts/study/reward_model.sh rm_a rm_a

python bench/bench_optimizer.py --steps 6 --out $OUT/optimizer_cpu.json
python bench/bench_rm.py --pairs 24 --batch-size 4 --max-length 384 --epochs 2 --repeats 3 --out $OUT/rm_cpu.json
python bench/bench_reinforce.py --policy-dir $POLICY --reward-model $RM --completions 4 --max-new-tokens 32 \
  --steps 7 --warmup-steps 3 --repeats 5 --out $OUT/reinforce_cpu.json
python bench/bench_generation.py --prompts 16 --batch-size 8 --max-new-tokens 32 --repeats 3 --out $OUT/generation_cpu.json
