#!/usr/bin/env bash
# The test command: install, build (warnings as errors), run the whole suite (C++ and Python), check
# the installed package (examples built against it, the public headers, the exported symbols), run the
# threading tests under ThreadSanitizer, then the unit, kernel, gradient-check, golden and integration
# tests again under AddressSanitizer + UndefinedBehaviorSanitizer, with the parsers' fuzz targets (fuzz/:
# their seed corpus, then 15 s of random mutations each).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh build -DEDGETRAIN_WERROR=ON
(cd build && ctest --output-on-failure -j 2)
scripts/check_install.sh build
scripts/check_subproject.sh build
# ThreadSanitizer (a Debug build: it compiles fastest): the library and the threading tests only (their CTest entries run one OpenMP thread
# per caller there: libgomp is not instrumented, so its own synchronisation would read as races).
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DEDGETRAIN_TSAN=ON -DEDGETRAIN_BUILD_CLI=OFF \
  -DEDGETRAIN_BUILD_BENCH=OFF -DEDGETRAIN_BUILD_PYTHON=OFF >/dev/null
cmake --build build-tsan --target api_threads_test api_adapter_test -j "$(nproc)"
(cd build-tsan && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/../tests/api/tsan.supp" \
  ctest --output-on-failure -L threads)
scripts/build.sh build-asan -DEDGETRAIN_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEDGETRAIN_BUILD_PYTHON=OFF \
  -DEDGETRAIN_ONNX_FIXTURES_DIR="$PWD/build/onnx-fixtures"  # made (and checked up to date) by the first run
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j 2 -L 'unit|kernel|gradcheck|golden|integration|fuzz' -LE slow)
