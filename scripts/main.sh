#!/usr/bin/env bash
# The main job: install, build, pre-train the reference Fashion-MNIST CNN on Debian's
# dataset-fashion-mnist, evaluate it, save a checkpoint, export it as ONNX, print a summary.
# Extra arguments go to `edgetrain train` (e.g. --epochs 2).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh build
mkdir -p out
build/tools/cli/edgetrain train --model fmnist-cnn --data fashion-mnist --out out/fmnist-cnn.ckpt \
  --json out/fmnist-cnn.json "$@"
build/tools/cli/edgetrain eval --checkpoint out/fmnist-cnn.ckpt
build/tools/cli/edgetrain export --checkpoint out/fmnist-cnn.ckpt -o out/fmnist-cnn.onnx
