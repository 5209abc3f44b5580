#!/usr/bin/env bash
# The README's commands on the real model, offline, a few steps each, at the configs' own precision: a check that
# every shipped command works as written (not a result). Prints the seconds each took.
#   bash scripts/tools/smoke_real.sh [OUT_DIR]      # paths from scripts/study/env.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/study/env.sh
OUT=${1:-/tmp/rlhf_smoke_real}
rm -rf "$OUT"; mkdir -p "$OUT"
local=(--data.tokenizer="$TOKENIZER" --data.path="$DATA" --trainer.logger.init_args.save_dir="$OUT/logs")
timed() { local name=$1; shift; local t=$SECONDS; "$@" > "$OUT/$name.log" 2>&1; echo "$name: $((SECONDS - t)) s"; }

timed reward_model python cli.py fit --config configs/reward_model.yaml "${local[@]}" \
  --model.init_args.model="$MODEL" --model.init_args.export_dir="$OUT/reward_model" \
  --trainer.max_steps=2 --trainer.limit_val_batches=1 --trainer.val_check_interval=2 --data.batch_size=2
timed distributional_reward_model python cli.py fit --config configs/reward_model.yaml \
  --config configs/distributional_reward_model.yaml "${local[@]}" --model.init_args.rating_range="[1, 10]" \
  --model.init_args.model="$MODEL" --model.init_args.export_dir="$OUT/distributional_reward_model" \
  --trainer.max_steps=2 --trainer.limit_val_batches=1 --trainer.val_check_interval=2 --data.batch_size=2
timed reinforce python cli.py fit --config configs/reinforce.yaml "${local[@]}" \
  --model.init_args.policy="$MODEL" --model.init_args.reward_model="$OUT/reward_model" \
  --model.init_args.export_dir="$OUT/policy" --model.init_args.standardization_batches=1 \
  --trainer.max_steps=2 --data.batch_size=4 --model.init_args.max_new_tokens=32 \
  --trainer.callbacks+=rlhf.callbacks.DevEvaluation --trainer.callbacks.max_prompts=4
timed reinforce_resume python cli.py fit --config configs/reinforce.yaml "${local[@]}" \
  --model.init_args.policy="$MODEL" --model.init_args.reward_model="$OUT/reward_model" \
  --model.init_args.export_dir="$OUT/policy" --model.init_args.standardization_batches=1 \
  --trainer.max_steps=3 --data.batch_size=4 --model.init_args.max_new_tokens=32 \
  --ckpt_path="$(ls "$OUT"/logs/reinforce/version_0/checkpoints/last.ckpt)"
E="--data $DATA --splits splits/prefmix.json --roles dev --sources alpaca_eval2_weighted --max-prompts 4"
timed generate_sft python evaluate.py generate --policy "$MODEL" --reference "$MODEL" --tokenizer "$TOKENIZER" $E \
  --max-new-tokens 32 --out "$OUT/eval/sft/generations.jsonl"
timed generate_policy python evaluate.py generate --policy "$OUT/policy" --reference "$MODEL" \
  --tokenizer "$TOKENIZER" $E --max-new-tokens 32 --out "$OUT/eval/policy/generations.jsonl"
for run in sft policy; do
  timed "judge_$run" python evaluate.py judge --rm "$OUT/reward_model" \
    --generations "$OUT/eval/$run/generations.jsonl" --out "$OUT/eval/$run/scores_rm.jsonl"
done
timed compare python evaluate.py compare --sft "$OUT/eval/sft" --policy "policy=$OUT/eval/policy" \
  --judges rm length --out "$OUT/eval/table.json"
timed pairs python evaluate.py pairs --rm "$OUT/reward_model" --pairs "$DATA" --splits splits/prefmix.json \
  --roles dev --sources arena-bench-v1 --out "$OUT/pairs.json"
timed probe python evaluate.py probe --rm "$OUT/reward_model" --generations "$OUT/eval/sft/generations.jsonl" \
  --probe ../shared/data/probes/null_model_response.txt --out "$OUT/probe.json"
echo "all README commands ran; logs in $OUT"
