#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...] — a fuzzing campaign (docs/fuzzing.md): builds the
# libFuzzer targets of fuzz/ with clang 14, ASan and UBSan in build-fuzz/, then runs each target (default:
# all) for SECONDS (default 60), one after the other, on one core. Each starts from its committed seeds
# (fuzz/corpus/<target>, read only) and from what earlier campaigns found (build-fuzz/corpus/<target>,
# where new inputs go). A crash, sanitizer report, leak, out-of-memory or hang is written to
# build-fuzz/artifacts/<target>/ and makes the script exit 1 after the last target. Logs:
# build-fuzz/logs/<target>.log. FUZZ_JOBS sets the build's parallelism; FUZZ_ARGS adds libFuzzer flags.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(onnx_import checkpoint tensor_file idx cifar image)
scripts/setup.sh
dir=build-fuzz
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 -DEDGETRAIN_FUZZ=ON \
  -DEDGETRAIN_BUILD_TESTS=OFF -DEDGETRAIN_BUILD_CLI=OFF -DEDGETRAIN_BUILD_BENCH=OFF -DEDGETRAIN_BUILD_PYTHON=OFF \
  -DEDGETRAIN_INSTALL=OFF >/dev/null
cmake --build "$dir" --target fuzz_all -j "${FUZZ_JOBS:-$(nproc)}"

# The largest input worth trying per target (the seeds are smaller).
max_len() {
  case "$1" in
    onnx_import|checkpoint) echo 65536 ;;
    cifar|image) echo 16384 ;;
    *) echo 4096 ;;
  esac
}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export OMP_NUM_THREADS=1
status=0
printf '%-12s %12s %8s %10s %9s\n' target executions seconds exec/s findings
for t in "${targets[@]}"; do
  mkdir -p "$dir/corpus/$t" "$dir/artifacts/$t" "$dir/logs"
  log="$dir/logs/$t.log"
  start=$(date +%s)
  # shellcheck disable=SC2086
  "$dir/fuzz/fuzz_$t" -max_total_time="$seconds" -max_len="$(max_len "$t")" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$dir/artifacts/$t/" ${FUZZ_ARGS:-} "$dir/corpus/$t" "fuzz/corpus/$t" \
    >"$log" 2>&1 || true
  took=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  findings=$(find "$dir/artifacts/$t" -type f | wc -l)
  printf '%-12s %12s %8s %10s %9s\n' "$t" "${execs:-?}" "$took" "${rate:-?}" "$findings"
  if [ "$findings" -gt 0 ]; then
    status=1
    find "$dir/artifacts/$t" -type f | sed 's/^/  /'
  fi
done
exit $status
