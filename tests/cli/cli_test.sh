#!/usr/bin/env bash
# CLI behaviour a user sees: bad input gives one clear error line and a non-zero exit and leaves no
# file behind; every verb runs with defaults; --resume continues a run exactly.
# usage: cli_test.sh EDGETRAIN_BINARY
set -u
bin=$(realpath "$1")
here=$(dirname "$(realpath "$0")")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
source "$here/cli_lib.sh"

# --- data ---
expect_error "missing data directory" "not found" -- train --data fashion-mnist:/nonexistent
mkdir -p fm && head -c 1000 /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz >fm/train-images-idx3-ubyte.gz
cp /usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz fm/ 2>/dev/null
expect_error "truncated data file" "train-images-idx3-ubyte" -- train --data fashion-mnist:fm
printf 'not an idx file at all' >notidx
expect_error "wrong magic" "bad magic" -- train --data idx:notidx,notidx
mkdir -p folder/cat folder/dog
printf 'hello' >folder/cat/readme.txt
expect_error "non-image in an image folder" "readme.txt" -- train --data folder:folder --input 3x32x32
expect_error "unknown class in a subset" "Jumper" -- train --classes Trouser,Jumper

# --- model and spec ---
expect_error "unknown architecture" "known models" -- info --model resnet99
expect_error "input too small" "too small" -- plan --model resnet18 --input 3x16x16
expect_error "trainable spec matching nothing" "selects no parameter" -- plan --trainable names:layer9.*
expect_error "bad trainable syntax" "not understood" -- plan --trainable last:x
expect_error "impossible memory budget" "memory budget" -- plan --model resnet18 --batch 32 --memory-budget 64M
expect_error "impossible budget in train" "memory budget" -- train --memory-budget 1M
expect_error "unknown precision" "use f32, bf16" -- plan --precision fp16
expect_error "bad precision schedule" "at least 2 epochs" -- train --precision muppet --precision-resolution 1 --epochs 1

# --- checkpoints ---
expect_error "missing checkpoint" "missing.ckpt" -- eval --checkpoint missing.ckpt
printf 'garbage' >garbage.ckpt
expect_error "garbage checkpoint" "garbage.ckpt" -- eval --checkpoint garbage.ckpt

# A real checkpoint: two epochs on a 3-class subset (fast), then corrupt copies of it.
if "$bin" train --classes Trouser,Bag,Sandal --epochs 2 --batch 32 --out straight.ckpt --json straight.json >train.log 2>&1; then
  ok "train on a class subset writes a checkpoint"
else
  bad "train on a class subset ($(tail -3 train.log))"
fi
size=$(stat -c %s straight.ckpt 2>/dev/null || echo 0)
head -c $((size / 2)) straight.ckpt >half.ckpt
expect_error "truncated checkpoint" "truncated" -- eval --checkpoint half.ckpt --classes Trouser,Bag,Sandal
cp straight.ckpt flipped.ckpt
printf '\x55' | dd of=flipped.ckpt bs=1 seek=$((size / 2)) conv=notrunc status=none
expect_error "corrupt checkpoint" "corrupt" -- eval --checkpoint flipped.ckpt --classes Trouser,Bag,Sandal
cp straight.ckpt version.ckpt
printf '\x63' | dd of=version.ckpt bs=1 seek=8 conv=notrunc status=none
expect_error "version-mismatched checkpoint" "version" -- eval --checkpoint version.ckpt --classes Trouser,Bag,Sandal

# Writing into a missing directory fails cleanly and leaves nothing.
expect_error "unwritable output" "does not exist" -- train --classes Trouser,Bag --epochs 1 --batch 32 --out nodir/x.ckpt
if [ -z "$(ls nodir 2>/dev/null)" ] && [ -z "$(ls ./*.tmp* 2>/dev/null)" ]; then ok "no half-written files"; else bad "stray files left"; fi

# --- resume is exact: 1 epoch, resume, 1 more == 2 epochs straight (byte-identical checkpoint) ---
"$bin" train --classes Trouser,Bag,Sandal --epochs 2 --stop-after 1 --batch 32 --out resumed.ckpt >r1.log 2>&1
"$bin" train --resume resumed.ckpt --epochs 2 >r2.log 2>&1
if cmp -s straight.ckpt resumed.ckpt; then ok "resume reproduces a straight run exactly"; else bad "resume differs from a straight run"; fi
expect_error "resume past the end" "already trained" -- train --resume resumed.ckpt --epochs 2
# Pruning mid-run keeps the optimizer state (sliced) and the run's settings: it resumes.
"$bin" train --classes Trouser,Bag,Sandal --epochs 2 --stop-after 1 --batch 32 --out mid.ckpt >m1.log 2>&1
if "$bin" prune --checkpoint mid.ckpt --level 0.4 --out midpruned.ckpt >mp.log 2>&1 && grep -q "optimizer state sliced" mp.log &&
   "$bin" train --resume midpruned.ckpt --epochs 2 >mp2.log 2>&1 && grep -q "epoch 2/2:" mp2.log; then
  ok "a pruned training checkpoint resumes with its sliced optimizer state"
else bad "prune mid-run / resume: $(tail -2 mp.log mp2.log)"; fi

# --- defaults and reports ---
if "$bin" eval --checkpoint straight.ckpt --classes Trouser,Bag,Sandal --json eval.json >eval.log 2>&1 &&
   grep -q '"accuracy"' eval.json; then ok "eval writes a JSON report"; else bad "eval ($(tail -2 eval.log))"; fi
acc=$(sed -n 's/.*"accuracy": *\([0-9.]*\).*/\1/p' eval.json | head -1)
if awk "BEGIN{exit !($acc > 0.9)}"; then ok "3-class subset accuracy $acc > 0.9"; else bad "3-class subset accuracy $acc"; fi
if "$bin" plan --json plan.json >plan.log 2>&1 && grep -q '"peak_bytes"' plan.json; then ok "plan runs with defaults"; else bad "plan"; fi
if "$bin" plan --model resnet20 --input 3x32x32 --batch 8 --steps --timeline plan.svg --json steps.json >steps.log 2>&1; then
  python3 - <<'PY' && ok "plan --steps lists every step and buffer; --timeline draws every buffer under the arena" || bad "plan --steps / --timeline"
import json, xml.etree.ElementTree as ET
j = json.load(open("steps.json"))
steps, buffers, arena = j["step_list"], j["buffers"], j["arena_bytes"]
assert len(steps) == j["steps"] and steps[0]["op"] == "Conv2d" and steps[0]["pass"] == "fwd"
assert steps[-1]["op"] == "Update" and all(s["implementation"] for s in steps if s["pass"] != "-")
assert all(0 <= b < len(buffers) for s in steps for b in s["buffers"])
assert all(b["offset"] + b["bytes"] <= arena for b in buffers)
# buffers alive at the same step never share a byte (the plan is valid as reported)
for i, a in enumerate(buffers):
    for b in buffers[i + 1:]:
        if a["bytes"] and b["bytes"] and a["first_step"] <= b["last_step"] and b["first_step"] <= a["last_step"]:
            assert a["offset"] + a["bytes"] <= b["offset"] or b["offset"] + b["bytes"] <= a["offset"], (a, b)
svg = ET.parse("plan.svg").getroot()
boxes = [e for e in svg.iter("{http://www.w3.org/2000/svg}rect") if e.find("{http://www.w3.org/2000/svg}title") is not None]
assert len(boxes) == sum(1 for b in buffers if b["bytes"] > 0)
PY
  grep -q "layer1.0.conv1" steps.log || bad "plan --steps prints the step names"
else bad "plan --steps: $(tail -2 steps.log)"; fi
# bf16 stores the activations and their gradients in half the bytes; the plan shows it before training.
if "$bin" plan --model resnet20 --input 3x32x32 --batch 8 --json f32.json >/dev/null 2>&1 &&
   "$bin" plan --model resnet20 --input 3x32x32 --batch 8 --precision bf16 --json bf16.json >/dev/null 2>&1 &&
   python3 - <<'PY'; then ok "plan --precision bf16 halves the stored activations"; else bad "plan --precision bf16"; fi
import json
stored = lambda f: (lambda r: r["activations"] + r["activation_grads"])(json.load(open(f))["planned_requests_bytes"])
ratio = stored("bf16.json") / stored("f32.json")
assert 0.49 < ratio < 0.52, ratio
PY
# fx8 in a quarter (plus a 4-byte exponent per tensor).
if "$bin" plan --model resnet20 --input 3x32x32 --batch 8 --precision fx8 --json fx8.json >/dev/null 2>&1 &&
   python3 - <<'PY'; then ok "plan --precision fx8 quarters the stored activations"; else bad "plan --precision fx8"; fi
import json
stored = lambda f: (lambda r: r["activations"] + r["activation_grads"])(json.load(open(f))["planned_requests_bytes"])
ratio = stored("fx8.json") / stored("f32.json")
assert 0.24 < ratio < 0.27, ratio
PY
# The muppet schedule on a 3-class subset, an estimate every 2 epochs: its decisions are in the report.
if "$bin" train --classes Trouser,Bag --epochs 4 --batch 64 --precision muppet --precision-resolution 2 \
     --precision-violations 1 --out muppet.ckpt --json muppet.json >muppet.log 2>&1 &&
   python3 - <<'PY'; then ok "train --precision muppet reports its decisions"; else bad "train --precision muppet ($(tail -3 muppet.log))"; fi
import json
epochs = json.load(open("muppet.json"))["epochs"]
assert epochs[0]["precision"] == "fx8", epochs
assert [e["precision_decision"]["estimated"] for e in epochs] == [False, True, False, True], epochs
assert all(e["precision_decision"]["diversity"] > 0 for e in epochs[1::2]), epochs
PY
if "$bin" info >info.log 2>&1 && grep -q "421642 parameters" info.log; then ok "info runs with defaults"; else bad "info"; fi
if "$bin" info --model mobilenet_v2 --num-classes 1000 --quiet >mb.log 2>&1 && grep -q "3504872 parameters" mb.log; then ok "info mobilenet_v2"; else bad "info mobilenet_v2 ($(cat mb.log))"; fi

# --- pruning ---
if "$bin" prune --model resnet18 --explain >explain.log 2>&1 && grep -q "3 source(s) \[layer4" explain.log; then
  ok "prune --explain finds the residual groups"; else bad "prune --explain ($(head -3 explain.log))"; fi
expect_error "unknown pruning criterion" "criterion 'biggest'" -- prune --criterion biggest
expect_error "pruning level out of range" "outside \[0, 1)" -- prune --level 1.5
if "$bin" prune --checkpoint straight.ckpt --criterion taylor --classes Trouser,Bag,Sandal --level 0.5 \
     --out pruned.ckpt --json prune.json >prune.log 2>&1 && grep -q '"params_after"' prune.json &&
   "$bin" eval --checkpoint pruned.ckpt --classes Trouser,Bag,Sandal >pe.log 2>&1; then
  ok "prune a checkpoint by Taylor importance on its data, then evaluate it"
else
  bad "prune by taylor ($(tail -2 prune.log) $(tail -1 pe.log))"
fi
if "$bin" prune --model fmnist-cnn --classes Trouser,Bag,Sandal --criterion activation --finetune-epochs 1 \
     --retrain-epochs 1 --level 0.6 --json pipe.json >pipe.log 2>&1 && grep -q '"accuracy_pruned"' pipe.json &&
   grep -q "inference ms" pipe.log; then
  acc=$(grep -o '"accuracy_pruned": *[0-9.]*' pipe.json | grep -o '[0-9.]*$')
  if awk "BEGIN{exit !($acc > 0.9)}"; then ok "prune pipeline (fine-tune, rank, prune 60 %, retrain): $acc"
  else bad "prune pipeline accuracy $acc"; fi
else
  bad "prune pipeline ($(tail -3 pipe.log))"
fi

# --- adapt: a stream of one class, all three, then another: adapts, falls back, adapts again ---
if "$bin" adapt --checkpoint straight.ckpt --classes Trouser,Bag,Sandal --stream "Bag:400;all:300;Sandal:400" \
     --labels 0.2 --window 100 --stable 60 --foreground --json adapt.json --svg adapt.svg >adapt.log 2>&1 &&
   [ "$(grep -o '"accepted": *true' adapt.json | wc -l)" -ge 2 ] && grep -q "<svg" adapt.svg &&
   grep -q "adaptation at frame" adapt.log; then
  ok "adapt follows a stream of changing classes (JSON report, timeline SVG)"
else
  bad "adapt ($(tail -3 adapt.log))"
fi
expect_error "adapt: a class the data does not have" "class 'Shirt' is not one of the data's 3 classes" -- \
  adapt --checkpoint straight.ckpt --classes Trouser,Bag,Sandal --stream "Shirt:10"
expect_error "adapt: a malformed stream" "phase 'Bag' is not CLASSES:FRAMES" -- \
  adapt --checkpoint straight.ckpt --classes Trouser,Bag,Sandal --stream "Bag"
expect_error "adapt: a budget without a device profile" "needs a device profile" -- \
  adapt --checkpoint straight.ckpt --classes Trouser,Bag,Sandal --stream "Bag:10" --memory-budget 100

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
