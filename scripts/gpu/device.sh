#!/usr/bin/env bash
# scripts/gpu/replicate.sh through this workplace's device tool (REPORT.md §10), whose calls carry at most 64 MiB from
# the checkout and whose machine reaches nothing outside: the SFT model's GGUF (98 MB) travels xz-compressed in two
# parts over two calls on one warm machine (it stays warm 30 s after a call), with the wheels that machine lacks
# (../shared/wheels) and the data (../shared never travels). In order:
#   bash scripts/gpu/device.sh pack        # here: .gpu/a and .gpu/b (ignored) from ../shared and $RLHF_ARTIFACTS
#   device run: "bash scripts/gpu/device.sh prepare", carry [".gpu/a"], timeout 240 s: the wheels, the smoke run of
#       the replicate on the tiny model (its CUDA paths: fp16 RM, REINFORCE, evaluate.py --device cuda), one speed reading
#   device run, at once (same machine): "DEADLINE_IN=T-30 bash scripts/gpu/device.sh run", carry [".gpu/b"],
#       timeout T = the device time left less a minute, at most 600 s: the replicate, saved into $OUT as it goes
#       (DEV_CHOICES=results/level1/RECORD before it, a chain's record, while results/level1 holds no dev_lr.json)
#   device give_back; then here: bash scripts/gpu/device.sh unpack FILES_AT/results_gpu.tar.gz   # -> results/gpu
set -euo pipefail
cd "$(dirname "$0")/../.."
STAGE=/tmp/gpu_stage  # on the device machine: what the first call leaves for the second
GGUF=SmolLM2-135M-Instruct.Q4_1.gguf
SPLIT_AT=46000000     # bytes of the compressed GGUF in the first call's part

pack() {
  source scripts/study/env.sh
  sft_model
  rm -rf .gpu && mkdir -p .gpu/a .gpu/b
  xz -6 -T2 -c "$MODEL" > .gpu/gguf.xz
  head -c $SPLIT_AT .gpu/gguf.xz > .gpu/a/gguf.xz.part-a
  tail -c +$((SPLIT_AT + 1)) .gpu/gguf.xz > .gpu/b/gguf.xz.part-b
  rm .gpu/gguf.xz
  cp ../shared/wheels/py312/*.whl .gpu/a/
  cp -r "$TOKENIZER" .gpu/b/tokenizer
  cp "$DATA" ../shared/data/human_pairs.jsonl.gz ../shared/data/probes/null_model_response.txt .gpu/b/
  du -sh .gpu/a .gpu/b
}

python_env() {  # the image's python3 as python, the wheels first on the path, then the checkout's src
  mkdir -p /tmp/bin && ln -sf "$(command -v python3)" /tmp/bin/python
  export PATH=/tmp/bin:$PATH PYTHONPATH=/tmp/site:$PWD/src PYTHONUNBUFFERED=1
}

prepare() {
  mkdir -p $STAGE && cp .gpu/a/* $STAGE/
  python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site $STAGE/*.whl
  python_env
  nvidia-smi -L
  python -c "import torch, transformers, lightning, jsonargparse, datasets, gguf, pyarrow
print(torch.__version__, torch.version.cuda, transformers.__version__, lightning.__version__, pyarrow.__version__)"
  SMOKE=1 GPU_ART=/tmp/smoke GPU_RESULTS=/tmp/smoke/results bash scripts/gpu/replicate.sh > "$OUT/smoke.log" 2>&1 \
    || { tail -n 60 "$OUT/smoke.log"; exit 1; }
  grep "== gpu" "$OUT/smoke.log"
  python scripts/gpu/rollout_speed.py measure --config /tmp/smoke/tiny/model/config.json --processes 1 --steps 1 \
    --rollouts 4 --new-tokens 8 --out "$OUT/speed_smoke.json"
}

save() {  # what the replicate has done so far into $OUT (the tool returns at most 8 files): its results, its processes'
          # output, its runs' TensorBoard logs (no checkpoints), its RMs' training records (no weights) and the test
          # responses and scores made so far, so that a call cut short can still be compared and plotted here
  local runs
  mkdir -p /tmp/gpu_logs /tmp/gpu_art/eval && cp /tmp/gpu_art/*.log /tmp/gpu_logs/ 2> /dev/null || true
  runs=$(cd /tmp/gpu_art && ls -d -- */logs */export/training.json */export/config.json 2> /dev/null || true)
  # shellcheck disable=SC2086
  tar -czf "$OUT/results_gpu.tar.gz.partial" --exclude=checkpoints results/gpu -C /tmp gpu_logs -C /tmp/gpu_art eval $runs
  mv "$OUT/results_gpu.tar.gz.partial" "$OUT/results_gpu.tar.gz"
}

run() {
  local deadline=$(($(date +%s) + ${DEADLINE_IN:?seconds this call may run}))
  [[ -f $STAGE/gguf.xz.part-a ]] || { echo "no $STAGE/gguf.xz.part-a: a new machine; run prepare first" >&2; exit 3; }
  cp -r .gpu/b/* $STAGE/
  python3 -c "import lzma, sys
parts = b''.join(open(p, 'rb').read() for p in sys.argv[2:])
open(sys.argv[1], 'wb').write(lzma.decompress(parts))" $STAGE/$GGUF $STAGE/gguf.xz.part-a $STAGE/gguf.xz.part-b
  local pinned
  pinned=$(awk '$2 ~ /Q4_1.gguf$/ { print $1 }' results/artifacts.sha256)
  [[ $(sha256sum $STAGE/$GGUF | cut -d' ' -f1) == "$pinned" ]] || { echo "the GGUF differs from its pin" >&2; exit 3; }
  python_env
  rm -rf results/gpu && mkdir -p results/gpu /tmp/gpu_art
  trap save EXIT
  ON_STAGE="bash scripts/gpu/device.sh save" DEADLINE=$deadline GPU_ART=/tmp/gpu_art GPU_RESULTS=results/gpu \
    MODEL=$STAGE/$GGUF TOKENIZER=$STAGE/tokenizer DATA=$STAGE/prefmix_pairs.jsonl.gz \
    HUMAN=$STAGE/human_pairs.jsonl.gz PROBE=$STAGE/null_model_response.txt \
    bash scripts/gpu/replicate.sh 2>&1 | tee "$OUT/replicate.log"
}

unpack() {  # unpack TARBALL: the replicate's results into the checkout; its logs and test responses beside the CPU
            # study's artifacts, in $RLHF_ARTIFACTS/gpu/{logs,eval}
  local art=${RLHF_ARTIFACTS:-$HOME/rlhf_artifacts}/gpu
  rm -rf results/gpu && mkdir -p "$art/logs"
  tar -xzf "${1:?the results_gpu.tar.gz that run left in \$OUT}" results/gpu
  tar -xzf "$1" -C "$art/logs" --strip-components=1 gpu_logs
  tar -xzf "$1" -C "$art" --exclude=results --exclude=gpu_logs  # eval/, each run's logs/, each RM's export/*.json
  ls results/gpu
}

"${@:?pack, prepare, run, save or unpack}"
