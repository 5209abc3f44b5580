#!/usr/bin/env bash
# The three benchmarks on CPU with the real model at reduced sizes, as reported in README.md. Run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=results/bench
python bench/bench_rm.py --pairs 24 --batch-size 4 --max-length 384 --repeats 2 --out $OUT/rm_cpu.json
python bench/bench_reinforce.py --policy-dir artifacts/bench/policy --reward-model artifacts/pilot/reward_model \
  --completions 4 --max-new-tokens 32 --steps 3 --repeats 2 --out $OUT/reinforce_cpu.json
python bench/bench_generation.py --prompts 16 --batch-size 8 --max-new-tokens 32 --repeats 1 --out $OUT/generation_cpu.json
