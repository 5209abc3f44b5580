#!/usr/bin/env bash
# The demo over seeds 0 1 2 (same tiny initial model and data; seed of training, sampling and data order varies),
# then the across-seed summary used in REPORT.md section 3.1.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
for seed in ${SEEDS:-0 1 2}; do
  bash "$REPO/scripts/demo.sh" --seed_everything="$seed" --data.seed="$seed" \
    --trainer.logger.init_args.version="seed$seed" --trainer.enable_progress_bar=false
done
python "$REPO/scripts/summarize_eval.py" \
  --run "demo, scalar RM=artifacts/demo/logs/reinforce/seed*/eval/val_step60.json" \
  --run "demo, distributional RM=artifacts/demo/logs/reinforce_distributional/seed*/eval/val_step60.json" \
  --out "$REPO/results/demo/summary"
python "$REPO/scripts/demo_tables.py" --logs artifacts/demo/logs --out "$REPO/results/demo/tables.md"
