#!/usr/bin/env bash
# Level-2 study in one command: distributional RM -> REINFORCE per reward functional and seed, with the
# Level-1 hyperparameters (configs/reinforce.yaml + configs/reinforce_distributional.yaml).
#   bash scripts/level2.sh                      # Hub model and dataset
#   MODEL=path.gguf TOKENIZER=dir DATA=pairs.jsonl.gz bash scripts/level2.sh
# RATING_RANGE: range of the dataset's absolute ratings ("[0, 4]" for HelpSteer2, "[1, 10]" for 1..10 grades).
set -euo pipefail
MODEL=${MODEL:-HuggingFaceTB/SmolLM2-135M-Instruct}
TOKENIZER=${TOKENIZER:-HuggingFaceTB/SmolLM2-135M-Instruct}
DATA=${DATA:-esfrankel17/HelpSteer2_binarized}
SEEDS=${SEEDS:-"0 1 2"}
FUNCTIONALS=${FUNCTIONALS:-"mean mean_minus_std"}
RATING_RANGE=${RATING_RANGE:-"[0, 4]"}
OUT=${OUT:-artifacts/level2}
data=(--data.path="$DATA" --data.tokenizer="$TOKENIZER")

if [[ ! -f $OUT/distributional_reward_model/config.json ]]; then
  python cli.py fit --config configs/distributional_reward_model.yaml "${data[@]}" --model.init_args.model="$MODEL" \
    --model.init_args.rating_range="$RATING_RANGE" --model.init_args.export_dir="$OUT/distributional_reward_model" \
    --trainer.logger.init_args.save_dir="$OUT/logs" "$@"
fi
for functional in $FUNCTIONALS; do
  for seed in $SEEDS; do
    python cli.py fit --config configs/reinforce.yaml --config configs/reinforce_distributional.yaml "${data[@]}" \
      --seed_everything="$seed" --data.seed="$seed" --model.init_args.policy="$MODEL" \
      --model.init_args.reward_model="$OUT/distributional_reward_model" --model.init_args.reward_functional="$functional" \
      --trainer.logger.init_args.save_dir="$OUT/logs" --trainer.logger.init_args.name="reinforce_${functional}_seed$seed" "$@"
  done
done
echo "Level 2 done: RM in $OUT/distributional_reward_model, eval JSONs under $OUT/logs/reinforce_*/version_*/eval/"
