#!/usr/bin/env bash
# One GPU job: the engine benchmark (tools/Kimi.Bench engine) and the PyTorch baselines, on the same card in the same job.
# On the build machine: /work/shared/gpu/prepare.sh tools/Kimi.Bench/Kimi.Bench.csproj (writes .gpu/); then on the GPU
# host from the repository root, with OUT set: bash tools/gpu-baselines/run-engine.sh
#   TRAIN=8x640,32x640 (default) also measures training against train_baseline.py; TRAIN=none skips both.
#   BATCHES=1,16,64 (default) the decode batch sizes of both sides; MICRO=32768 the trainer's micro-batch tokens.
#   GPU_DIR, NATIVE and BASELINES name the prepared folder, the shim's sources and these scripts when they travel elsewhere.
# The CUDA-graph shim is built first (CMake against python3's torch); the engine runs eagerly, then (shim built) with graphs.
set -uo pipefail
: "${OUT:?set OUT to the results folder}"
GPU_DIR=${GPU_DIR:-.gpu}; NATIVE=${NATIVE:-native/kimi_cuda_graphs}; BASELINES=${BASELINES:-tools/gpu-baselines}
TRAIN=${TRAIN:-8x640,32x640}
BATCHES=${BATCHES:-1,16,64}
# Padded tokens per forward/backward pass of the trainer (32 x 640 fits one pass on an H200, as the baseline runs it).
MICRO=${MICRO:-32768}
# .gpu travels with its program packed (app.tar.xz) to stay under the 64 MiB a device call carries.
if [[ ! -d "$GPU_DIR/app" && -f "$GPU_DIR/app.tar.xz" ]]; then tar -xJf "$GPU_DIR/app.tar.xz" -C "$GPU_DIR"; fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
shim=""
if (timeout 240 cmake -S "$NATIVE" -B /tmp/kimi_cuda_graphs -DCMAKE_BUILD_TYPE=Release \
    && timeout 240 cmake --build /tmp/kimi_cuda_graphs -j 16) > "$OUT/shim-build.log" 2>&1; then
  shim=/tmp/kimi_cuda_graphs/libkimi_cuda_graphs.so; echo "shim built in ${SECONDS}s"
else
  echo "shim build failed (tail):"; tail -n 20 "$OUT/shim-build.log"
fi
BATCHES=$BATCHES timeout 200 python3 "$BASELINES"/baseline_decode.py > "$OUT/baseline_decode.log" 2>&1
echo "baseline decode done at ${SECONDS}s"; tail -n 12 "$OUT/baseline_decode.log"
train_args=(--train "$TRAIN" --micro-batch-tokens "$MICRO")
if [[ "$TRAIN" != none ]]; then
  timeout 120 python3 "$BASELINES"/train_baseline.py > "$OUT/train_baseline.log" 2>&1; tail -n 3 "$OUT/train_baseline.log"
  train_args+=(--train-baseline "$OUT/train_baseline.json")
fi
timeout 240 bash "$GPU_DIR/run.sh" Kimi.Bench.dll engine --device cuda --graphs off --batches "$BATCHES" "${train_args[@]}" \
  --baseline "$OUT/graph_baseline.json" --json "$OUT/engine-eager.json" > "$OUT/engine-eager.log" 2>&1
echo "engine (eager) rc $? at ${SECONDS}s"; grep -v '^  ' "$OUT/engine-eager.log" | tail -n 16
if [[ -n "$shim" ]]; then
  KIMI_CUDA_GRAPHS=$shim timeout 200 bash "$GPU_DIR/run.sh" Kimi.Bench.dll engine --device cuda --graphs on --batches "$BATCHES" --train none \
    --baseline "$OUT/graph_baseline.json" --json "$OUT/engine-graphs.json" > "$OUT/engine-graphs.log" 2>&1
  echo "engine (graphs) rc $? at ${SECONDS}s"; tail -n 14 "$OUT/engine-graphs.log"
fi
