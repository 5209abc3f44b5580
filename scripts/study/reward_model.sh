#!/usr/bin/env bash
# Train (or resume, or skip if done) one study reward model on the CPU, into $RLHF_ARTIFACTS/<name>.
#   bash scripts/study/reward_model.sh rm_a rm_a                     # scalar RM on half A
#   bash scripts/study/reward_model.sh rm_b rm_b                     # scalar RM on half B (the independent judge)
#   CONFIGS="configs/distributional_reward_model.yaml" bash scripts/study/reward_model.sh dist_a rm_a \
#     --model.init_args.rating_range="[1, 10]"
# Arguments: run name, the split file's role to train on; the rest goes to cli.py. Paths: scripts/study/env.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
name=${1:?name}; role=${2:?role of the split file to train on (rm_a or rm_b)}; shift 2
source scripts/study/env.sh
sft_model
# A pinned RM is being made again: its in-epoch validations are in the committed record already, and its pin checks
# the weights, which validating does not change (tests/test_cli.py), so it skips them (half an hour on this CPU).
if [[ -n $(pinned_sha256 "$name/export/model.safetensors") ]]; then
  set -- "$@" --trainer.limit_val_batches=0
fi
run_stage "$name" export/config.json configs/reward_model.yaml configs/study/reward_model_cpu.yaml \
  --model.init_args.model="$MODEL" --data.train_roles="[$role]" --model.init_args.export_dir="$ART/$name/export" "$@"
pin_sha256 "$MODEL" "$ART/$name/export"
