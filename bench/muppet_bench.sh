#!/usr/bin/env bash
# bench/muppet_bench.sh [--epochs N] [--models "fmnist-cnn resnet20"] [--threads N] [--quick]
#
# The MuPPET schedule end to end (issue 18): each model trained on Fashion-MNIST for the same epochs
# in f32 and with `--precision muppet` (fx8 → fx12 → fx14 → fx16 → f32 by MuPPET's gradient-diversity
# policy, its defaults: an estimate every 3 epochs, 2 violations to switch), in one sitting. Prints a
# markdown table: final test accuracy, training time, the time ratio f32 / muppet, and the precision
# of each epoch; the policy's decisions go to the raw section. Written to
# bench/results/muppet-<date>.md. Fixed point runs emulated in f32 (no integer kernels yet), so a
# muppet epoch is slower than an f32 one: the ratio measures that, it does not model a speed-up.
#   --quick   fmnist-cnn only, 3 epochs
# Environment: EDGETRAIN_BENCH_BUILD (default build).
set -euo pipefail

epochs=6 threads=2 models="fmnist-cnn resnet20"
while [ $# -gt 0 ]; do
  case "$1" in
    --epochs) epochs=${2:?--epochs needs a value}; shift ;;
    --models) models=${2:?--models needs a value}; shift ;;
    --threads) threads=${2:?--threads needs a value}; shift ;;
    --quick) epochs=3; models=fmnist-cnn ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "muppet_bench.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=bench/bench_env.sh
source "$(dirname "$0")/bench_env.sh"
bench_env muppet "$threads"

{
  echo "| model | precision | test accuracy | training s | f32 time / this | precision per epoch |"
  echo "|---|---|---|---|---|---|"
} > "$work/table"
for model in $models; do
  for p in f32 muppet; do
    "$et" train --model "$model" --input 1x28x28 --epochs "$epochs" --precision "$p" --out "$work/$p.ckpt" \
      --json "$work/$p.json" > "$work/$p.log" 2>&1 || { tail -5 "$work/$p.log" >&2; exit 1; }
    grep -E "^epoch [0-9]+/[0-9]+:|precision:" "$work/$p.log" | sed "s/^/$model $p: /" >> "$work/raw"
  done
  for p in f32 muppet; do
    python3 - "$work/$p.json" "$work/f32.json" "$model" "$p" >> "$work/table" <<'PY'
import json, sys
r, f32 = (json.load(open(f)) for f in sys.argv[1:3])
secs = lambda j: sum(e["seconds"] for e in j["epochs"])
per_epoch = " ".join(e.get("precision", "f32") for e in r["epochs"])
print(f"| {sys.argv[3]} | {sys.argv[4]} | {100 * r['test_accuracy']:.2f} % | {secs(r):.1f} | "
      f"{secs(f32) / secs(r):.2f}× | {per_epoch} |")
PY
  done
  echo "$model done" >&2
done
{
  echo "# MuPPET schedule against f32, Fashion-MNIST, $epochs epochs, $(date -u '+%Y-%m-%d %H:%M UTC'), ${cpu:-unknown CPU}, $threads threads"
  echo
  cat "$work/table"
  echo
  echo '```'
  cat "$work/raw"
  echo '```'
} > "$out"
cat "$work/table"
echo "written to $out" >&2
