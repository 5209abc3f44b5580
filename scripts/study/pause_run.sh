#!/usr/bin/env bash
# Stop a running study run's process, run a short command with the two cores free, and let the run go on: a
# measurement beside a training run would share the cores and slow both (and time neither). Stopping changes
# nothing a run computes. The pause goes into $RLHF_ARTIFACTS/NAME/pauses.log, which the summaries' compute hours
# leave out (scripts/report/summary.py); the process goes on even if the command fails, whose status is returned.
# The stopped process keeps its memory: a command that needs most of the 24 GiB (a memory benchmark) is killed
# for memory beside it: bench_policy_memory.py's case without checkpointing (18.5 GiB alone on the Ice Lake) was, on
# 2026-12-07, beside a stopped RM of 8-10 GiB.
#   bash scripts/study/pause_run.sh rm_a python evaluate.py generate ...
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/study/env.sh
name=${1:?usage: bash scripts/study/pause_run.sh NAME COMMAND...}
shift
mapfile -t pids < <(pgrep -f -- "--trainer.logger.init_args.name=$name( |$)" || true)
if [[ ${#pids[@]} -ne 1 ]]; then
  echo "found ${#pids[@]} processes of the run '$name', not one; nothing stopped" >&2
  exit 2
fi
start=$(date -u +%FT%TZ) command="$*"
resume() {  # on any exit, an interrupted or failed command's too: a run must never stay stopped
  kill -CONT "${pids[0]}" 2> /dev/null || true
  echo "$start $(date -u +%FT%TZ) $command" >> "$ART/$name/pauses.log"
}
trap resume EXIT
kill -STOP "${pids[0]}"
"$@"
