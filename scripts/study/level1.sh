#!/usr/bin/env bash
# The Level-1 study (REPORT.md §3.1), stage by stage. Every stage skips what is done
# and resumes what is not (training from its last checkpoint, generation from its last prompt), so the same
# command continues across sessions. Heavy stages run one at a time.
#   bash scripts/study/level1.sh                 # every stage still to do
#   bash scripts/study/level1.sh budget rm_a     # named stages, in this order:
#                                                # budget rm_a rm_a_eval lr rm_b policies rm_eval test_eval
#                                                # ablation ablation_eval summary (and sft_answers: SFT's test
#                                                # answers alone, which rm_a_eval otherwise makes)
# Paths: scripts/study/env.sh (big outputs under $RLHF_ARTIFACTS); small results under results/level1/.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/study/env.sh
sft_model
R=$LEVEL1
SEEDS=(0 1 2)
ABLATION_SEEDS=(0 1)
mkdir -p $R

rm_a() {  # the training RM
  bash scripts/study/reward_model.sh rm_a rm_a
}

rm_b() {  # the independent judge: after the lr runs, so that a problem of REINFORCE at the chosen budget shows early
  bash scripts/study/reward_model.sh rm_b rm_b
  python scripts/report/rm_curves.py --run "RM_A=$ART/rm_a" --run "RM_B=$ART/rm_b" --out $R/rm_val_curves.json
}

budget() {  # the response budget: SFT on the dev prompts of the training pool, 2 samples each, largest budget
  [[ -f $R/dev_budget.json ]] && return
  same_cpu_kind || return 1
  python evaluate.py generate --policy "$MODEL" "${PROMPTS[@]}" --roles dev --sources alpaca_eval2_weighted \
    --samples 2 --max-new-tokens 256 --batch-size 16 --seed 0 --precision "$STUDY_PRECISION" \
    --out "$ART/dev/sft_256/generations.jsonl"
  python scripts/study/dev_choices.py budget "$ART/dev/sft_256/generations.jsonl" --out $R/dev_budget.json
}

lr() {  # the learning rate: one 40-step run per candidate against RM_A, checked on dev prompts at its end; at
        # beta 0.05, and only if no lr passes there, again at beta 0.1 (REPORT.md §3.1). dev_lr.json: the choice.
        # The rule takes the largest lr that passes, so the candidates run largest first and the first to pass ends
        # the search: the same choice as all three runs, for fewer where a large lr passes (REPORT.md §3.4). Each
        # run is kept as soon as it is trained (its dev checks are all the choice reads): a run takes hours at
        # float32, and a lost home directory would otherwise take the finished ones with it
  local beta rate name runs
  [[ -f $R/dev_lr.json ]] && return
  for beta in 0.05 0.1; do
    runs=()
    for rate in 1e-5 3e-6 1e-6; do
      name=dev_lr$rate$([[ $beta == 0.05 ]] || echo "_beta$beta")
      bash scripts/study/reinforce.sh "$name" rm_a 0 --trainer.max_steps=40 --model.init_args.lr="$rate" \
        --model.init_args.beta="$beta" --model.init_args.max_new_tokens="$(chosen dev_budget.json chosen)"
      [[ -n $(kept_file "$name") ]] || keep "$name"
      runs+=("$ART/$name")
      python scripts/study/dev_choices.py lr "${runs[@]}" --out "$R/dev_lr_beta$beta.json"
      if [[ $(chosen "dev_lr_beta$beta.json" chosen_lr) != None ]]; then
        cp "$R/dev_lr_beta$beta.json" $R/dev_lr.json
        cp "$R/dev_lr_beta$beta.md" $R/dev_lr.md
        return
      fi
    done
  done
  echo "no lr passed the dev rule at beta 0.05 or 0.1: the registered rule ends here (see $R/dev_lr_beta*.json)" >&2
  return 1
}

policies() {  # each seed trained, then its test responses generated and kept (judged in test_eval)
  for seed in "${SEEDS[@]}"; do
    # shellcheck disable=SC2046
    bash scripts/study/reinforce.sh "l1_seed$seed" rm_a "$seed" $(reinforce_args)
    generate_test "l1_seed$seed" "$ART/l1_seed$seed/policy"
  done
}

ablation() {  # the paper's claim: the moving-average baseline lowers the variance (against no baseline)
  for seed in "${ABLATION_SEEDS[@]}"; do
    # shellcheck disable=SC2046
    bash scripts/study/reinforce.sh "l1_nobaseline_seed$seed" rm_a "$seed" $(reinforce_args) \
      --model.init_args.baseline=none
    generate_test "l1_nobaseline_seed$seed" "$ART/l1_nobaseline_seed$seed/policy"
  done
}

judged() {  # judged REPORT: a pairs report of the current form is there (older ones lack the length controls, §3.4)
  python -c "import json, sys; sys.exit('length_controls' not in json.load(open(sys.argv[1])))" "$1" 2> /dev/null
}

judge_rm() {  # judge_rm RM: one RM on the held-out substitute pairs and the human pairs (each pair's scores kept too)
  local rm=$1
  pin_sha256 "$ART/$rm/export"
  judged $R/${rm}_test_pairs.json || python evaluate.py pairs --rm "$ART/$rm/export" --pairs "$DATA" \
    --splits splits/prefmix.json --roles test --max-prompts 80 --max-length 1024 --precision "$STUDY_PRECISION" \
    --out $R/${rm}_test_pairs.json --scores-out $R/${rm}_test_pair_scores.jsonl.gz \
    --progress $PROGRESS/${rm}_test_pairs.pt
  judged $R/${rm}_human_pairs.json || python evaluate.py pairs --rm "$ART/$rm/export" \
    --pairs ../shared/data/human_pairs.jsonl.gz --max-length 3072 --precision "$STUDY_PRECISION" \
    --out $R/${rm}_human_pairs.json --scores-out $R/${rm}_human_pair_scores.jsonl.gz \
    --progress $PROGRESS/${rm}_human_pairs.pt
  by_length_gap "$rm"
}

probe_rm() {  # probe_rm RM: the garbage answer against SFT's greedy answers on the test prompts (an RM endpoint)
  pin_sha256 "$ART/$1/export"
  [[ -f $R/$1_probe.json ]] || python evaluate.py probe --rm "$ART/$1/export" \
    --generations "$EVAL/sft/generations.jsonl" --probe ../shared/data/probes/null_model_response.txt \
    --precision "$STUDY_PRECISION" --out "$R/$1_probe.json" --progress "$PROGRESS/$1_probe.pt"
}

sft_answers() {  # SFT's test answers, generated once and kept (results/level1/kept_sft.tar.gz): the probe's
                 # responses and SFT's side of the test evaluation; they need no RM, so a chain can make them any time
  generate_test sft "$MODEL"
}

rm_a_eval() {  # RM_A judged as soon as it exists (a slow chain's first results then land before RM_B's epoch), the
               # probe included, on SFT's test answers (judged in test_eval as before)
  judge_rm rm_a
  sft_answers
  probe_rm rm_a
  python scripts/report/summary.py level1-rms --rms A --results $R --artifacts "$ART" --model "$MODEL" \
    --out $R/rm_summary.json
}

rm_eval() {  # both RMs judged, the probe on SFT's test answers included (made, or restored, as in rm_a_eval)
  judge_rm rm_a
  judge_rm rm_b
  sft_answers
  probe_rm rm_a
  probe_rm rm_b
  python scripts/report/summary.py level1-rms --results $R --artifacts "$ART" --model "$MODEL" --out $R/rm_summary.json
}

test_eval() {  # SFT and the three seeds on the test prompts, once; the primary endpoint (before the ablation trains)
  generate_test sft "$MODEL" rm_a rm_b
  probe_rm rm_a
  probe_rm rm_b
  for seed in "${SEEDS[@]}"; do
    generate_test "l1_seed$seed" "$ART/l1_seed$seed/policy" rm_a rm_b
  done
  test_table
}

ablation_eval() {  # the no-baseline policies on the same prompts; the table again, with them (same primary numbers)
  for seed in "${ABLATION_SEEDS[@]}"; do
    generate_test "l1_nobaseline_seed$seed" "$ART/l1_nobaseline_seed$seed/policy" rm_a rm_b
  done
  test_table "no_baseline=$(runs l1_nobaseline_seed "${ABLATION_SEEDS[@]}")"
}

runs() {  # runs PREFIX SEED...: the comma-separated evaluation directories of a policy's seeds
  local prefix=$1 seed out=()
  shift
  for seed in "$@"; do out+=("$EVAL/$prefix$seed"); done
  (IFS=,; echo "${out[*]}")
}

test_table() {  # test_table [NAME=RUNS ...]: the test table, REINFORCE (seeds 0-2) and any other policies against SFT
  local extra=() spec
  for spec in "$@"; do extra+=(--policy "$spec"); done
  python evaluate.py compare --sft "$EVAL/sft" --policy "reinforce=$(runs l1_seed "${SEEDS[@]}")" "${extra[@]}" \
    --judges rm_b rm_a length --primary reinforce/rm_b --out $R/test_compare.json
}

summary() {
  python scripts/report/export_scalars.py "$ART"/l1_*/logs --out $R/training_scalars.csv
  python scripts/report/baseline_ablation.py $R/training_scalars.csv --arm "moving average=l1_seed0,l1_seed1" \
    --arm "no baseline=l1_nobaseline_seed0,l1_nobaseline_seed1" --out $R/baseline_ablation.json
  python scripts/report/plot_curves.py --run "moving-average baseline=$ART/l1_seed*/logs" \
    --run "no baseline=$ART/l1_nobaseline_seed*/logs" --out $R/training_curves.png
  python scripts/report/text_shift.py --eval "$EVAL" --policy reinforce=l1_seed0,l1_seed1,l1_seed2 \
    --policy no_baseline=l1_nobaseline_seed0,l1_nobaseline_seed1 --out $R/text_shift.json
  python scripts/report/examples.py --eval "$EVAL" --policy l1_seed0 --judges rm_a rm_b --data "$DATA" \
    --out $R/examples.md
  python scripts/report/summary.py level1 --results $R --artifacts "$ART" --model "$MODEL" --out $R/summary.json
}

stages=("$@")
# RM_A is judged as soon as it exists: its endpoints need no other model, so they land even if the chain is lost later
[[ ${#stages[@]} -gt 0 ]] || stages=(budget rm_a rm_a_eval lr rm_b policies rm_eval test_eval ablation ablation_eval summary)
for stage in "${stages[@]}"; do
  echo "== level 1: $stage ($(date -u +%H:%M))"
  "$stage"
done
