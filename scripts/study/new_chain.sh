#!/usr/bin/env bash
# Begin the study's chain of runs again, on a CPU of another kind than the pinned models' (REPORT.md, Appendix A): the
# committed results of the chain so far (the files directly under results/level1 and results/level2) move to
# results/level{1,2}/NAME/, with the chain's manifest, its CPU kind (artifacts.cpu, which take_up_chain.sh reads)
# and a README saying where they came from; the manifest keeps only the SFT model's line (the GGUF does not depend
# on the CPU); results/artifacts.cpu goes, so the next stage records the new kind. Nothing under $RLHF_ARTIFACTS is
# touched.
#   bash scripts/study/new_chain.sh intel_amx      # then: bash scripts/study/level1.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/study/env.sh
name=${1:?usage: bash scripts/study/new_chain.sh NAME (the folder the results of the old chain move to)}
old_kind=$(cat "$CPU_KIND_FILE" 2>/dev/null || echo "not recorded")
sft=${MODEL#"$ART"/}
for level in results/level1 results/level2; do
  [[ -d $level ]] || continue
  mapfile -t files < <(find "$level" -maxdepth 1 -type f)
  [[ ${#files[@]} -gt 0 ]] || continue
  if [[ -e $level/$name ]]; then
    echo "$level/$name exists already; choose another NAME" >&2
    exit 2
  fi
  mkdir "$level/$name"
  mv "${files[@]}" "$level/$name/"
  cp "$MANIFEST" "$level/$name/artifacts.sha256"
  if [[ -s $CPU_KIND_FILE ]]; then cp "$CPU_KIND_FILE" "$level/$name/artifacts.cpu"; fi
  cat > "$level/$name/README.md" << EOF
The results of a chain of study runs made on a CPU of the kind '$old_kind' (vendor, bf16 instructions,
precision), moved here on $(date -u +%F) by \`bash scripts/study/new_chain.sh $name\` when the chain began again on
'$(cpu_kind) $STUDY_PRECISION'.
\`artifacts.sha256\`: the models those results used (\`cd \$RLHF_ARTIFACTS && sha256sum -c artifacts.sha256\`).
They are the record of those runs, not results of the current chain.
EOF
done
awk -v sft="$sft" '$2 == sft' "$MANIFEST" > "$MANIFEST.new"
mv "$MANIFEST.new" "$MANIFEST"
rm -f "$CPU_KIND_FILE"
echo "the chain of '$old_kind' moved to results/level*/$name; $MANIFEST keeps $sft; next: bash scripts/study/level1.sh"
