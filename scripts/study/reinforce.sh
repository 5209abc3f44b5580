#!/usr/bin/env bash
# Train (or resume, or skip if done or kept: env.sh's keep) one study REINFORCE run on the CPU, into
# $RLHF_ARTIFACTS/<name>.
#   bash scripts/study/reinforce.sh l1_seed0 rm_a 0 --model.init_args.lr=3e-6 --model.init_args.beta=0.05
#   CONFIGS=configs/reinforce_distributional.yaml bash scripts/study/reinforce.sh l2_mean_seed0 dist_a 0 ...
# Arguments: run name, the study RM it optimises (a name under $RLHF_ARTIFACTS with an export/), the seed;
# the rest goes to cli.py. Paths: scripts/study/env.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
name=${1:?name}; rm=${2:?reward model name}; seed=${3:?seed}; shift 3
source scripts/study/env.sh
kept=$(kept_file "$name")
if [[ -n $kept ]]; then  # trained, generated and kept by an earlier session: what later stages need is put back
  restore_kept "$name" "$kept"
  echo "$name: kept ($kept)"
  exit 0
fi
sft_model
pin_sha256 "$MODEL" "$ART/$rm/export"
run_stage "$name" policy/config.json configs/reinforce.yaml configs/study/reinforce_cpu.yaml \
  --model.init_args.policy="$MODEL" --model.init_args.reward_model="$ART/$rm/export" \
  --seed_everything="$seed" --data.seed="$seed" --model.init_args.export_dir="$ART/$name/policy" "$@"
pin_sha256 "$ART/$name/policy"
