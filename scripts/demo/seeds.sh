#!/usr/bin/env bash
# The demo with REINFORCE seeds 0 1 2 (the RMs trained once), then its tables for REPORT.md: results/demo/.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
SEEDS="0 1 2" bash "$REPO/scripts/demo/run.sh" --trainer.enable_progress_bar=false
mkdir -p "$REPO/results/demo"
cp artifacts/demo/eval/table.json artifacts/demo/eval/table.md "$REPO/results/demo/"
python "$REPO/scripts/demo/tables.py" --demo artifacts/demo --out "$REPO/results/demo/tables.md"
