#!/usr/bin/env bash
# The test command: install, build, run the whole suite (Release), then the unit, kernel,
# gradient-check and golden tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh build
(cd build && ctest --output-on-failure -j 2)
scripts/build.sh build-asan -DEDGETRAIN_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DEDGETRAIN_ONNX_FIXTURES_DIR="$PWD/build/onnx-fixtures"  # made (and checked up to date) by the first run
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j 2 -L 'unit|kernel|gradcheck|golden|integration' -LE slow)
