#!/usr/bin/env bash
# CI (`bash .ci/run`) on this machine, on a clean clone of the committed HEAD, without touching the installed package:
# .ci/run installs the clone in editable mode, which in this Python would point `import rlhf` at the clone (a study
# stage started later would then run the clone's code, or fail once the clone is gone). So it runs in a virtual
# environment over this Python's packages, which takes the clone's editable install and is thrown away after.
#   bash scripts/study/ci_here.sh                               # the cores busy with a study run? then:
#   bash scripts/study/pause_run.sh rm_a bash scripts/study/ci_here.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=${CI_WORK:-/tmp/ci_here}
rm -rf "$work"
mkdir -p "$work"
git clone -q "$repo" "$work/repo"
python -m venv --system-site-packages "$work/venv"
# shellcheck disable=SC1091
source "$work/venv/bin/activate"
cd "$work/repo"
bash .ci/run
