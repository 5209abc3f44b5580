#!/usr/bin/env bash
# Level-1 study in one command: scalar RM -> REINFORCE (one run per seed) -> evaluation against SFT.
# Each REINFORCE run evaluates SFT and the policy on the held-out prompts at its end (eval JSON in its log dir).
#   bash scripts/level1.sh                      # Hub model and dataset
#   MODEL=path.gguf TOKENIZER=dir DATA=pairs.jsonl.gz bash scripts/level1.sh   # local files
# Extra arguments go to every cli.py call (e.g. --trainer.max_steps=100).
set -euo pipefail
MODEL=${MODEL:-HuggingFaceTB/SmolLM2-135M-Instruct}
TOKENIZER=${TOKENIZER:-HuggingFaceTB/SmolLM2-135M-Instruct}
DATA=${DATA:-esfrankel17/HelpSteer2_binarized}
SEEDS=${SEEDS:-"0 1 2"}
OUT=${OUT:-artifacts/level1}
data=(--data.path="$DATA" --data.tokenizer="$TOKENIZER")

if [[ ! -f $OUT/reward_model/config.json ]]; then
  python cli.py fit --config configs/reward_model.yaml "${data[@]}" --model.init_args.model="$MODEL" \
    --model.init_args.export_dir="$OUT/reward_model" --trainer.logger.init_args.save_dir="$OUT/logs" "$@"
fi
for seed in $SEEDS; do
  python cli.py fit --config configs/reinforce.yaml "${data[@]}" --seed_everything="$seed" --data.seed="$seed" \
    --model.init_args.policy="$MODEL" --model.init_args.reward_model="$OUT/reward_model" \
    --trainer.logger.init_args.save_dir="$OUT/logs" --trainer.logger.init_args.name="reinforce_seed$seed" "$@"
done
echo "Level 1 done: RM in $OUT/reward_model, eval JSONs under $OUT/logs/reinforce_seed*/version_*/eval/"
