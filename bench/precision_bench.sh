#!/usr/bin/env bash
# bench/precision_bench.sh [--runs N] [--threads N] [--precisions "f32 bf16 fx16 fx8"] [--quick]
#
# Low-precision training (issue 18), in one sitting on this machine: per case the training step of
# edgetrain in each precision (`edgetrain bench --precision`), and PyTorch with channels_last + bf16
# autocast (../shared/peers/torch_train_step_best.py cl_bf16, the configuration a PyTorch user picks
# for bf16). Cases: resnet18 224² b8 and b32, mobilenet_v2 224² b8, fmnist-cnn 28² b64.
# Prints a markdown table, one row per case and precision: images/s, over edgetrain f32, over PyTorch
# bf16, the plan's stored activations and activation gradients (requested bytes, before reuse) over
# f32's, and the measured peak RSS. Written, with the raw lines, to bench/results/precision-<date>.md.
# Fixed point (fx*) runs emulated in f32 (no integer kernels yet): its speed is the emulation's.
#   --quick   resnet18 224² b8 and fmnist-cnn only, 3 timed steps
# Environment: EDGETRAIN_PEERS (default <repo>/../shared/peers), EDGETRAIN_BENCH_BUILD (default build).
set -euo pipefail

runs=5 threads=2 quick=0 precisions="f32 bf16 fx16 fx8"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=${2:?--runs needs a value}; shift ;;
    --threads) threads=${2:?--threads needs a value}; shift ;;
    --precisions) precisions=${2:?--precisions needs a value}; shift ;;
    --quick) quick=1; runs=3 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "precision_bench.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=bench/bench_env.sh
source "$(dirname "$0")/bench_env.sh"
bench_env precision "$threads"
peers=${EDGETRAIN_PEERS:-$root/../shared/peers}
[ -f "$peers/torch_train_step_best.py" ] || { echo "precision_bench.sh: peers not found in $peers" >&2; exit 2; }

# model input batch torchvision-name (empty: no PyTorch peer)
cases=("resnet18 3x224x224 8 resnet18" "resnet18 3x224x224 32 resnet18" "mobilenet_v2 3x224x224 8 mobilenet_v2"
       "fmnist-cnn 1x28x28 64 -")
[ "$quick" = 1 ] && cases=("resnet18 3x224x224 8 resnet18" "fmnist-cnn 1x28x28 64 -")

json() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

{
  echo "| case | precision | img/s | over edgetrain f32 | over PyTorch cl+bf16 | stored activations over f32 (plan) | peak RSS |"
  echo "|---|---|---|---|---|---|---|"
} > "$work/table"
stored='lambda f: (lambda r: r["activations"] + r["activation_grads"])(json.load(open(f))["planned_requests_bytes"])'
for c in "${cases[@]}"; do
  read -r model input batch tv <<< "$c"
  res=${input##*x}
  torch_ips="-"
  if [ "$tv" != "-" ]; then
    # PyTorch 1.13 has no bf16 backward for some ops (ReLU6's hardtanh): the row says so.
    line=$(/usr/bin/python3 "$peers/torch_train_step_best.py" "$tv" "$res" "$batch" "$threads" "$runs" cl_bf16 2>&1 |
      tail -1) || true
    echo "$tv ${res}² b$batch cl_bf16: $line" >> "$work/raw"
    torch_ips=$(sed -n 's/.*img_per_s=\([0-9.]*\).*/\1/p' <<< "$line")
    [ -n "$torch_ips" ] || torch_ips="fails"
  fi
  for p in f32 $precisions; do
    [ "$p" = f32 ] && [ -f "$work/f32.json" ] && continue
    "$et" bench --model "$model" --input "$input" --batch "$batch" --precision "$p" --runs "$runs" \
      --json "$work/$p.json" > /dev/null
    "$et" plan --model "$model" --input "$input" --batch "$batch" --precision "$p" --json "$work/plan-$p.json" > /dev/null
  done
  f32=$(json "$work/f32.json" "round(j['batch'] * 1000 / j['step_ms'], 1)")
  for p in $precisions; do
    ips=$(json "$work/$p.json" "round(j['batch'] * 1000 / j['step_ms'], 1)")
    act=$(python3 -c "import json; s=$stored; print(round(s('$work/plan-$p.json') / s('$work/plan-f32.json'), 3))")
    rss=$(json "$work/$p.json" "f\"{j['peak_rss_bytes'] / 2**20:.0f} MiB\"")
    vs_torch="-"
    [[ "$torch_ips" =~ ^[0-9.]+$ ]] && vs_torch=$(python3 -c "print(f'{$ips / $torch_ips:.2f}×')")
    echo "| $model ${res}² b$batch | $p | $ips | $(python3 -c "print(round($ips / $f32, 2))")× | $vs_torch | $act | $rss |" >> "$work/table"
    echo "$model ${res}² b$batch $p: $ips img/s (f32 $f32, PyTorch bf16 $torch_ips)" >&2
  done
  echo "| $model ${res}² b$batch | PyTorch cl+bf16 | $torch_ips | | | | |" >> "$work/table"
  rm -f "$work"/*.json
done
{
  echo "# Low-precision training, $(date -u '+%Y-%m-%d %H:%M UTC'), ${cpu:-unknown CPU}, $threads threads, $runs timed steps"
  echo
  cat "$work/table"
  echo
  echo '```'
  cat "$work/raw" 2>/dev/null || true
  echo '```'
} > "$out"
cat "$work/table"
echo "written to $out" >&2
