#!/usr/bin/env bash
# The ONNX round trip a user runs: fine-tune a torchvision model exported by PyTorch on an image
# folder with `edgetrain train --model file.onnx`, export it with `edgetrain export`, and have an
# independent consumer (onnx.checker + OpenCV's dnn) run the export and agree with edgetrain's own
# outputs (`edgetrain eval --dump`). Bad ONNX input gives one clear error line.
# usage: onnx_cli_test.sh EDGETRAIN_BINARY FIXTURE_DIR PYTHON CHECK_EXPORT_PY
set -u
bin=$(realpath "$1")
fx=$(realpath "$2")
python=$3
check=$(realpath "$4")
here=$(dirname "$(realpath "$0")")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
source "$here/../cli/cli_lib.sh"

# --- bad input ---
expect_error "missing ONNX file" "missing.onnx" -- info --model missing.onnx
expect_error "not an ONNX file" "not an ONNX model" -- info --model "$fx/odd/not_onnx.onnx"
expect_error "truncated ONNX file" "truncated" -- info --model "$fx/odd/truncated.onnx"
expect_error "unsupported operator, named with its node" "node '/Resize' uses operator 'Resize'.*supported: Conv" -- \
  info --model "$fx/odd/unsupported_op.onnx"
expect_error "ReduceMean over channels, named with its node and axes" \
  "ReduceMean.*ReduceMean over axes \\[1\\] of a rank-4 tensor is not supported" -- \
  info --model "$fx/odd/channel_mean.onnx"
expect_error "a slice of rows, named with its node and axis" \
  "Slice.*slicing axis 2 (step 1) of \\[1x3x8x8\\] is not supported" -- info --model "$fx/odd/row_slice.onnx"
expect_error "a transpose outside a channel shuffle, with the pattern it needs" \
  "Transpose.*supported only inside a channel shuffle: Reshape" -- info --model "$fx/odd/transposed.onnx"
expect_error "dynamic spatial size" "dynamic dimension 2 ('height').*--input" -- info --model "$fx/odd/dynamic_hw.onnx"
expect_error "opset out of range" "opset 19 is outside the supported range" -- info --model "$fx/odd/opset19.onnx"
expect_error "unsupported export opset" "opset" -- export --model "$fx/tiny_ops/train.onnx" -o x.onnx --opset 9
expect_error "export to a missing directory" "does not exist" -- export --model "$fx/tiny_ops/train.onnx" -o nodir/x.onnx
[ ! -e nodir ] && ok "a failed export leaves nothing behind" || bad "a failed export left files"

# --- info on imported files ---
if "$bin" info --model "$fx/odd/dynamic_hw.onnx" --input 3x8x8 --quiet >dyn.log 2>&1; then
  ok "--input fixes a dynamic size"; else bad "--input with a dynamic size ($(cat dyn.log))"; fi
if "$bin" info --model "$fx/resnet18/train.onnx" --quiet >info.log 2>&1 && grep -q "11181642 parameters" info.log; then
  ok "info on a torchvision export counts torchvision's parameters"; else bad "info resnet18 ($(cat info.log))"; fi
if "$bin" info --model "$fx/tiny_ops/train.onnx" >tiny.log 2>&1 && grep -q "HardSwish" tiny.log && grep -q "SiLU" tiny.log && grep -q "Linear" tiny.log; then
  ok "info lists imported layers"; else bad "info tiny_ops ($(cat tiny.log))"; fi

# --- fine-tune, export, check with an independent consumer ---
data="--data folder:$fx/fmnist-folder/train --test-data folder:$fx/fmnist-folder/test"
if "$bin" train --model "$fx/resnet18/train.onnx" $data --epochs 3 --batch 16 --out ft.ckpt --json ft.json >ft.log 2>&1; then
  ok "fine-tune an ONNX model on an image folder"; else bad "fine-tune ($(tail -3 ft.log))"; fi
acc=$(grep -o '"test_accuracy": *[0-9.]*' ft.json | tail -1 | grep -o '[0-9.]*$')  # the run's (after the epochs')
if [ -n "$acc" ] && awk "BEGIN{exit !($acc > 0.8)}"; then ok "fine-tuned 3-class accuracy $acc > 0.8"; else bad "fine-tuned accuracy '$acc'"; fi
"$bin" eval --checkpoint ft.ckpt --data "folder:$fx/fmnist-folder/test" --dump sample.ett >eval.log 2>&1 ||
  bad "eval --dump ($(tail -2 eval.log))"
if "$bin" export --checkpoint ft.ckpt -o ft.onnx >export.log 2>&1 &&
   "$bin" export --checkpoint ft.ckpt -o ft_folded.onnx --fold-bn >>export.log 2>&1 &&
   "$bin" export --checkpoint ft.ckpt -o ft_opset10.onnx --opset 10 >>export.log 2>&1; then
  ok "export a checkpoint (plain, folded BN, opset 10)"; else bad "export ($(tail -2 export.log))"; fi
if "$python" "$check" ft.onnx sample.ett ft_folded.onnx >check.log 2>&1; then
  ok "onnx.checker and OpenCV accept the exports and agree ($(grep -c '^ok' check.log) files)"
else
  bad "consumer check: $(grep -v class_names check.log | head -3)"
fi
if "$python" "$check" --as-is ft_opset10.onnx sample.ett >check10.log 2>&1; then
  ok "OpenCV runs the opset-10 export as written"; else bad "opset 10 as is: $(grep -v class_names check10.log | head -2)"; fi
if grep -q 'edgetrain.class_names = \["sneaker","trouser","tshirt"' check.log; then
  ok "class labels travel in the metadata"; else bad "class labels: $(grep class_names check.log | head -1)"; fi

# --- the export comes back in: re-targeted to 3 classes, classifier-only training ---
if "$bin" train --model ft.onnx --num-classes 3 --trainable classifier $data --epochs 1 --batch 16 --out head.ckpt \
     --json head.json >head.log 2>&1 && grep -q '"classes": *3' head.json; then
  ok "re-import an export and replace its classifier"; else bad "re-import with --num-classes ($(tail -3 head.log))"; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
