#!/usr/bin/env bash
# The CPU benchmarks of README "Performance" and results/bench/cpu_summary.json, on the real model. Run from
# anywhere; ~35 minutes on the 2-core machine. Nothing else may run meanwhile: sides are timed in turns.
# Paths as the study's (scripts/study/env.sh: RLHF_ARTIFACTS, MODEL, TOKENIZER, DATA).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/study/env.sh
export RLHF_ARTIFACTS=$ART MODEL TOKENIZER DATA
OUT=results/bench
POLICY=$ART/bench/policy  # written from the GGUF on first use (TRL loads its reference from a directory)

python bench/bench_matmul.py --size 2048 --out $OUT/matmul_cpu.json
python bench/bench_generation.py --batch-sizes 16 64 --max-new-tokens 64 --repeats 3 --out $OUT/generation_cpu.json
python bench/profile_decode.py --batch-size 64 --max-new-tokens 64 --out $OUT/decode_profile_cpu.json
python bench/profile_decode.py --batch-size 16 --max-new-tokens 64 --max-prompt-length 128 --autocast \
  --out $OUT/decode_profile_b16_autocast_cpu.json  # as REINFORCE rollouts run
python bench/profile_rm_step.py --sequences 4 --length 1024 --out $OUT/rm_step_profile_cpu.json
# RM training through the shipped command (the study's micro-batch: the config's 8 pairs x 1,024 tokens need 16 GB)
rm -rf "$ART/bench/rm_fit"
python cli.py fit --config configs/reward_model.yaml --config configs/study/reward_model_cpu.yaml \
  --model.init_args.model="$MODEL" --data.tokenizer="$TOKENIZER" --data.path="$DATA" --model.init_args.export_dir=null \
  --trainer.max_steps=6 --trainer.limit_val_batches=0 --trainer.log_every_n_steps=1 --trainer.enable_progress_bar=false \
  --trainer.default_root_dir="$ART/bench/rm_fit" --trainer.logger.init_args.save_dir="$ART/bench/rm_fit"
python scripts/report/export_scalars.py "$ART/bench/rm_fit" --out $OUT/rm_fit_scalars.csv
# A REINFORCE step at the study's settings: ours alone first (its process's peak memory), then ours vs TRL
python bench/bench_reinforce.py --policy-dir "$POLICY" --sides ours --completions 16 --max-new-tokens 128 \
  --steps 3 --warmup-steps 1 --repeats 1 --out $OUT/reinforce_memory_cpu.json
python bench/bench_reinforce.py --policy-dir "$POLICY" --completions 16 --max-new-tokens 128 \
  --steps 3 --warmup-steps 1 --repeats 3 --out $OUT/reinforce_cpu.json
python bench/cpu_summary.py $OUT
