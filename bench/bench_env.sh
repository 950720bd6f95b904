# Sourced by the benchmark scripts. bench_env NAME THREADS builds the CLI if needed and sets
#   root   the repository
#   et     the edgetrain binary (of EDGETRAIN_BENCH_BUILD, default <root>/build)
#   out    bench/results/NAME-<date>.md, the report
#   work   a temporary directory, removed when the script exits
#   cpu    the CPU's model name (reports name the machine: timings compare only on one)
# and OMP_NUM_THREADS=THREADS.
bench_env() {
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  local build=${EDGETRAIN_BENCH_BUILD:-$root/build}
  if [ ! -x "$build/tools/cli/edgetrain" ]; then
    "$root/scripts/setup.sh"
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  fi
  cmake --build "$build" --target edgetrain_cli >/dev/null
  et="$build/tools/cli/edgetrain"
  export OMP_NUM_THREADS=$2
  mkdir -p "$root/bench/results"
  out="$root/bench/results/$1-$(date +%Y-%m-%d-%H%M%S).md"
  work=$(mktemp -d "/tmp/edgetrain-$1.XXXXXX")
  cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)
  trap 'rm -rf "$work"' EXIT
}
