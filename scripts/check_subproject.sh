#!/usr/bin/env bash
# scripts/check_subproject.sh SCRATCH_DIR — edgetrain as a CMake subproject: a parent project that
# add_subdirectory()s it configures with its own build type and flags untouched, gets the
# edgetrain::edgetrain target with the public include directory, and compiles a consumer against it.
# (Configure and compile one object only: the library itself is built by the other checks.)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:?usage: check_subproject.sh SCRATCH_DIR}/subproject-check"
rm -rf "$dir" && mkdir -p "$dir/parent"
cat >"$dir/parent/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.25)
project(parent CXX)
set(EDGETRAIN_BUILD_TESTS OFF)
set(EDGETRAIN_BUILD_BENCH OFF)
set(EDGETRAIN_BUILD_CLI OFF)
set(EDGETRAIN_BUILD_PYTHON OFF)
add_subdirectory("$root" edgetrain)
add_executable(app app.cpp)
target_link_libraries(app PRIVATE edgetrain::edgetrain)
if(NOT "\${CMAKE_BUILD_TYPE}" STREQUAL "")
  message(FATAL_ERROR "edgetrain set the parent's CMAKE_BUILD_TYPE to '\${CMAKE_BUILD_TYPE}'")
endif()
get_directory_property(_opts COMPILE_OPTIONS)
if(_opts)
  message(FATAL_ERROR "edgetrain added directory compile options to the parent: \${_opts}")
endif()
CMAKE
cat >"$dir/parent/app.cpp" <<'CPP'
#include <edgetrain/edgetrain.hpp>
int main() { return edgetrain::version()[0] == '\0'; }
CPP
cmake -S "$dir/parent" -B "$dir/build" -G Ninja -DCMAKE_POLICY_DEFAULT_CMP0077=NEW >"$dir/configure.log" 2>&1 \
  || { cat "$dir/configure.log"; echo "check_subproject: FAIL: configure"; exit 1; }
ninja -C "$dir/build" CMakeFiles/app.dir/app.cpp.o >"$dir/build.log" 2>&1 \
  || { cat "$dir/build.log"; echo "check_subproject: FAIL: consumer compile"; exit 1; }
if grep -A4 "build CMakeFiles/app.dir/app.cpp.o" "$dir/build/build.ninja" | grep -q -- "-Wall\|-I$root/src"; then
  echo "check_subproject: FAIL: edgetrain's warning flags or src/ reached the parent's target"; exit 1
fi
echo "check_subproject: ok: add_subdirectory leaves the parent's build type and flags alone and links edgetrain::edgetrain"
