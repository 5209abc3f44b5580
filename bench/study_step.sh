#!/usr/bin/env bash
# The study's REINFORCE step, side by side in one run (nothing else may run meanwhile): the code before the rollout
# and log-prob changes (commit BEFORE) against this checkout, each with glibc's malloc, then this checkout with
# jemalloc and tcmalloc where installed (Debian: libjemalloc2, libtcmalloc-minimal4). ~15 minutes on 2 cores.
#   bash bench/study_step.sh [BEFORE]      -> results/bench/study_step_*.json, results/bench/study_step.md
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/study/env.sh
export RLHF_ARTIFACTS=$ART  # the untrained RM the step is scored with goes to $ART/bench (bench/common.py)
BEFORE=${1:-1e7134e}
OUT=results/bench
old=$ART/bench/code_$BEFORE
[[ -d $old ]] || git worktree add --detach "$old" "$BEFORE"
step() {  # step NAME CODE [LD_PRELOAD]
  LD_PRELOAD=${3:-} python bench/profile_study_step.py --code "$2" --model "$MODEL" --tokenizer "$(realpath "$TOKENIZER")" \
    --data "$(realpath "$DATA")" --max-new-tokens "$(chosen dev_budget.json chosen)" \
    --lr "$(chosen dev_lr.json chosen_lr)" --out "$OUT/study_step_$1.json"
}
step before "$old"
step ours .
lib=/usr/lib/x86_64-linux-gnu
[[ -f $lib/libjemalloc.so.2 ]] && step ours_jemalloc . $lib/libjemalloc.so.2
[[ -f $lib/libtcmalloc_minimal.so.4 ]] && step ours_tcmalloc . $lib/libtcmalloc_minimal.so.4
python bench/study_step_table.py $OUT/study_step_*.json --out $OUT/study_step.md
