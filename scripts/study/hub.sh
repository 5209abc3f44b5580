#!/usr/bin/env bash
# The whole study on the Hub model and dataset (a GPU machine): reward model -> REINFORCE per seed (and, for
# Level 2, per reward functional). Evaluate the results with evaluate.py (README, "Evaluate any policy").
#   bash scripts/study/hub.sh 1          # Level 1: scalar RM, REINFORCE seeds 0 1 2
#   bash scripts/study/hub.sh 2          # Level 2: distributional RM, REINFORCE per functional and seed
# Environment: MODEL, TOKENIZER, DATA (Hub ids by default, or local files), SEEDS, FUNCTIONALS, OUT,
# RATING_RANGE (of DATA's ratings: "[0, 4]" for HelpSteer2 averages, "[1, 10]" for 1..10 grades).
# Extra arguments go to every cli.py call (e.g. --trainer.max_steps=100).
set -euo pipefail
cd "$(dirname "$0")/../.."
level=${1:?level: 1 or 2}; shift
MODEL=${MODEL:-HuggingFaceTB/SmolLM2-135M-Instruct}
TOKENIZER=${TOKENIZER:-HuggingFaceTB/SmolLM2-135M-Instruct}
DATA=${DATA:-esfrankel17/HelpSteer2_binarized}
SEEDS=${SEEDS:-"0 1 2"}
OUT=${OUT:-artifacts/level$level}
data=(--data.path="$DATA" --data.tokenizer="$TOKENIZER")
if [[ $level == 1 ]]; then
  rm_configs=(--config configs/reward_model.yaml); rl_configs=(--config configs/reinforce.yaml)
  functionals=${FUNCTIONALS:-mean}; rm_extra=()
else
  rm_configs=(--config configs/reward_model.yaml --config configs/distributional_reward_model.yaml)
  rl_configs=(--config configs/reinforce.yaml --config configs/reinforce_distributional.yaml)
  functionals=${FUNCTIONALS:-"mean mean_minus_std"}; rm_extra=(--model.init_args.rating_range="${RATING_RANGE:-[0, 4]}")
fi
rm_dir=$OUT/reward_model
if [[ ! -f $rm_dir/config.json ]]; then
  python cli.py fit "${rm_configs[@]}" "${data[@]}" --model.init_args.model="$MODEL" "${rm_extra[@]}" \
    --model.init_args.export_dir="$rm_dir" --trainer.logger.init_args.save_dir="$OUT/logs" "$@"
fi
for functional in $functionals; do
  for seed in $SEEDS; do
    name=reinforce_${functional}_seed$seed
    [[ -f $OUT/$name/config.json ]] && continue
    python cli.py fit "${rl_configs[@]}" "${data[@]}" --seed_everything="$seed" --data.seed="$seed" \
      --model.init_args.policy="$MODEL" --model.init_args.reward_model="$rm_dir" \
      --model.init_args.reward_functional="$functional" --model.init_args.export_dir="$OUT/$name" \
      --trainer.logger.init_args.save_dir="$OUT/logs" --trainer.logger.init_args.name="$name" "$@"
  done
done
echo "Level $level done: RM in $rm_dir, policies in $OUT/reinforce_*; evaluate them with evaluate.py"
