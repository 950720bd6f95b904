#!/usr/bin/env bash
# scripts/lint.sh [--fix] [--tidy] [FILE...] — the style and static checks on C++ files: clang-format
# (.clang-format; --fix rewrites the files) and, with --tidy, clang-tidy (.clang-tidy, using
# build/compile_commands.json). Without FILEs: the C++ files changed in the working tree and in the
# last commit. Installs clang-format / clang-tidy when missing. Exits non-zero on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
fix=0 tidy=0 files=()
for a in "$@"; do
  case "$a" in
    --fix) fix=1 ;;
    --tidy) tidy=1 ;;
    *) files+=("$a") ;;
  esac
done
if [ ${#files[@]} -eq 0 ]; then
  mapfile -t files < <({ git diff --name-only HEAD; git diff --name-only HEAD~1 HEAD 2>/dev/null; } |
                       grep -E '\.(cpp|hpp)$' | sort -u | while read -r f; do [ -f "$f" ] && echo "$f"; done)
fi
[ ${#files[@]} -gt 0 ] || { echo "lint: no C++ files to check"; exit 0; }
for tool in clang-format clang-tidy; do
  if ! command -v "$tool" >/dev/null; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get install -y -qq --no-install-recommends "$tool" >/dev/null
  fi
done
status=0
if [ "$fix" = 1 ]; then
  clang-format -i "${files[@]}"
else
  clang-format --dry-run -Werror "${files[@]}" || status=1
fi
if [ "$tidy" = 1 ]; then
  [ -f build/compile_commands.json ] || scripts/build.sh build >/dev/null
  sources=()
  for f in "${files[@]}"; do [[ "$f" == *.cpp ]] && sources+=("$f"); done
  [ ${#sources[@]} -eq 0 ] || clang-tidy -p build --quiet --warnings-as-errors='*' "${sources[@]}" || status=1
fi
exit $status
