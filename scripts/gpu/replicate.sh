#!/usr/bin/env bash
# The Level-1 study at full scale on one GPU, in addition to the CPU chain (issue #16; REPORT.md §10). Models and
# generations go under $GPU_ART; the small results (no weights) under $GPU_RESULTS.
#   MODEL=SFT.gguf TOKENIZER=DIR DATA=pairs.jsonl.gz HUMAN=human_pairs.jsonl.gz PROBE=probe.txt bash scripts/gpu/replicate.sh
# Fixed here, before anything runs:
#   rm_a, rm_b  scalar Bradley-Terry RMs on every pair of halves A and B that fits 1,024 tokens, one epoch, lr 5e-5,
#               fp16 mixed (configs/reward_model.yaml + configs/gpu/reward_model_gpu.yaml); dist_a, the distributional
#               RM on half A (Level 2's loss and regulariser, the arena grades 1..10), as a third judge
#   seeds 0-2   REINFORCE against rm_a, run at once, 64 rollouts per step (configs/gpu/reinforce_gpu.yaml), the CPU
#               chain's dev choices (lr, beta, budget: dev_{lr,budget}.json in DEV_CHOICES, by default
#               results/level1; a chain's record until the current chain has made its own), STEPS steps: given, or
#               fixed before they train as the largest multiple of 10 up to 150 whose steps, plus 10 steps' worth for
#               the reward statistics and dev checks, fit the seconds left for them (DEADLINE, the epoch second by
#               which the script must end, less EVAL_RESERVE) at the seconds per step that scripts/gpu/rollout_speed.py
#               measures first on this GPU with three workers; the runs stop at that time plus a minute regardless
#   test        SFT and the three policies on the test prompts (greedy + 2 samples, seed 0), judged by rm_b (primary),
#               rm_a, dist_a and length; every RM on the held-out and the human pairs, and the garbage-answer probe
# SMOKE=1: the same stages on the tiny model and synthetic pairs (rlhf.tiny), two steps each: a check of the plumbing
# on a new machine, not a result.
set -euo pipefail
cd "$(dirname "$0")/../.."
GPU_ART=${GPU_ART:-artifacts/gpu}
GPU_RESULTS=${GPU_RESULTS:-results/gpu}
SPLITS=${SPLITS:-splits/prefmix.json}
SOURCES=${SOURCES-alpaca_eval2_weighted}
SEEDS=(0 1 2)
DEVICE=${DEVICE:-cuda}  # where evaluate.py runs (cpu: to try the script here; cli.py picks the GPU itself)
EVAL_RESERVE=${EVAL_RESERVE:-170}  # seconds for what follows REINFORCE, and its runs' start (model loading)
started=$SECONDS
stage() {  # a banner; ON_STAGE (e.g. saving what is done so far elsewhere) runs at each
  echo "== gpu replicate: $1 ($((SECONDS - started)) s)"
  ${ON_STAGE:-true}
}
chosen() { python -c "import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "${DEV_CHOICES:-results/level1}/$1" "$2"; }
LR=$(chosen dev_lr.json chosen_lr) BETA=$(chosen dev_lr.json beta) BUDGET=$(chosen dev_budget.json chosen)
rm_args=() rl_args=() eval_args=(--max-new-tokens "$BUDGET" --batch-size 80)
RM_B_ROLE=rm_b

if [[ ${SMOKE:-0} == 1 ]]; then  # the tiny model and its synthetic pairs (no rm_b role there, no sources)
  python -m rlhf.tiny "$GPU_ART/tiny" > /dev/null
  MODEL=$GPU_ART/tiny/model TOKENIZER=$GPU_ART/tiny/model DATA=$GPU_ART/tiny/pairs.jsonl HUMAN=$DATA
  SPLITS=$GPU_ART/tiny/splits.json SOURCES="" RM_B_ROLE=rm_a BUDGET=8 STEPS=${STEPS:-2}
  PROBE=$GPU_ART/tiny/probe.txt && echo "the the the" > "$PROBE"
  MODEL_CONFIG=$MODEL/config.json
  rm_args=(--trainer.limit_train_batches=4 --trainer.val_check_interval=2 --trainer.limit_val_batches=2)
  rl_args=(--data.train_roles="[rm_a]" --data.sources=null --data.batch_size=8)  # 64 would leave no full batch
  eval_args=(--max-new-tokens 8 --batch-size 80)
fi
: "${MODEL:?the SFT model}" "${TOKENIZER:?its tokenizer}" "${DATA:?the preference pairs}" "${HUMAN:?the human pairs}"
: "${PROBE:?the garbage answer of the probe}"
MODEL_CONFIG=${MODEL_CONFIG:-$TOKENIZER/config.json}  # the architecture, for the speed measurement
sources=() && [[ -n $SOURCES ]] && sources=(--sources "$SOURCES")
mkdir -p "$GPU_ART" "$GPU_RESULTS"

if [[ -z ${STEPS:-} ]]; then  # measured alone, before anything else uses the GPU
  stage "the speed of a REINFORCE step, three workers at once"
  python scripts/gpu/rollout_speed.py measure --config "$MODEL_CONFIG" --processes 3 --steps 1 --new-tokens "$BUDGET" \
    --out "$GPU_RESULTS/rollout_speed.json"
fi

# run NAME COMMAND...: COMMAND in the background, its output in $GPU_ART/NAME.log; wait_all waits for every one
# started and stops if any failed
pids=()
run() {
  local name=$1
  shift
  "$@" > "$GPU_ART/$name.log" 2>&1 &
  pids+=($!)
}
wait_all() {
  local pid failed=0
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  pids=()
  if [[ $failed == 1 ]]; then tail -n 30 "$GPU_ART"/*.log >&2; return 1; fi
}

train_rm() {  # train_rm NAME ROLE [cli.py arguments]
  local name=$1 role=$2
  shift 2
  python cli.py fit --config configs/reward_model.yaml "$@" --config configs/gpu/reward_model_gpu.yaml \
    --model.init_args.model="$MODEL" --data.tokenizer="$TOKENIZER" --data.path="$DATA" --data.splits="$SPLITS" \
    --data.train_roles="[$role]" --model.init_args.export_dir="$GPU_ART/$name/export" \
    --trainer.logger.init_args.save_dir="$GPU_ART/$name/logs" --trainer.logger.init_args.name="$name" \
    --trainer.logger.init_args.version=0 "${rm_args[@]}"
}

generate() {  # generate NAME POLICY: greedy + 2 samples on the test prompts, seed 0 for every policy
  python evaluate.py generate --policy "$2" --reference "$MODEL" --tokenizer "$TOKENIZER" --data "$DATA" \
    --splits "$SPLITS" --roles test "${sources[@]}" --max-prompt-length 384 --samples 2 --seed 0 --device "$DEVICE" \
    "${eval_args[@]}" --out "$GPU_ART/eval/$1/generations.jsonl"
}

stage "reward models (rm_a, rm_b, dist_a) and SFT's test responses, at once"
run rm_a train_rm rm_a rm_a
run rm_b train_rm rm_b "$RM_B_ROLE"
run dist_a train_rm dist_a rm_a --config configs/distributional_reward_model.yaml \
  --model.init_args.rating_range="[1, 10]"
run generate_sft generate sft "$MODEL"
wait_all

if [[ -z ${STEPS:-} ]]; then  # the rule of the header, before the runs start
  STEPS=$(python scripts/gpu/rollout_speed.py steps "$GPU_RESULTS/rollout_speed.json" \
    --seconds "$((${DEADLINE:?epoch second by which to end} - EVAL_RESERVE - $(date +%s)))")
fi
max_time=$(python -c "import sys; print('00:00:%02d:%02d' % divmod(int(sys.argv[1]), 60))" \
  "$((${DEADLINE:-$(($(date +%s) + 3540))} - EVAL_RESERVE - $(date +%s) + 60))")
stage "REINFORCE seeds ${SEEDS[*]} against rm_a, at once: $STEPS steps, lr $LR, beta $BETA"
for seed in "${SEEDS[@]}"; do
  name=seed$seed
  run "$name" python cli.py fit --config configs/reinforce.yaml --config configs/gpu/reinforce_gpu.yaml \
    --model.init_args.policy="$MODEL" --model.init_args.reward_model="$GPU_ART/rm_a/export" \
    --data.tokenizer="$TOKENIZER" --data.path="$DATA" --data.splits="$SPLITS" --seed_everything="$seed" \
    --data.seed="$seed" --trainer.max_steps="$STEPS" --model.init_args.lr="$LR" --model.init_args.beta="$BETA" \
    --model.init_args.max_new_tokens="$BUDGET" --model.init_args.export_dir="$GPU_ART/$name/policy" \
    --trainer.logger.init_args.save_dir="$GPU_ART/$name/logs" --trainer.logger.init_args.name="$name" \
    --trainer.logger.init_args.version=0 --trainer.max_time="$max_time" "${rl_args[@]}"
done
wait_all

stage "test responses of the policies; the RMs on the held-out and human pairs"
for seed in "${SEEDS[@]}"; do run "generate_seed$seed" generate "seed$seed" "$GPU_ART/seed$seed/policy"; done
for rm in rm_a rm_b dist_a; do
  grades=() && [[ $rm == dist_a ]] && grades=(--rating-range 1 10 --grade-prior-roles rm_a)
  run "${rm}_test_pairs" python evaluate.py pairs --rm "$GPU_ART/$rm/export" --pairs "$DATA" --splits "$SPLITS" \
    --roles test --max-length 1024 "${grades[@]}" --device "$DEVICE" --out "$GPU_RESULTS/${rm}_test_pairs.json" \
    --scores-out "$GPU_RESULTS/${rm}_test_pair_scores.jsonl.gz"
  run "${rm}_human_pairs" python evaluate.py pairs --rm "$GPU_ART/$rm/export" --pairs "$HUMAN" --max-length 3072 \
    --device "$DEVICE" --out "$GPU_RESULTS/${rm}_human_pairs.json" \
    --scores-out "$GPU_RESULTS/${rm}_human_pair_scores.jsonl.gz"
done
wait_all

judge_all() {  # judge_all RM: every policy's test responses, and the probe, by RM
  local rm=$1 policy
  for policy in sft "${SEEDS[@]/#/seed}"; do
    run "judge_${policy}_$rm" python evaluate.py judge --rm "$GPU_ART/$rm/export" --device "$DEVICE" \
      --generations "$GPU_ART/eval/$policy/generations.jsonl" --out "$GPU_ART/eval/$policy/scores_$rm.jsonl"
  done
  run "${rm}_probe" python evaluate.py probe --rm "$GPU_ART/$rm/export" --device "$DEVICE" \
    --generations "$GPU_ART/eval/sft/generations.jsonl" --probe "$PROBE" --out "$GPU_RESULTS/${rm}_probe.json"
}
stage "judging every policy's test responses, and the probe, by rm_b (the primary judge) first"
judge_all rm_b
wait_all
stage "judging them by rm_a and dist_a"
judge_all rm_a
judge_all dist_a
wait_all

stage "the test table (primary: REINFORCE over SFT under rm_b), curves, pins"
python evaluate.py compare --sft "$GPU_ART/eval/sft" \
  --policy "reinforce=$(IFS=,; echo "${SEEDS[*]/#/$GPU_ART/eval/seed}")" \
  --judges rm_b rm_a dist_a length --primary reinforce/rm_b --out "$GPU_RESULTS/test_compare.json"
python scripts/report/rm_curves.py --run "RM_A=$GPU_ART/rm_a" --run "RM_B=$GPU_ART/rm_b" \
  --run "DIST_A=$GPU_ART/dist_a" --out "$GPU_RESULTS/rm_val_curves.json"
python scripts/report/export_scalars.py "$GPU_ART"/seed*/logs --out "$GPU_RESULTS/training_scalars.csv"
(cd "$GPU_ART" && sha256sum rm_a/export/model.safetensors rm_b/export/model.safetensors \
  dist_a/export/model.safetensors seed*/policy/model.safetensors) > "$GPU_RESULTS/artifacts.sha256"
if [[ -f $MODEL ]]; then sha256sum "$MODEL" | sed "s|  .*|  $(basename "$MODEL")|" >> "$GPU_RESULTS/artifacts.sha256"; fi
# the test responses and their scores, as the CPU chain keeps them (results/level1/kept_*.tar.gz): no weights
tar -czf "$GPU_RESULTS/eval.tar.gz" -C "$GPU_ART" eval
# the run's record: where it ran, the steps fixed, and the steps each seed reached (fewer if it met its time limit)
seed_logs=()
for seed in "${SEEDS[@]}"; do seed_logs+=("$GPU_ART/seed$seed.log"); done
python -c "import json, re, sys, torch, transformers, lightning
reached = {}
for log in sys.argv[5:]:
    found = re.findall(r'policy after (\d+) steps saved', open(log).read())
    reached[log.split('/')[-1][:-4]] = int(found[-1]) if found else None
gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else 'none'
json.dump({'gpu': gpu, 'torch': torch.__version__, 'cuda': torch.version.cuda, 'transformers': transformers.__version__,
           'lightning': lightning.__version__, 'steps': int(sys.argv[1]), 'steps_reached': reached,
           'seconds': int(sys.argv[2])}, open(sys.argv[3], 'w'), indent=1)
short = {k: v for k, v in reached.items() if v != int(sys.argv[1])}
if short:  # a seed stopped by its time limit (or one that trained nothing): said, and fatal in a smoke run
    print(f'seeds short of {sys.argv[1]} steps: {short}', file=sys.stderr)
    sys.exit(int(sys.argv[4]))" "$STEPS" "$((SECONDS - started))" \
  "$GPU_RESULTS/run.json" "${SMOKE:-0}" "${seed_logs[@]}"
stage "done"
