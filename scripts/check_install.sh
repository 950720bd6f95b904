#!/usr/bin/env bash
# Checks edgetrain as a user gets it: installs BUILD_DIR into a scratch prefix and, against that
# prefix only, (1) builds examples/ as a separate CMake project, (2) compiles, links and runs a
# consumer of the public headers through pkg-config and checks they pull in no dependency's or
# internal header, (3) checks the shared library's SONAME and that it exports only the public API,
# (4) runs the examples (finetune_onnx on an ONNX model and image folder made here).
#
#   scripts/check_install.sh BUILD_DIR
# Prints one "check_install: ok: ..." or "check_install: FAIL: ..." line per check; exits 1 on any
# failure. Needs cmake, g++, pkg-config, nm, readelf, /usr/bin/python3 with torch, onnx and numpy,
# and Fashion-MNIST (dataset-fashion-mnist) for on_device_loop. About 2 minutes on 2 cores.
set -euo pipefail

if [[ $# -ne 1 || ! -d $1 ]]; then
  echo "usage: $0 BUILD_DIR   (a configured and built edgetrain build directory)" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
prefix=$build/install-check
work=$build/install-check-work  # examples' build dir and test files
jobs=${CHECK_INSTALL_JOBS:-2}
failures=0

ok() { echo "check_install: ok: $*"; }
fail() { echo "check_install: FAIL: $*"; failures=$((failures + 1)); }
# The last lines of a log, indented, after a failure.
show() { tail -n "${2:-15}" "$1" | sed 's/^/    /'; }

rm -rf "$prefix" "$work"
mkdir -p "$work"
log=$work/log

# --- install ----------------------------------------------------------------------------------
if cmake --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1; then
  ok "cmake --install $build --prefix $prefix"
else
  fail "cmake --install $build (is the build complete?)"; show "$work/install.log"
  exit 1
fi
lib=$(find "$prefix" -name 'libedgetrain.so' -print -quit)
libdir=$(dirname "${lib:-$prefix/lib/libedgetrain.so}")
export LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

# --- (1) the examples as a separate project -----------------------------------------------------
exdir=$work/examples-build
if cmake -S "$src/examples" -B "$exdir" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >"$log" 2>&1 &&
   cmake --build "$exdir" -j "$jobs" >>"$log" 2>&1; then
  ok "examples/ configured with find_package(edgetrain 0.1) and built (C++17, -Wall -Wextra -Werror)"
else
  fail "examples/ do not build against the installed package"; show "$log" 12
  if grep -q 'edgetrain/edgetrain.hpp: No such file' "$log"; then
    echo "    (edgetrain::edgetrain has no INTERFACE_INCLUDE_DIRECTORIES; building again with -I$prefix/include to run them)"
    cmake -S "$src/examples" -B "$exdir" -DCMAKE_CXX_FLAGS="-I$prefix/include" >"$log" 2>&1 &&
      cmake --build "$exdir" -j "$jobs" >>"$log" 2>&1 || show "$log" 12
  fi
fi

# --- (2) the public headers through pkg-config ----------------------------------------------------
export PKG_CONFIG_PATH=$libdir/pkgconfig
pc_prefix=$(pkg-config --variable=prefix edgetrain 2>"$log" || true)
if [[ $pc_prefix == "$prefix" ]] || [[ -n $pc_prefix && $(cd "$pc_prefix" 2>/dev/null && pwd) == "$prefix" ]]; then
  ok "edgetrain.pc names the install prefix"
  pc=(pkg-config)
else
  fail "edgetrain.pc has prefix='$pc_prefix', not the prefix it was installed to ($prefix): it is not relocatable (use prefix=\${pcfiledir}/../.. in edgetrain.pc.in); the checks below use --define-prefix"
  pc=(pkg-config --define-prefix)
fi
cflags=$("${pc[@]}" --cflags edgetrain)
libs=$("${pc[@]}" --libs edgetrain)
consumer=$work/consumer
mkdir -p "$consumer"
cat >"$consumer/main.cpp" <<'EOF'
#include <edgetrain/edgetrain.hpp>
#include <cstdio>
int main() { std::printf("%s\n", edgetrain::version()); return edgetrain::parse_bytes("1K") == 1024 ? 0 : 1; }
EOF
# shellcheck disable=SC2086  # pkg-config output is a list of flags
if g++ -std=c++17 -Wall -Wextra -Werror -H $cflags -c "$consumer/main.cpp" -o "$consumer/main.o" 2>"$consumer/includes.txt"; then
  # -H lists every included header, one per line, prefixed by dots.
  grep -E '^\.+ ' "$consumer/includes.txt" | sed -E 's/^\.+ //' >"$consumer/headers.txt"
  leaks=$(grep -E '(^|/)(fmt|nlohmann|dnnl|oneapi|onnx|google/protobuf|xgboost)/|/(dnnl|xgboost)[^/]*\.h' "$consumer/headers.txt" || true)
  internal=$(grep -F "$src/src/" "$consumer/headers.txt" || true)
  # edgetrain's own headers must come from the installed prefix, not the source tree.
  internal+=$(grep '/edgetrain/' "$consumer/headers.txt" | grep -vF "$prefix/" || true)
  own=$(grep -c '/edgetrain/' "$consumer/headers.txt" || true)
  if [[ -z $leaks && -z $internal && $own -gt 0 ]]; then
    ok "<edgetrain/edgetrain.hpp> compiles as C++17 with -Wall -Wextra -Werror from pkg-config --cflags alone ($own edgetrain headers, no dependency or src/ header)"
  else
    fail "the public headers include dependency, internal or non-installed headers:"
    printf '%s\n%s\n' "$leaks" "$internal" | grep . | sed 's/^/    /'
  fi
else
  fail "<edgetrain/edgetrain.hpp> does not compile with g++ -std=c++17 -Wall -Wextra -Werror $cflags"
  grep -v '^\.' "$consumer/includes.txt" | head -15 | sed 's/^/    /'
fi
# shellcheck disable=SC2086
if [[ -f $consumer/main.o ]] && g++ "$consumer/main.o" $libs -o "$consumer/main" >"$log" 2>&1; then
  if version=$("$consumer/main" 2>"$log"); then
    ok "linked with pkg-config --libs ($libs) and ran: version $version"
  else
    fail "the pkg-config consumer does not run"; show "$log"
  fi
else
  fail "the consumer does not link with pkg-config --libs edgetrain ($libs)"; [[ -f $consumer/main.o ]] && show "$log"
fi

# --- (3) the shared library: SONAME, exported symbols -------------------------------------------
real_lib=$(readlink -f "$lib")
soname=$(readelf -d "$real_lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [[ -n $soname && -e $libdir/$soname ]]; then
  ok "$(basename "$real_lib") has SONAME $soname (installed as $libdir/$soname)"
else
  fail "$(basename "$real_lib"): SONAME '${soname}' missing or not installed as a link in $libdir"
fi
# Defined dynamic symbols in namespace edgetrain: "TYPE QUALIFIED-NAME<tab>SYMBOL", the qualified name
# being the symbol's own (argument types, "typeinfo for" and the like stripped).
nm -DC --defined-only "$real_lib" | sed -nE 's/^[0-9a-f]+ (.) (.*edgetrain::.*)$/\1 \2/p' |
  awk '{ type = $1; sym = substr($0, 3); name = sym
         sub(/^(typeinfo name for|typeinfo for|vtable for|VTT for|guard variable for) /, "", name)
         sub(/\(.*/, "", name); gsub(/\[abi:[^]]*\]/, "", name)
         printf "%s %s\t%s\n", type, name, sym }' >"$work/exports.txt"
n_exports=$(wc -l <"$work/exports.txt")
internal_re='^. edgetrain::((onednn|native|ref|io|prune|predict|data|models|optim|detail)::|(Network|Plan|Executor|Graph)(::|<|\t))'
# The public API, as the installed headers declare it: exported classes and structs (EDGETRAIN_API),
# and exported free functions (EDGETRAIN_API <return type> name(...)).
api_classes=$(cat "$prefix"/include/edgetrain/*.hpp | sed -nE 's/^(class|struct) EDGETRAIN_API ([A-Za-z_0-9]+).*/\2/p' | sort -u | paste -sd'|')
api_functions=$(cat "$prefix"/include/edgetrain/*.hpp | sed -nE 's/^EDGETRAIN_API .*[ *&]([A-Za-z_0-9]+)\(.*/\1/p' | sort -u | paste -sd'|')
public_re="^. edgetrain::((${api_classes})(::|\t)|(${api_functions})\t)"
# GCC exports a target_clones function's ifunc symbol (nm type i) and its resolver despite hidden
# visibility; they are internal but allowed, and listed.
ifuncs=$(grep -P "$internal_re" "$work/exports.txt" | grep -P '^i |\[clone \.resolver\]$' | cut -f2 || true)
bad=$(grep -P "$internal_re" "$work/exports.txt" | grep -vP '^i |\[clone \.resolver\]$' | cut -f2 || true)
other=$(grep -vP "$internal_re" "$work/exports.txt" | grep -vP "$public_re" | cut -f2 || true)
impl=$(grep -P "$public_re" "$work/exports.txt" | grep -P '::Impl::' | cut -f2 || true)
if [[ $n_exports -gt 0 && -z $bad && -z $other ]]; then
  ok "$n_exports exported edgetrain:: symbols, all public API classes and functions$([[ -n $ifuncs ]] && echo " but $(wc -l <<<"$ifuncs") internal ifunc symbol(s)/.resolver clone(s), allowed:")"
else
  fail "libedgetrain exports $(printf '%s\n%s\n' "$bad" "$other" | grep -c .) edgetrain:: symbol(s) outside the public API (of $n_exports):"
  printf '%s\n%s\n' "$bad" "$other" | grep . | head -20 | sed 's/^/    /'
fi
if [[ -n $ifuncs ]]; then sed 's/^/    allowed (ifunc): /' <<<"$ifuncs"; fi
if [[ -n $impl ]]; then sed 's/^/    note: a public class'"'"'s pimpl internals exported: /' <<<"$impl"; fi
# And nothing of the dependencies it links (fmt, protobuf, onnx, dnnl, xgboost) leaks through it.
deps=$(nm -DC --defined-only "$real_lib" | grep -E ' (fmt|onnx|google::protobuf|dnnl|xgboost|nlohmann)::' | head -5 || true)
if [[ -z $deps ]]; then ok "no dependency's symbols re-exported"; else fail "dependency symbols exported:"; sed 's/^/    /' <<<"$deps"; fi

# --- (4) the examples run -------------------------------------------------------------------------
run_example() {  # NAME LOGFILE ARGS...: runs examples-build/NAME with a time limit
  local name=$1 out=$2
  shift 2
  if [[ ! -x $exdir/$name ]]; then echo "not built" >"$out"; return 1; fi
  timeout 300 "$exdir/$name" "$@" >"$out" 2>&1
}

# The served accuracy must improve as the model adapts to the "new sensor".
if run_example on_device_loop "$work/on_device_loop.txt" &&
   accuracy=$(grep 'served accuracy' "$work/on_device_loop.txt") &&
   awk -F'frames ' '{ split($2, a, "%"); split($3, b, "%"); exit !(b[1] > a[1]) }' <<<"$accuracy"; then
  ok "on_device_loop: $accuracy"
else
  fail "on_device_loop (it failed, or the served accuracy did not improve)"; show "$work/on_device_loop.txt"
fi

if run_example plan_before_training "$work/plan.txt" && grep -q 'largest batch' "$work/plan.txt"; then
  ok "plan_before_training (resnet18, no profile): $(grep 'largest batch' "$work/plan.txt")"
else
  fail "plan_before_training"; show "$work/plan.txt"
fi
if [[ -x $prefix/bin/edgetrain ]]; then
  if "$prefix/bin/edgetrain" calibrate --seconds 2 --no-memory -o "$work/device.json" >"$log" 2>&1 &&
     run_example plan_before_training "$work/plan-profile.txt" fmnist-cnn "$work/device.json" 64M &&
     grep -q 'per epoch' "$work/plan-profile.txt"; then
    ok "plan_before_training (fmnist-cnn, a quick device profile): $(grep 'largest batch' "$work/plan-profile.txt" | sed 's/^on .*, within/within/')"
  else
    fail "plan_before_training with a device profile"; show "$log" 5; show "$work/plan-profile.txt" 5
  fi
fi

# finetune_onnx on a tiny training-mode ONNX CNN (3x32x32, BatchNorm) and a 3-class PNG folder.
ft=$work/finetune
mkdir -p "$ft"
if /usr/bin/python3 - "$ft" >"$log" 2>&1 <<'PY'; then
import os, sys, warnings
import numpy as np
import cv2
import torch
import torch.nn as nn

out = sys.argv[1]
rng = np.random.default_rng(0)
# Three classes a small CNN can tell apart: red-ish, green-ish and blue-ish noisy squares.
for c, name in enumerate(["red", "green", "blue"]):
    os.makedirs(f"{out}/images/{name}", exist_ok=True)
    for i in range(8):
        img = rng.integers(0, 90, size=(40, 40, 3)).astype(np.uint8)
        img[..., 2 - c] += 150  # OpenCV writes BGR
        cv2.imwrite(f"{out}/images/{name}/{i}.png", img)

torch.manual_seed(0)
net = nn.Sequential(
    nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
    nn.Linear(16, 10))  # 10 outputs: finetune_onnx re-targets it to the folder's 3 classes
net.train()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    torch.onnx.export(net, torch.randn(2, 3, 32, 32), f"{out}/tiny.onnx", opset_version=13,
                      training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False,
                      input_names=["input"], output_names=["logits"])
PY
  if run_example finetune_onnx "$ft/finetune.txt" "$ft/tiny.onnx" "$ft/images" "$ft/tuned.onnx" 30 &&
     [[ -s $ft/tuned.onnx && -s $ft/tuned.onnx.ckpt ]] &&
     awk '/^epoch/ { split($4, l, ","); if (!n++) first = l[1]; last = l[1] } END { exit !(n && last < first) }' \
       "$ft/finetune.txt"; then
    trained="$(grep -c '^epoch' "$ft/finetune.txt") epochs, $(grep '^epoch' "$ft/finetune.txt" | tail -1 | sed 's/ (.*//')"
    if [[ ! -x $prefix/bin/edgetrain ]]; then
      ok "finetune_onnx: $trained; wrote tuned.onnx (no installed CLI to load it back)"
    elif "$prefix/bin/edgetrain" info --model "$ft/tuned.onnx" --quiet >"$log" 2>&1 && grep -q ' 3 classes' "$log" &&
         "$prefix/bin/edgetrain" eval --checkpoint "$ft/tuned.onnx.ckpt" --data "folder:$ft/images" \
           --test-data "folder:$ft/images" >"$ft/eval.txt" 2>&1; then
      ok "finetune_onnx: $trained; the export loads back ($(head -1 "$log")), the checkpoint evaluates: $(tail -1 "$ft/eval.txt" | sed 's/.*: accuracy/accuracy/')"
    else
      fail "finetune_onnx's export or checkpoint does not load back"; show "$log"; show "$ft/eval.txt" 3
    fi
  else
    fail "finetune_onnx (it failed, wrote no tuned.onnx + .ckpt, or its loss did not fall)"; show "$ft/finetune.txt"
  fi
else
  fail "could not make the ONNX model and image folder with /usr/bin/python3 (torch, cv2)"; show "$log"
fi

if [[ $failures -gt 0 ]]; then
  echo "check_install: $failures check(s) failed"
  exit 1
fi
echo "check_install: all checks passed"
