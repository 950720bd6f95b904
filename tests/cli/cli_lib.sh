# Shared by the CLI test scripts (source it after setting $bin): pass/fail counters and
# expect_error. End a script with: echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]
passed=0
failed=0
# The CLI maps EDGETRAIN_* variables onto engine options (layouts, planner, fusion, Winograd, logging):
# a switch exported in the developer's shell must not change what is tested. A case that wants one
# sets it on its own command line.
for _edgetrain_var in $(compgen -e | grep '^EDGETRAIN_'); do unset "$_edgetrain_var"; done
unset _edgetrain_var
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }

# expect_error NAME PATTERN -- ARGS...: non-zero exit, and stderr ends with exactly one line
# "edgetrain: error: ...PATTERN..." (progress lines may precede it)
expect_error() {
  local name=$1 pattern=$2
  shift 3
  "$bin" "$@" >stdout.txt 2>stderr.txt
  local rc=$?
  local lines
  lines=$(grep -c "^edgetrain: error: " stderr.txt)
  if [ $rc -ne 0 ] && [ "$lines" -eq 1 ] && tail -n 1 stderr.txt | grep -q "^edgetrain: error: .*$pattern"; then
    ok "$name"
  else
    bad "$name (rc=$rc, $lines stderr lines: $(head -c 300 stderr.txt))"
  fi
}

