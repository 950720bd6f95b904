#!/usr/bin/env bash
# edgetrain calibrate / bench / predict from the command line: a short calibration, predictions
# and their decisions, measured runs added to a profile, and bad input.
set -u
bin=$1
source "$(dirname "$0")/../cli/cli_lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

if "$bin" calibrate --seconds 3 -o dev.json >calibrate.txt 2>&1 && grep -q "process memory" calibrate.txt; then
  ok "calibrate writes a profile (latency and process memory)"
else bad "calibrate: $(tail -3 calibrate.txt)"; fi
python3 - <<'PY' && ok "profile holds samples, a model and a positive process memory" || bad "profile contents"
import json
p = json.load(open("dev.json"))
assert p["format"] == "edgetrain-device-profile-3" and len(p["samples"]) > 100 and p["latency_model"]
assert p["process_memory"]["base_bytes"] > 1e6 and len(p["record"]["memory_runs"]) == 20
PY

if "$bin" predict --profile dev.json --model resnet20 --input 3x32x32 --batch 32 --json p32.json >p.txt 2>&1 &&
   grep -q "memory" p.txt && grep -q "ms per step" p.txt; then ok "predict prints memory and time"
else bad "predict: $(cat p.txt)"; fi
"$bin" predict --profile dev.json --model resnet20 --input 3x32x32 --batch 64 --json p64.json >/dev/null 2>&1
python3 - <<'PY' && ok "predict: batch 64 needs more memory than 32; the total adds up" || bad "predict JSON"
import json, subprocess, sys
a, b = json.load(open("p32.json"))["prediction"], json.load(open("p64.json"))["prediction"]
# (a 3-second calibration on a loaded machine is too rough to promise batch 64 predicts slower)
assert b["total_bytes"] > a["total_bytes"] and b["step_ms"] > 0 and a["step_ms"] > 0
assert a["total_bytes"] == a["plan_bytes"] + a["process_bytes"] + a["input_bytes"]
PY
"$bin" plan --model resnet20 --input 3x32x32 --batch 32 --json plan.json >/dev/null 2>&1
python3 -c "
import json; a=json.load(open('p32.json'))['prediction']; p=json.load(open('plan.json'))
assert a['plan_bytes'] == p['peak_bytes'], (a['plan_bytes'], p['peak_bytes'])" && ok "predicted plan memory is the compiled plan's" || bad "plan memory differs"

# Budgets relative to the predicted batch-32 total: a sanitizer build's process is several times larger.
budget=$(python3 -c 'import json; print(json.load(open("p32.json"))["prediction"]["total_bytes"])')
"$bin" predict --profile dev.json --model resnet20 --input 3x32x32 --memory-budget "$budget" --json b120.json >/dev/null 2>&1
"$bin" predict --profile dev.json --model resnet20 --input 3x32x32 --memory-budget $((budget + 67108864)) --json b240.json >/dev/null 2>&1
BIN=$bin python3 - <<'PY' && ok "largest batch: fits its budget, the next does not, more budget allows more" || bad "largest batch"
import json, os, subprocess
a, b = json.load(open("b120.json")), json.load(open("b240.json"))
assert 32 <= a["largest_batch"] < b["largest_batch"], (a["largest_batch"], b["largest_batch"])
def total(batch):  # as it would train within the budget (Winograd dropped where that makes it fit)
    subprocess.run([os.environ["BIN"], "predict", "--profile", "dev.json", "--model", "resnet20", "--input", "3x32x32",
                    "--batch", str(batch), "--memory-budget", str(a["memory_budget"]), "--json", "t.json"],
                   check=True, capture_output=True)
    return json.load(open("t.json"))["prediction"]["total_bytes"]
n = a["largest_batch"]
assert total(n) <= a["memory_budget"] < total(n + 1)
PY
if "$bin" predict --profile dev.json --model resnet20 --input 3x32x32 --memory-budget 1K >tiny.txt 2>&1 &&
   grep -q "not even batch 1 fits" tiny.txt; then ok "an impossible budget is reported"; else bad "tiny budget: $(cat tiny.txt)"; fi

if "$bin" predict --profile dev.json --model resnet20 --input 3x32x32 --search --batches 8,64 --trainables all,classifier \
     --levels 0,50 --memory-budget "$budget" --json search.json >search.txt 2>&1; then
  python3 - <<'PY' && ok "search ranks configurations within the budget" || bad "search: $(cat search.txt)"
import json
c = json.load(open("search.json"))["configurations"]
budget = json.load(open("search.json"))["memory_budget"]
assert 0 < len(c) < 8 and all(x["total_bytes"] <= budget for x in c)  # batch 64 at level 0 does not fit
assert c[0]["level"] == 0 and any(x["level"] > 0.45 for x in c)
PY
else bad "search failed: $(tail -2 search.txt)"; fi

if "$bin" predict --profile dev.json --model fmnist-cnn --batch 64 --data fashion-mnist --classes Trouser,Bag \
     --json train.json >train.txt 2>&1 && grep -q "for .edgetrain train. on this data" train.txt; then
  python3 - <<'PY' && ok "predict --data adds the data set (a subset keeps its whole base), loader, evaluation" || bad "predict --data JSON"
import json
j = json.load(open("train.json"))
t, p = j["train_process"], j["prediction"]
assert t["data_bytes"] > 50 * 2**20, t  # 70 000 Fashion-MNIST images stay loaded behind a 2-class subset
assert t["total_bytes"] > p["total_bytes"] and t["evaluation_bytes"] > 0 and t["loader_bytes"] > 0
PY
else bad "predict --data: $(tail -2 train.txt)"; fi

if "$bin" bench --model fmnist-cnn --batch 16 --runs 2 --kernels --json bench.json >bench.txt 2>&1 &&
   "$bin" calibrate --profile dev.json --add bench.json -o dev2.json >add.txt 2>&1 && grep -q "added" add.txt; then
  ok "bench --kernels runs are added to a profile and it is refitted"
else bad "bench/add: $(tail -2 bench.txt add.txt)"; fi
if "$bin" predict --profile dev2.json --from-bench bench.json >fb.txt 2>&1 && grep -q "accuracy" fb.txt; then
  ok "predict --from-bench compares with the measured run"; else bad "from-bench: $(cat fb.txt)"; fi

expect_error "missing profile" "no device profile there" -- predict --profile nothere.json
echo '{"format": "x"}' >bad.json
expect_error "foreign profile" "not an edgetrain device profile" -- predict --profile bad.json
sed 's/edgetrain-device-profile-3/edgetrain-device-profile-2/' dev.json >old.json
expect_error "profile of an older edgetrain" "make a new one with .edgetrain calibrate" -- predict --profile old.json
head -c 100 dev.json >cut.json
expect_error "truncated profile" "not a device profile" -- predict --profile cut.json
expect_error "add without profile" "needs --profile" -- calibrate --add bench.json
expect_error "add a non-bench file" "not an .edgetrain bench --kernels" -- calibrate --profile dev.json --add dev.json -o x.json
expect_error "bad batch list" "not a positive whole number" -- predict --profile dev.json --model fmnist-cnn --search --batches 8,x
expect_error "calibrate into a missing folder" "" -- calibrate --seconds 1 -o /nonexistent/dir/dev.json

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
