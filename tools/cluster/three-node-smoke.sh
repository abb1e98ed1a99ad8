#!/usr/bin/env bash
# The smoke preset on a three-node cluster on loopback, as BENCHMARKS.md ("Three nodes") measured it: n1 hosts run,
# prompt, trainer and judge; r1 and r2 host rollout (two generator slots, so both get one); weights over HTTP; the
# journal in PostgreSQL (.ci/postgres.sh starts a server on loopback). From the repository root, after a Release build:
#   bash tools/cluster/three-node-smoke.sh [WORK_DIR]
# KIMI points at kimi.dll (default: the Host's Release output; copy it elsewhere first if you build while this runs).
# Writes WORK_DIR/run (summary.json with the nodes of each role and the generators' placement) and the nodes' logs.
set -u
work=${1:-/tmp/kimi-three-node}
kimi=${KIMI:-src/Kimi.Actors.Host/bin/Release/net10.0/kimi.dll}
base=${PORT:-47011}
rm -rf "$work"; mkdir -p "$work"
export KIMI_PERSISTENCE_CONNECTION_STRING=${KIMI_PERSISTENCE_CONNECTION_STRING:-$(.ci/postgres.sh)}
common=(--set kimi.persistence.provider=postgres --set kimi.cluster.rollout-slots=2
        --set kimi.workers.weights.transport=http --set "kimi.persistence.checkpoint-dir=$work/checkpoints")
pids=()
stop() { kill -TERM "${pids[@]}" 2>/dev/null; sleep 20; kill -9 "${pids[@]}" 2>/dev/null; }
trap stop EXIT
dotnet "$kimi" node --roles run,prompt,trainer,judge --port "$base" --seed "127.0.0.1:$base" "${common[@]}" > "$work/n1.log" 2>&1 &
pids+=($!)
sleep 8
for i in 1 2; do
  dotnet "$kimi" node --roles rollout --port $((base + i)) --seed "127.0.0.1:$base" "${common[@]}" > "$work/r$i.log" 2>&1 &
  pids+=($!)
done
sleep 12
/usr/bin/time -v dotnet "$kimi" train --cluster "127.0.0.1:$base" --preset smoke --out "$work/run" 2>&1 | tee "$work/train.log"
