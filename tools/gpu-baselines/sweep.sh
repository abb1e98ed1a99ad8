#!/usr/bin/env bash
# On the GPU host, from the repository root with .gpu/ prepared from tools/Kimi.Bench (its publish output holds kimi.dll
# and Kimi.Bench.dll) and OUT set: bash tools/gpu-baselines/sweep.sh CELLS [DEADLINE_S]. The cell files of the runs in
# BENCHMARKS.md are in tools/gpu-baselines/sweeps/ (long2short cells read the long-CoT checkpoint from .gpu/long and,
# for merge, the short one from .gpu/shortck: copy them there before the device call).
# Runs every line of a cell file ("NAME train|l2s|bench ARGS...") at once on CUDA, each under a deadline: train is kimi
# train on the local engine, l2s is kimi long2short, bench is Kimi.Bench (ARGS name its command; --json is added). The
# rendered-sum family needs DejaVu Sans Mono: put DejaVuSansMono.ttf in .gpu/fonts (the GPU image has no fonts).
# A cell may start from another cell's result: "@NAME" in its ARGS waits for cell NAME to finish (within the deadline)
# and becomes that cell's policy (a train cell's checkpoints/final, a long2short cell's checkpoint), e.g.
# "l2srl l2s --method rl --checkpoint @long" or "merge l2s --method merge --checkpoint @long --short @l2srl".
# Packs summary.json, metrics.jsonl, ablation.json and the log tail of each (and the final checkpoint of cells named
# short* or long*) into $OUT/sweep.tar.gz.
set -uo pipefail
cells=${1:?cells file}; : "${OUT:?set OUT to the results folder}"; deadline=${2:-540}
here=$(cd "${GPU_DIR:-.gpu}" && pwd)
if [[ ! -d "$here/app" ]]; then tar -xJf "$here/app.tar.xz" -C "$here"; fi
if [[ ! -x /tmp/dotnet/dotnet ]]; then mkdir -p /tmp/dotnet && tar -xJf "$here/dotnet.tar.xz" -C /tmp/dotnet; fi
export KIMI_HOCON_DIR=$PWD/hocon
# The rendered-sum family draws with DejaVu Sans Mono through fontconfig.
for f in /usr/share/fonts/truetype/dejavu "$HOME/.fonts"; do mkdir -p "$f" 2>/dev/null && cp "$here"/fonts/*.ttf "$f"/ 2>/dev/null; done
command -v fc-cache >/dev/null && fc-cache -f >/dev/null 2>&1; echo "fonts: $(ldconfig -p | grep -c fontconfig) fontconfig libs, $(command -v fc-list && fc-list | grep -c DejaVu)"
w=/tmp/sweep; rm -rf $w; mkdir -p $w; t0=$SECONDS
policy_of() { if [[ -d $w/$1/run/checkpoint ]]; then echo $w/$1/run/checkpoint; else echo $w/$1/run/checkpoints/final; fi; }
while read -r name kind args; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  mkdir -p $w/$name
  common="--set kimi.persistence.sqlite-file=$w/$name/k.db --set kimi.persistence.checkpoint-dir=$w/$name/ck --set kimi.run.runs-dir=$w/$name/runs"
  app=kimi.dll
  if [[ $kind == bench ]]; then app=Kimi.Bench.dll; mkdir -p $w/$name/run; cmd="$args --json $w/$name/run/ablation.json"
  elif [[ $kind == train ]]; then cmd="train --out $w/$name/run --set kimi.run.engine=local --device cuda $common $args"
  else cmd="long2short --out $w/$name/run --device cuda $common $args"; fi
  (
    for dep in $(grep -o '@[A-Za-z0-9_-]*' <<< "$cmd" | tr -d @ | sort -u); do
      while [[ ! -f $w/$dep/done ]] && (( SECONDS - t0 < deadline )); do sleep 2; done
      if [[ ! -f $w/$dep/done ]]; then echo "gave up waiting for cell $dep after ${deadline}s" >> $w/$name/log.txt; fi
      cmd=${cmd//@$dep/$(policy_of $dep)}
    done
    left=$(( deadline - (SECONDS - t0) )); (( left < 1 )) && left=1
    echo "started at $(( SECONDS - t0 ))s: $cmd" > $w/$name/log.txt
    eval "timeout $left bash $here/run.sh $app $cmd" >> $w/$name/log.txt 2>&1; echo "rc=$? s=$(( SECONDS - t0 ))" >> $w/$name/log.txt
    touch $w/$name/done ) &
done < "$cells"
wait
mkdir -p $w/pack
for d in $w/*/; do n=$(basename $d); [[ $n == pack ]] && continue; mkdir -p $w/pack/$n
  cp $d/run/summary.json $d/run/metrics.jsonl $d/run/ablation.json $w/pack/$n/ 2>/dev/null
  if [[ $n == short* || $n == long* ]]; then cp -r $d/run/checkpoints/final $w/pack/$n/checkpoint 2>/dev/null; fi
  tail -n 60 $d/log.txt > $w/pack/$n/log-tail.txt
  echo "== $n"; tail -n 2 $d/log.txt; done
tar -czf $OUT/sweep.tar.gz -C $w/pack .
