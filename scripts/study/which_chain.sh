#!/usr/bin/env bash
# Which chain of study runs this CPU can carry on, and the command for it (REPORT.md §8): the current chain
# (results/artifacts.cpu) if it is of this CPU's kind; else a record that new_chain.sh moved aside
# (results/level1/RECORD/artifacts.cpu) of this kind, to take up; else a new chain, in bf16 where this CPU has bf16
# instructions and in float32 where it has not. A kind is "vendor, best bf16 instructions or else float32 vector
# width, precision" (cpu_kind and same_cpu_kind in env.sh). Reads only; changes nothing.
#   bash scripts/study/which_chain.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/study/env.sh
here=$(cpu_kind)
# the precision a new chain here takes: bf16 emulated in software is far slower than float32 (same_cpu_kind)
if [[ $here == *_bf16 ]]; then fresh=bf16-mixed; else fresh=32; fi
name_of() {  # name_of KIND: the folder a chain of KIND moves to, e.g. "GenuineIntel avx512 32" -> genuineintel_avx512_32
  echo "$1" | tr '[:upper:] ' '[:lower:]_' | sed 's/_bf16-mixed$//'
}
precision_of() { echo "${1##* }"; }  # precision_of KIND
current=$(cat "$CPU_KIND_FILE" 2> /dev/null || true)
aside=$(name_of "${current:-none}")  # where the current chain goes when another is taken up or begun
echo "this CPU: $here"
echo "current chain: ${current:-none begun}"
if [[ -n $current && ${current% *} == "$here" ]]; then
  echo "the current chain runs here: STUDY_PRECISION=$(precision_of "$current") bash scripts/study/level1.sh"
  exit 0
fi
for file in results/level1/*/artifacts.cpu; do
  [[ -s $file ]] || continue
  kind=$(< "$file")
  if [[ ${kind% *} == "$here" ]]; then
    record=$(basename "$(dirname "$file")")
    echo "the record results/level1/$record is of this kind ($kind): take it up, the current chain to $aside:"
    echo "  STUDY_PRECISION=$(precision_of "$kind") bash scripts/study/take_up_chain.sh $record $aside"
    echo "  STUDY_PRECISION=$(precision_of "$kind") bash scripts/study/level1.sh"
    exit 0
  fi
done
echo "no chain of this kind: begin one, the current chain to $aside:"
echo "  STUDY_PRECISION=$fresh bash scripts/study/new_chain.sh $aside"
echo "  STUDY_PRECISION=$fresh bash scripts/study/level1.sh"
