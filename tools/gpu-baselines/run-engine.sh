#!/usr/bin/env bash
# One GPU job: the engine benchmark (tools/Kimi.Bench engine) and the PyTorch baselines, on the same card in the same job.
# On the build machine: /work/shared/gpu/prepare.sh tools/Kimi.Bench/Kimi.Bench.csproj (writes .gpu/); then on the GPU
# host from the repository root, with OUT set: bash tools/gpu-baselines/run-engine.sh
#   TRAIN=8x640,32x640 (default) also measures training against train_baseline.py; TRAIN=none skips both.
#   BATCHES=1,16,64 (default) the decode batch sizes of both sides (none: no decoding); MICRO=32768 the trainer's micro-batch tokens.
#   ANATOMY=1 also times the phases of a training step on both sides (forward, backward, the decoder layers alone).
#   EAGER=0 skips the engine's eager run (no shim: TorchSharp alone); KERNELS_OFF=1 adds a run with graphs but
#   KIMI_CUDA_KERNELS=off (the libtorch sampling and optimizer), for what the fused kernels contribute; PARTIAL=N runs
#   partial-rollouts --device cuda N times with the shim.
#   GPU_DIR, NATIVE and BASELINES name the prepared folder, the shim's sources and these scripts when they travel elsewhere.
# The shim is built first (CMake against python3's torch, nvcc for its sampling kernel) and checked (Kimi.Bench
# kernel-check); the engine runs eagerly without it, then with it: CUDA graphs, the sampling kernel, fused AdamW and
# clip (training is measured in that run).
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
EAGER=${EAGER:-1}; KERNELS_OFF=${KERNELS_OFF:-0}; PARTIAL=${PARTIAL:-0}
shim=""
export CUDACXX=${CUDACXX:-$(command -v nvcc || ls /usr/local/cuda/bin/nvcc 2>/dev/null)}
if (timeout 240 cmake -S "$NATIVE" -B /tmp/kimi_cuda_graphs -DCMAKE_BUILD_TYPE=Release \
    && timeout 240 cmake --build /tmp/kimi_cuda_graphs -j 16) > "$OUT/shim-build.log" 2>&1; then
  shim=/tmp/kimi_cuda_graphs/libkimi_cuda_graphs.so; echo "shim built in ${SECONDS}s"
else
  echo "shim build failed (tail):"; tail -n 20 "$OUT/shim-build.log"
fi
if [[ -n "$shim" ]]; then
  KIMI_CUDA_GRAPHS=$shim timeout 120 bash "$GPU_DIR/run.sh" Kimi.Bench.dll kernel-check --device cuda --json "$OUT/kernel-check.json" \
    > "$OUT/kernel-check.log" 2>&1
  echo "kernel-check rc $? at ${SECONDS}s"; cat "$OUT/kernel-check.log"
fi
if [[ "$BATCHES" != none ]]; then
  BATCHES=$BATCHES timeout 200 python3 "$BASELINES"/baseline_decode.py > "$OUT/baseline_decode.log" 2>&1
  echo "baseline decode done at ${SECONDS}s"; tail -n 12 "$OUT/baseline_decode.log"
fi
train_args=(--train "$TRAIN" --micro-batch-tokens "$MICRO")
[[ "${ANATOMY:-0}" == 1 ]] && train_args+=(--anatomy)
if [[ "$TRAIN" != none ]]; then
  timeout 180 python3 "$BASELINES"/train_baseline.py > "$OUT/train_baseline.log" 2>&1; grep -E "^(train|anatomy)" "$OUT/train_baseline.log"
  train_args+=(--train-baseline "$OUT/train_baseline.json")
fi
if [[ "$BATCHES" != none ]] && [[ "$EAGER" == 1 || -z "$shim" ]]; then
  timeout 240 bash "$GPU_DIR/run.sh" Kimi.Bench.dll engine --device cuda --graphs off --batches "$BATCHES" --train none \
    --baseline "$OUT/graph_baseline.json" --json "$OUT/engine-eager.json" > "$OUT/engine-eager.log" 2>&1
  echo "engine (eager) rc $? at ${SECONDS}s"; grep -v '^  ' "$OUT/engine-eager.log" | tail -n 16
fi
if [[ -n "$shim" ]]; then
  if [[ "$BATCHES" != none ]]; then
    KIMI_CUDA_GRAPHS=$shim timeout 240 bash "$GPU_DIR/run.sh" Kimi.Bench.dll engine --device cuda --graphs on --batches "$BATCHES" --train none \
      --baseline "$OUT/graph_baseline.json" --json "$OUT/engine-graphs.json" > "$OUT/engine-graphs.log" 2>&1
    echo "engine (graphs and kernels) rc $? at ${SECONDS}s"; grep -v '^  ' "$OUT/engine-graphs.log" | tail -n 12
  fi
  # Training in a process of its own: after the decode runs, their graphs' memory pools leave the caching allocator
  # fragmented, which slowed the 8 x 640 step by a sixth when both ran in one process.
  if [[ "$TRAIN" != none ]]; then
    KIMI_CUDA_GRAPHS=$shim timeout 240 bash "$GPU_DIR/run.sh" Kimi.Bench.dll engine --device cuda --graphs off --batches 1 --new-tokens 8 \
      "${train_args[@]}" --json "$OUT/engine-train.json" > "$OUT/engine-train.log" 2>&1
    echo "engine (training, kernels) rc $? at ${SECONDS}s"; grep -E '^(train|    )' "$OUT/engine-train.log"
  fi
  if [[ "$KERNELS_OFF" == 1 && "$BATCHES" != none ]]; then
    KIMI_CUDA_KERNELS=off KIMI_CUDA_GRAPHS=$shim timeout 240 bash "$GPU_DIR/run.sh" Kimi.Bench.dll engine --device cuda --graphs on --batches "$BATCHES" \
      --train none --baseline "$OUT/graph_baseline.json" --json "$OUT/engine-graphs-kernels-off.json" > "$OUT/engine-graphs-kernels-off.log" 2>&1
    echo "engine (graphs, kernels off) rc $? at ${SECONDS}s"; grep -v '^  ' "$OUT/engine-graphs-kernels-off.log" | tail -n 12
  fi
  if [[ "$KERNELS_OFF" == 1 ]]; then
    if [[ "$TRAIN" != none ]]; then
      KIMI_CUDA_KERNELS=off KIMI_CUDA_GRAPHS=$shim timeout 240 bash "$GPU_DIR/run.sh" Kimi.Bench.dll engine --device cuda --graphs off --batches 1 \
        --new-tokens 8 "${train_args[@]}" --json "$OUT/engine-train-kernels-off.json" > "$OUT/engine-train-kernels-off.log" 2>&1
      echo "engine (training, kernels off) rc $? at ${SECONDS}s"; grep -E '^(train|    )' "$OUT/engine-train-kernels-off.log"
    fi
  fi
  for i in $(seq 1 "$PARTIAL"); do
    KIMI_CUDA_GRAPHS=$shim timeout 200 bash "$GPU_DIR/run.sh" Kimi.Bench.dll partial-rollouts --device cuda --json "$OUT/partial-$i.json" \
      > "$OUT/partial-$i.log" 2>&1
    echo "partial-rollouts $i rc $? at ${SECONDS}s"; grep -i "speedup" "$OUT/partial-$i.log"
  done
fi
# RL=N: N whole RL iterations through the actors with the shim (run-rl-iteration.sh).
if [[ "${RL:-0}" != 0 && -n "$shim" ]]; then
  KIMI_CUDA_GRAPHS=$shim ITERATIONS=$RL GPU_DIR=$GPU_DIR bash "$BASELINES"/run-rl-iteration.sh 2>&1 | tail -n 40
  echo "rl iterations done at ${SECONDS}s"
fi
# Everything in one file (a device call brings back only a few).
tar -czf /tmp/engine-out.tgz --exclude="*.safetensors" -C "$OUT" . && rm -rf "${OUT:?}"/* && mv /tmp/engine-out.tgz "$OUT/engine-out.tgz"
