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
python - "$REPO/results/demo/reward_models.md" <<'PY'
import glob, json, sys
lines = ["| reward model | run | held-out pairwise accuracy [95% CI] (final validation) |", "|---|---|---|"]
for rm in ("reward_model", "distributional_reward_model"):
    for run in sorted(glob.glob(f"artifacts/demo/logs/{rm}/seed*")):
        reports = [json.load(open(p)) for p in glob.glob(f"{run}/rm_val_step*.json")]
        a = max(reports, key=lambda r: r["global_step"])["accuracy"]
        lines.append(f"| {rm} | {run} | {a['mean']:.3f} [{a['ci95'][0]:.3f}, {a['ci95'][1]:.3f}] (n={a['n']}) |")
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
