#!/usr/bin/env bash
# Installs what edgetrain needs to build, test and run on Debian 12 (skips what is already there).
# The python3-* packages make the ONNX fixtures at test time (PyTorch exports) and run the
# independent-consumer check (onnx.checker, OpenCV's dnn); the library itself does not need them.
# pybind11 builds the Python module, pytest runs its tests.
# clang 14 with its sanitizer runtimes, libFuzzer and OpenMP builds the fuzz targets for campaigns
# (scripts/fuzz.sh; the test command fuzzes with GCC and does not need them).
set -euo pipefail
packages=(g++ cmake ninja-build pkg-config zlib1g-dev libpng-dev libjpeg62-turbo-dev libfmt-dev libcli11-dev
          nlohmann-json3-dev libstb-dev
          libgtest-dev libbenchmark-dev libdnnl-dev dataset-fashion-mnist
          libonnx-dev libprotobuf-dev protobuf-compiler libxgboost-dev
          pybind11-dev python3-dev python3-pybind11 python3-pytest
          python3-numpy python3-torch python3-torchvision python3-onnx python3-opencv
          clang-14 libclang-rt-14-dev libfuzzer-14-dev libomp-14-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
