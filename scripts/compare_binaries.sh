#!/bin/sh
# Checks that a change to the compiler or the kernels left behaviour identical: runs two edgetrain
# binaries (e.g. one built before the change, copied aside, and one built after) on the same plans and
# the same short training runs, and compares their outputs byte for byte.
#
#   scripts/compare_binaries.sh OLD_BINARY NEW_BINARY [WORKDIR]
#
# Compared: `plan --steps` for zoo models on each backend (SGD, Adam with last:3, inference, frozen
# BatchNorm), and the checkpoints written by `train` for two epochs on 256 Fashion-MNIST images; an
# imported model too: ONNX=FILE.onnx (1x28x28 input), else the old binary's export of a zoo
# MobileNetV3-Small.
# Backend pairs are given as OLD:NEW (BACKENDS="auto:auto ref:native"), so a renamed backend can be
# compared with its old name: its name is then ignored in the plans' implementation column and the
# checkpoints' recorded backend. A kernel that moved between backends is named in RENAMES as
# "OLD IMPL=NEW IMPL" pairs separated by ';' (the plans' implementation column, e.g.
# RENAMES="onednn edgetrain:nChw16c=native"). Prints one line per comparison and exits non-zero when
# any differ.
set -eu
old=$1 new=$2 dir=${3:-/tmp/compare-binaries}
backends=${BACKENDS:-auto:auto onednn:onednn}
mkdir -p "$dir"

# 256 training and 64 test images in IDX form.
python3 - "$dir" <<'EOF'
import gzip, sys
src, out = "/usr/share/datasets/fashion-mnist", sys.argv[1]
for split, n in (("train", 256), ("t10k", 64)):
    with gzip.open(f"{src}/{split}-images-idx3-ubyte.gz") as f: images = f.read(16 + n * 784)
    with gzip.open(f"{src}/{split}-labels-idx1-ubyte.gz") as f: labels = f.read(8 + n)
    count = n.to_bytes(4, "big")
    open(f"{out}/{split}-images", "wb").write(images[:4] + count + images[8:])
    open(f"{out}/{split}-labels", "wb").write(labels[:4] + count + labels[8:])
EOF
data="idx:$dir/train-images,$dir/train-labels"
onnx=${ONNX:-$dir/imported.onnx}
[ -n "${ONNX:-}" ] || "$old" export --model mobilenet_v3_small --input 1x28x28 -o "$onnx" >/dev/null
test_data="idx:$dir/t10k-images,$dir/t10k-labels"

failures=0
# With differently named backends: the same once the old name reads as the new one (plans: the
# implementation column; checkpoints: the recorded backend, with the tensors compared byte for byte).
same_but_names() {
  python3 - "$1" "$2" "$ob" "$nb" "${RENAMES:-}" <<'PY'
import json, re, struct, sys
a, b = (open(p, "rb").read() for p in sys.argv[1:3])
old, new, renames = sys.argv[3:6]
def checkpoint(data):  # magic, u64 size, u64 JSON length, JSON, tensors, u64 checksum (of it all)
    if not data.startswith(b"EDGETRN"): return None
    n = struct.unpack_from("<Q", data, 24)[0]
    return json.loads(data[32:32 + n]), data[32 + n:-8]
ca, cb = checkpoint(a), checkpoint(b)
if ca and cb:
    training = ca[0].get("training", {})
    if training.get("backend") == old: training["backend"] = new
    sys.exit(0 if ca == cb else 1)
if ca or cb: sys.exit(1)
def name(text, renamed):
    text = re.sub(r" +", " ", text.decode())
    for pair in (renames.split(";") if renamed and renames else []):
        was, now = pair.split("=")
        text = text.replace(" %s " % was, " %s " % now)
    return re.sub(r" (%s|%s) " % (re.escape(old), re.escape(new)), " IMPL ", text)
sys.exit(0 if name(a, True) == name(b, False) else 1)
PY
}

run_pair() {  # label, output file (or - for stdout), arguments...
  label=$1 file=$2; shift 2
  if [ "$file" = - ]; then
    "$old" "$@" --backend "$ob" >"$dir/a" 2>&1 || echo "old exited $?" >>"$dir/a"
    "$new" "$@" --backend "$nb" >"$dir/b" 2>&1 || echo "new exited $?" >>"$dir/b"
  else
    "$old" "$@" --backend "$ob" --out "$dir/a" >/dev/null 2>&1 || echo "old exited $?" >>"$dir/a"
    "$new" "$@" --backend "$nb" --out "$dir/b" >/dev/null 2>&1 || echo "new exited $?" >>"$dir/b"
  fi
  renamed=$([ "$ob" != "$nb" ] || [ -n "${RENAMES:-}" ] && echo yes || true)
  if cmp -s "$dir/a" "$dir/b" || { [ -n "$renamed" ] && same_but_names "$dir/a" "$dir/b"; }; then
    echo "same    $label ($ob:$nb)"
  else
    echo "DIFFER  $label ($ob:$nb)"
    failures=$((failures + 1))
  fi
}

for pair in $backends; do
  ob=${pair%%:*} nb=${pair#*:}
  for model in fmnist-cnn resnet18 mobilenet_v2 resnet20 mobilenet_v3_small efficientnet_b0 shufflenet_v2_x0_5; do
    run_pair "plan $model sgd" - plan --model "$model" --steps
    run_pair "plan $model adam last:3" - plan --model "$model" --steps --optimizer adam --trainable last:3
    run_pair "plan $model inference" - plan --model "$model" --steps --inference --batch 1
    run_pair "plan $model frozen bn" - plan --model "$model" --steps --freeze-bn --batch 8
  done
  for model in fmnist-cnn resnet20 mobilenet_v2 mobilenet_v3_small; do
    run_pair "train $model" file train --model "$model" --data "$data" --test-data "$test_data" --epochs 2 \
      --batch 32
  done
  run_pair "plan $onnx" - plan --model "$onnx" --steps --batch 8
  run_pair "train $onnx" file train --model "$onnx" --data "$data" --test-data "$test_data" --epochs 2 --batch 32
  run_pair "train resnet20 last:4 sgd" file train --model resnet20 --data "$data" --test-data "$test_data" \
    --epochs 2 --batch 32 --trainable last:4 --optimizer sgd
done
echo "$failures comparisons differ"
[ "$failures" -eq 0 ]
