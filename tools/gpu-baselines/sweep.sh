#!/usr/bin/env bash
# On the GPU host, from the repository root with .gpu/ prepared from tools/Kimi.Bench (its publish output holds kimi.dll
# and Kimi.Bench.dll) and OUT set: bash tools/gpu-baselines/sweep.sh CELLS [DEADLINE_S]. The cell files of the runs in
# BENCHMARKS.md are in tools/gpu-baselines/sweeps/ (long2short cells read the long-CoT checkpoint from .gpu/long and,
# for merge, the short one from .gpu/shortck: copy them there before the device call).
# Runs every line of a cell file ("NAME train|l2s|bench ARGS...") at once on CUDA, each under a deadline: train is kimi
# train on the local engine, l2s is kimi long2short, bench is Kimi.Bench (ARGS name its command; --json is added). The
# rendered-sum family needs DejaVu Sans Mono: put DejaVuSansMono.ttf in .gpu/fonts (the GPU image has no fonts).
# Packs summary.json, metrics.jsonl, ablation.json and the log tail of each (and the final checkpoint of cells named
# short*) into $OUT/sweep.tar.gz.
set -uo pipefail
cells=${1:?cells file}; : "${OUT:?set OUT to the results folder}"; deadline=${2:-540}
here=$(cd "${GPU_DIR:-.gpu}" && pwd)
if [[ ! -d "$here/app" ]]; then tar -xJf "$here/app.tar.xz" -C "$here"; fi
if [[ ! -x /tmp/dotnet/dotnet ]]; then mkdir -p /tmp/dotnet && tar -xJf "$here/dotnet.tar.xz" -C /tmp/dotnet; fi
export KIMI_HOCON_DIR=$PWD/hocon
# The rendered-sum family draws with DejaVu Sans Mono through fontconfig.
for f in /usr/share/fonts/truetype/dejavu "$HOME/.fonts"; do mkdir -p "$f" 2>/dev/null && cp "$here"/fonts/*.ttf "$f"/ 2>/dev/null; done
command -v fc-cache >/dev/null && fc-cache -f >/dev/null 2>&1; echo "fonts: $(ldconfig -p | grep -c fontconfig) fontconfig libs, $(command -v fc-list && fc-list | grep -c DejaVu)"
w=/tmp/sweep; rm -rf $w; mkdir -p $w
while read -r name kind args; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  mkdir -p $w/$name
  common="--set kimi.persistence.sqlite-file=$w/$name/k.db --set kimi.persistence.checkpoint-dir=$w/$name/ck --set kimi.run.runs-dir=$w/$name/runs"
  app=kimi.dll
  if [[ $kind == bench ]]; then app=Kimi.Bench.dll; mkdir -p $w/$name/run; cmd="$args --json $w/$name/run/ablation.json"
  elif [[ $kind == train ]]; then cmd="train --out $w/$name/run --set kimi.run.engine=local --device cuda $common $args"
  else cmd="long2short --out $w/$name/run --device cuda $common $args"; fi
  ( eval "timeout $deadline bash $here/run.sh $app $cmd" > $w/$name/log.txt 2>&1; echo "rc=$? s=$SECONDS" >> $w/$name/log.txt ) &
done < "$cells"
wait
mkdir -p $w/pack
for d in $w/*/; do n=$(basename $d); [[ $n == pack ]] && continue; mkdir -p $w/pack/$n
  cp $d/run/summary.json $d/run/metrics.jsonl $d/run/ablation.json $w/pack/$n/ 2>/dev/null
  if [[ $n == short* ]]; then cp -r $d/run/checkpoints/final $w/pack/$n/checkpoint 2>/dev/null; fi
  tail -n 60 $d/log.txt > $w/pack/$n/log-tail.txt
  echo "== $n"; tail -n 2 $d/log.txt; done
tar -czf $OUT/sweep.tar.gz -C $w/pack .
