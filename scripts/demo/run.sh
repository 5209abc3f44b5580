#!/usr/bin/env bash
# The whole pipeline offline in a few minutes on 2 CPU cores, on a tiny SmolLM2 look-alike and synthetic pairs
# with a known rule ("more 'great' is better"): scalar RM -> REINFORCE -> distributional RM -> REINFORCE, then
# the evaluation stages (generate, judge, compare) on the held-out test prompts, exactly as the study runs them.
#   bash scripts/demo/run.sh                   # one REINFORCE seed
#   SEEDS="0 1 2" bash scripts/demo/run.sh      # three (the RMs are trained once, as in the study)
# Everything is written under ./artifacts/demo of the directory it is run from. TensorBoard:
#   tensorboard --logdir artifacts/demo/logs
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
C=$REPO/configs
D=artifacts/demo
SEEDS=${SEEDS:-0}
started=$SECONDS
stage() { echo; echo "=== demo: $1 ($((SECONDS - started)) s so far) ==="; }

stage "tiny model, synthetic pairs and their split file"
python -m rlhf.tiny $D
stage "scalar reward model"
python "$REPO/cli.py" fit --config "$C/reward_model.yaml" --config "$C/demo/reward_model.yaml" "$@"
stage "distributional reward model"
python "$REPO/cli.py" fit --config "$C/reward_model.yaml" --config "$C/distributional_reward_model.yaml" \
  --config "$C/demo/reward_model.yaml" --config "$C/demo/distributional_reward_model.yaml" "$@"
for seed in $SEEDS; do
  for rm in reward_model distributional_reward_model; do
    stage "REINFORCE against the $rm, seed $seed"
    python "$REPO/cli.py" fit --config "$C/reinforce.yaml" --config "$C/demo/reinforce.yaml" \
      --model.init_args.reward_model=$D/$rm --model.init_args.export_dir=$D/policy_${rm}_seed$seed \
      --seed_everything="$seed" --data.seed="$seed" \
      --trainer.logger.init_args.name="reinforce_$rm" --trainer.logger.init_args.version="seed$seed" "$@"
  done
done

stage "evaluation: generate on the test prompts, judge with both RMs, compare with SFT"
E=$D/eval
gen=(--tokenizer $D/model --reference $D/model --data $D/pairs.jsonl --splits $D/splits.json --roles test
     --samples 2 --max-new-tokens 16 --precision 32)
python "$REPO/evaluate.py" generate --policy $D/model --out $E/sft/generations.jsonl "${gen[@]}"
runs=($E/sft)
for rm in reward_model distributional_reward_model; do
  dirs=()
  for seed in $SEEDS; do
    run=$E/$rm/seed$seed
    python "$REPO/evaluate.py" generate --policy $D/policy_${rm}_seed$seed --out $run/generations.jsonl "${gen[@]}"
    runs+=("$run"); dirs+=("$run")
  done
  policies+=(--policy "trained on $rm=$(IFS=,; echo "${dirs[*]}")")
done
for run in "${runs[@]}"; do
  for judge in reward_model distributional_reward_model; do
    python "$REPO/evaluate.py" judge --rm $D/$judge --generations "$run/generations.jsonl" --out "$run/scores_$judge.jsonl"
  done
done
python "$REPO/evaluate.py" compare --sft $E/sft "${policies[@]}" --judges reward_model distributional_reward_model length \
  --primary "trained on reward_model/distributional_reward_model" --out $E/table.json
echo
echo "demo done in $((SECONDS - started)) s: RMs, policies and logs under $D; evaluation table $E/table.md"
