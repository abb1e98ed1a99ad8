#!/usr/bin/env bash
# One GPU job: whole RL iterations through the actors (Run, Prompt, RolloutGenerator, RewardJudge and Trainer entities on a
# one-node cluster, GPU workers in their own processes) on one CUDA device, with a CUDA out-of-memory error injected into
# the first generator's first batch (kimi.faults: action device-oom), so its supervisor must restart it, reload its weights
# and send the batch again. Model: the Qwen2-0.5B shape without its vocabulary (24 layers, hidden 896, 14/2 heads,
# intermediate 4864; the built-in character tokenizer), random weights, bf16; 64 prompts x 8 samples = 512 samples per
# iteration. On the GPU host from the repository root, with OUT set and .gpu/ prepared from tools/Kimi.Bench (its publish
# output holds kimi.dll and kimi-worker.dll): bash tools/gpu-baselines/run-rl-iteration.sh
set -uo pipefail
: "${OUT:?set OUT to the results folder}"
GPU_DIR=${GPU_DIR:-.gpu}
ITERATIONS=${ITERATIONS:-3}
if [[ ! -d "$GPU_DIR/app" && -f "$GPU_DIR/app.tar.xz" ]]; then tar -xJf "$GPU_DIR/app.tar.xz" -C "$GPU_DIR"; fi
shim_args=()
if [[ -n "${KIMI_CUDA_GRAPHS:-}" ]]; then echo "CUDA graphs from $KIMI_CUDA_GRAPHS"; fi
timeout 480 bash "$GPU_DIR/run.sh" kimi.dll train --out "$OUT/rl-run" \
  --set kimi.run.device=cuda --set 'kimi.workers.devices=[cuda]' --set kimi.run.iterations="$ITERATIONS" \
  --set kimi.model.hidden-size=896 --set kimi.model.intermediate-size=4864 --set kimi.model.layers=24 \
  --set kimi.model.attention-heads=14 --set kimi.model.kv-heads=2 --set kimi.model.rope-theta=1000000 \
  --set kimi.model.dtype=bfloat16 --set kimi.model.max-positions=256 \
  --set kimi.sft.steps=20 --set kimi.sft.learning-rate=1e-4 \
  --set kimi.rollout.prompts-per-iteration=64 --set kimi.rollout.samples-per-prompt=8 --set kimi.rollout.token-budget=0 \
  --set kimi.optimization.learning-rate=1e-6 --set kimi.optimization.micro-batch-tokens=32768 \
  --set kimi.eval.every-iterations=0 --set kimi.tasks.heldout-per-level=10 --set kimi.tasks.validation-per-level=10 \
  --set kimi.faults.enabled=on \
  --set 'kimi.faults.rules=[{ target = gpu-worker, message = GenerateBatch, action = device-oom, nth = 1, incarnation = 1 }]' \
  "$@" > "$OUT/rl-run.log" 2>&1
echo "kimi train rc $? at ${SECONDS}s"
grep -E "fault inject|out of memory|restart" "$OUT/rl-run.log" | head -n 12
tail -n 25 "$OUT/rl-run.log"
