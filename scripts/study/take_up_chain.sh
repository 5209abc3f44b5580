#!/usr/bin/env bash
# Take up again, on a CPU of its kind, a chain of study runs whose record new_chain.sh moved to
# results/level{1,2}/RECORD (REPORT.md, Appendix A): the current chain moves aside to NAME (new_chain.sh), the
# record's results go back under results/level{1,2}, its manifest becomes results/artifacts.sha256 and its kind
# results/artifacts.cpu. The drivers then make its lost models again by the same commands, and each must hash as
# pinned (pin_sha256), or its stage stops.
#   STUDY_PRECISION=32 bash scripts/study/take_up_chain.sh zen3_fp32 intel_amx   # then: the driver, same precision
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/study/env.sh
usage="usage: bash scripts/study/take_up_chain.sh RECORD NAME (the record to take up; where the current chain goes)"
record=${1:?$usage}
name=${2:?$usage}
if [[ ! -s results/level1/$record/artifacts.cpu || ! -f results/level1/$record/artifacts.sha256 ]]; then
  echo "results/level1/$record holds no artifacts.cpu and artifacts.sha256: not a chain's record; stopping" >&2
  exit 2
fi
kind=$(< "results/level1/$record/artifacts.cpu")
here="$(cpu_kind) $STUDY_PRECISION"
if [[ $kind != "$here" ]]; then
  echo "the chain of results/level1/$record ran on '$kind', this CPU at this precision is '$here'; stopping" >&2
  exit 2
fi
bash scripts/study/new_chain.sh "$name"
cp "results/level1/$record/artifacts.sha256" "$MANIFEST"
echo "$kind" > "$CPU_KIND_FILE"
for level in results/level1 results/level2; do
  [[ -d $level/$record ]] || continue
  rm -f "$level/$record"/{README.md,artifacts.sha256,artifacts.cpu}
  mapfile -t files < <(find "$level/$record" -maxdepth 1 -type f)
  if [[ ${#files[@]} -gt 0 ]]; then mv "${files[@]}" "$level/"; fi
  rmdir "$level/$record"  # fails, and says so, if the record holds more than files
done
echo "the chain of '$kind' is taken up from results/level*/$record;" \
  "next: STUDY_PRECISION=$STUDY_PRECISION bash scripts/study/level1.sh"
