#!/usr/bin/env bash
# The whole pipeline offline in about two minutes on 2 CPU cores: a tiny SmolLM2 look-alike and synthetic pairs
# with a known rule ("more 'great' is better") -> scalar RM -> REINFORCE -> distributional RM -> REINFORCE.
# TensorBoard: tensorboard --logdir artifacts/demo/logs
# Everything is written under ./artifacts/demo of the directory it is run from.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
C=$REPO/configs
python -m rlhf.tiny artifacts/demo
python "$REPO/cli.py" fit --config "$C/reward_model.yaml" --config "$C/demo/reward_model.yaml" "$@"
python "$REPO/cli.py" fit --config "$C/reinforce.yaml" --config "$C/demo/reinforce.yaml" "$@"
python "$REPO/cli.py" fit --config "$C/distributional_reward_model.yaml" --config "$C/demo/distributional_reward_model.yaml" "$@"
python "$REPO/cli.py" fit --config "$C/reinforce.yaml" --config "$C/reinforce_distributional.yaml" \
  --config "$C/demo/reinforce.yaml" --model.init_args.reward_model=artifacts/demo/distributional_reward_model \
  --trainer.logger.init_args.name=reinforce_distributional "$@"
echo "demo done: logs and eval JSONs under artifacts/demo/logs"
