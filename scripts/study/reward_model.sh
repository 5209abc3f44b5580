#!/usr/bin/env bash
# Train (or resume, or skip if done) one study reward model on the CPU, into $RLHF_ARTIFACTS/<name>.
#   bash scripts/study/reward_model.sh rm_a rm_a                     # scalar RM on half A
#   bash scripts/study/reward_model.sh rm_b rm_b                     # scalar RM on half B (the independent judge)
#   CONFIGS="configs/distributional_reward_model.yaml" bash scripts/study/reward_model.sh dist_a rm_a
# Paths come from the environment (defaults: this project's machines):
#   RLHF_ARTIFACTS (~/rlhf_artifacts), MODEL (the dequantized-on-load GGUF), TOKENIZER, DATA.
set -euo pipefail
cd "$(dirname "$0")/../.."
name=${1:?name}; role=${2:?role of the split file to train on (rm_a or rm_b)}; shift 2
source scripts/study/env.sh
out=$ART/$name
run=$out/logs/$name/version_0  # TensorBoard logs, checkpoints, rm_val_step*.json
if [[ -f $out/export/config.json ]]; then echo "$name: done ($out/export)"; exit 0; fi
resume=()
if [[ -f $run/checkpoints/last.ckpt ]]; then resume=(--ckpt_path "$run/checkpoints/last.ckpt"); fi
configs=(--config configs/reward_model.yaml)
for c in ${CONFIGS:-}; do configs+=(--config "$c"); done
python cli.py fit "${configs[@]}" --config configs/study/reward_model_cpu.yaml \
  --model.init_args.model="$MODEL" --data.tokenizer="$TOKENIZER" --data.path="$DATA" \
  --data.train_roles="[$role]" --model.init_args.export_dir="$out/export" \
  --trainer.logger.init_args.save_dir="$out/logs" --trainer.logger.init_args.name="$name" \
  --trainer.logger.init_args.version=0 "${resume[@]}" "$@"
