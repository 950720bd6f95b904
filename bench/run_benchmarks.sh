#!/usr/bin/env bash
# bench/run_benchmarks.sh [--quick] [--no-tinydnn] [--no-conv | --conv] [--threads N]
#
# One command for the benchmarks of issue 3: installs what is missing (build deps, python3-torch,
# python3-torchvision, dataset-fashion-mnist), builds edgetrain (Release, build-bench/), the FMA peak
# program and the tiny-dnn peer, then runs, one after the other in this sitting, with 2 threads:
# the FMA peak; per case edgetrain then PyTorch at its best (default, channels_last, channels_last +
# bf16 autocast: the fastest of the three is the peer) (resnet18 224² b8 and b32, mobilenet_v2 224² b8,
# resnet18 32² b32, resnet18 224² b32 training only layer4 + fc; torchvision's ONNX exports of
# mobilenet_v3_large 224² b8, efficientnet_b0 224² b8, resnext50_32x4d 64² b8); one epoch of fmnist-cnn on
# Fashion-MNIST (edgetrain, PyTorch, tiny-dnn) with test accuracy; pruned networks' retraining speed
# against their FLOPs (bench/prune_speedup.py); the Conv2d kernel benchmark.
# Prints a markdown table with the ratios and writes it, with the raw results, to
# bench/results/<date>.md.
#
#   --quick       3 timed steps (1 warm-up) per case; no tiny-dnn epoch, no conv_bench
#   --no-tinydnn  skip tiny-dnn's epoch (about 8 minutes)
#   --no-conv     skip the Conv2d kernel benchmark
#   --conv        run the Conv2d kernel benchmark even with --quick
#   --threads N   threads for everything (default 2)
# Environment: EDGETRAIN_PEERS (default: <repo>/../shared/peers), EDGETRAIN_BENCH_BUILD (default build-bench).
set -euo pipefail

quick=0 tinydnn=1 conv=1 threads=2
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --no-tinydnn) tinydnn=0 ;;
    --no-conv) conv=0 ;;
    --conv) conv=2 ;;
    --threads) threads=${2:?--threads needs a value}; shift ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_benchmarks.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ "$quick" = 1 ]; then
  tinydnn=0
  [ "$conv" = 2 ] || conv=0
fi

root=$(cd "$(dirname "$0")/.." && pwd)
peers=${EDGETRAIN_PEERS:-$root/../shared/peers}
build=${EDGETRAIN_BENCH_BUILD:-$root/build-bench}
[ -f "$peers/torch_train_step.py" ] || { echo "run_benchmarks.sh: peers not found in $peers (set EDGETRAIN_PEERS)" >&2; exit 2; }
peers=$(cd "$peers" && pwd)
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

echo "== installing what is missing" >&2
"$root/scripts/setup.sh"
missing=()
for p in python3-torch python3-torchvision dataset-fashion-mnist; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "== building edgetrain (Release) in $build" >&2
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEDGETRAIN_BUILD_TESTS=OFF \
  -DEDGETRAIN_BUILD_BENCH=ON >/dev/null
cmake --build "$build" --target train_step conv_bench edgetrain_cli

if [ ! -x "$build/peak_fma" ] || [ "$peers/peak_fma.cpp" -nt "$build/peak_fma" ]; then
  echo "== building peak_fma" >&2
  g++ -O3 -funroll-loops -march=native -pthread "$peers/peak_fma.cpp" -o "$build/peak_fma"
fi

tinydnn_bin="$build/tinydnn/tinydnn_fmnist"
if [ "$tinydnn" = 1 ]; then
  if [ ! -f /usr/include/tiny_dnn/tiny_dnn.h ] || [ ! -x "$tinydnn_bin" ]; then
    echo "== building the tiny-dnn peer" >&2
    "$peers/build_tinydnn.sh" "$build/tinydnn" >/dev/null
  fi
fi

mkdir -p "$root/bench/results"
# Results are per machine and per sitting: keep them out of git.
[ -f "$root/bench/results/.gitignore" ] || printf '*\n' > "$root/bench/results/.gitignore"
stamp=$(date +%Y-%m-%d-%H%M%S)
work=$(mktemp -d /tmp/edgetrain-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

cat > "$work/frozen_peer.py" <<'PY'
# Frozen-backbone counterpart of ../shared/peers/torch_train_step.py: the same step, set-up and
# output line, with only the parameters whose names match the globs (argv[6], comma-separated) trained.
import sys, time, resource, statistics, fnmatch, torch, torchvision
net_name, res, batch, threads, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
globs = sys.argv[6].split(",")
torch.set_num_threads(threads)
torch.manual_seed(0)
net = getattr(torchvision.models, net_name)(num_classes=10)
for n, p in net.named_parameters():
    p.requires_grad_(any(fnmatch.fnmatchcase(n, g) for g in globs))
opt = torch.optim.SGD([p for p in net.parameters() if p.requires_grad], lr=0.01, momentum=0.9)
x = torch.randn(batch, 3, res, res); y = torch.randint(0, 10, (batch,))
lossf = torch.nn.CrossEntropyLoss()
def step():
    opt.zero_grad(set_to_none=True)
    loss = lossf(net(x), y); loss.backward(); opt.step()
for _ in range(2): step()
ts = []
for _ in range(steps):
    t = time.perf_counter(); step(); ts.append(time.perf_counter() - t)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{net_name} res={res} batch={batch} threads={threads} step_ms_median={statistics.median(ts)*1e3:.1f} min={min(ts)*1e3:.1f} peak_rss_MiB={rss:.0f} img_per_s={batch/statistics.median(ts):.1f}")
PY

cat > "$work/export_onnx.py" <<'PY'
# The user's ONNX file of a torchvision network: export_onnx.py NAME RES BATCH OUT. A training-mode
# export (BatchNorm in training form, not folded) where torch can make one; networks with stochastic
# depth (EfficientNet: torch 1.13 cannot export its Bernoulli) are exported in PRESERVE mode, whose
# BatchNorm edgetrain trains on batch statistics all the same.
import sys, warnings, torch, torchvision
warnings.filterwarnings("ignore")
name, res, batch, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
torch.manual_seed(0)
net = getattr(torchvision.models, name)(num_classes=10)
stochastic = any(type(m).__name__ == "StochasticDepth" for m in net.modules())
net.eval() if stochastic else net.train()
mode = torch.onnx.TrainingMode.PRESERVE if stochastic else torch.onnx.TrainingMode.TRAINING
torch.onnx.export(net, torch.randn(batch, 3, res, res), out, opset_version=13, training=mode,
                  do_constant_folding=False, input_names=["input"], output_names=["logits"])
PY

cat > "$work/orchestrate.py" <<'PY'
# Runs the cases one after the other, collects raw results, prints the table and writes the report.
import datetime, gzip, json, os, re, shutil, subprocess, sys, time

cfg = json.loads(sys.argv[1])
root, build, peers, work = cfg["root"], cfg["build"], cfg["peers"], cfg["work"]
threads, quick = int(cfg["threads"]), cfg["quick"] == "1"
steps, warmup = (3, 1) if quick else (8, 2)
torch_py = "/usr/bin/python3"
train_step = f"{build}/bench/train_step"
cli = f"{build}/tools/cli/edgetrain"
fmnist_dir = "/usr/share/datasets/fashion-mnist"
raw = []      # every result, one dict each
notes = []    # lines for the report
MiB = 1024 * 1024


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(cmd, tag, extra_env=None):
    """Runs cmd; returns (rc, stdout, stderr, peak RSS of the child in bytes, seconds)."""
    out_path, err_path = f"{work}/{tag}.out", f"{work}/{tag}.err"
    t0 = time.perf_counter()
    with open(out_path, "w") as o, open(err_path, "w") as e:
        p = subprocess.Popen(cmd, stdout=o, stderr=e, stdin=subprocess.DEVNULL,
                             env=dict(os.environ, OMP_NUM_THREADS=str(threads), **(extra_env or {})))
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
    secs = time.perf_counter() - t0
    out, err = open(out_path).read(), open(err_path).read()
    log(f"   {' '.join(os.path.basename(c) if i == 0 else c for i, c in enumerate(cmd))}  [{secs:.0f} s, rc {p.returncode}]")
    return p.returncode, out, err, ru.ru_maxrss * 1024, secs


def last_json(text):
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    return None


def parse_kv(text, prefix=""):
    for line in reversed(text.strip().splitlines()):
        if line.startswith(prefix) and "=" in line:
            return {k: v for k, v in re.findall(r"(\w+)=([^\s]+)", line)}
    return None


def load_avg():
    try:
        return open("/proc/loadavg").read().split()[0]
    except OSError:
        return "?"


# ---- physical limit (best of 3: a busy shared machine only ever lowers the figure)
log("== FMA peak")
peaks = {}
for i in range(3):
    rc, out, _, _, _ = run([f"{build}/peak_fma"], f"peak_fma{i}")
    for t, g in re.findall(r"threads=(\d+) GFLOPS=([\d.]+)", out):
        peaks[int(t)] = max(peaks.get(int(t), 0.0), float(g))
peak = peaks.get(min(threads, 2), max(peaks.values()) if peaks else float("nan"))
raw.append({"who": "peak_fma", "gflops_by_threads": peaks, "load": load_avg()})
if 1 in peaks and 2 in peaks and peaks[2] < 1.6 * peaks[1]:
    notes.append(f"Note: the 2-thread FMA peak ({peaks[2]:.0f} GFLOPS) is under 1.6× the 1-thread one ({peaks[1]:.0f}): "
                 "either the machine was busy (then the % of peak columns are overstated) or its 2 vCPUs share "
                 "one physical core's FMA units. The % columns use the measured 2-thread figure.")

# ---- is there a oneDNN backend?
rc, out, _, _, _ = run([train_step, "fmnist-cnn", "28", "2", "--steps", "1", "--warmup", "0", "--backend", "onednn"],
                       "probe_onednn")
probe = last_json(out) or {}
onednn = rc == 0
if not onednn:
    notes.append(f"oneDNN backend: n/a ({probe.get('error', 'train_step rc %d' % rc)}); edgetrain rows use the reference kernels.")

# ---- training-step cases
cases = [
    ("resnet18 224² b8", "resnet18", 224, 8, None),
    ("resnet18 224² b32", "resnet18", 224, 32, None),
    ("mobilenet_v2 224² b8", "mobilenet_v2", 224, 8, None),
    ("resnet18 32² b32", "resnet18", 32, 32, None),
    ("resnet18 224² b32 frozen (layer4+fc)", "resnet18", 224, 32, "layer4.*,fc.*"),
    # The networks edge devices run, as a user brings them: torchvision's ONNX export (onnx:NAME).
    ("mobilenet_v3_large 224² b8 (ONNX)", "onnx:mobilenet_v3_large", 224, 8, None),
    ("efficientnet_b0 224² b8 (ONNX)", "onnx:efficientnet_b0", 224, 8, None),
    ("resnext50_32x4d 64² b8 (ONNX)", "onnx:resnext50_32x4d", 64, 8, None),
]
EDGE_CASES = [c[0] for c in cases if c[1].startswith("onnx:")]
rows = []  # dicts for the table
results = {}  # (case, backend) -> edgetrain result, case -> peer result


def onnx_file(name, res, batch):
    """torchvision's NAME exported as the user would (export_onnx.py), once per sitting."""
    path = f"{work}/{name}_{res}_b{batch}.onnx"
    if not os.path.exists(path):
        run([torch_py, f"{work}/export_onnx.py", name, str(res), str(batch), path], f"export_{name}_{res}_{batch}")
    return path


def et_step(case, net, res, batch, frozen, backend, direct=False):
    model = onnx_file(net[5:], res, batch) if net.startswith("onnx:") else net
    cmd = [train_step, model, str(res), str(batch), "--threads", str(threads), "--steps", str(steps),
           "--warmup", str(warmup), "--backend", backend]
    if frozen:
        cmd += ["--trainable", "names:" + frozen]
    rc, out, err, _, _ = run(cmd, f"et_{net.replace(':', '_')}_{res}_{batch}_{backend}_{'frozen' if frozen else 'all'}{'_direct' if direct else ''}",
                             {"EDGETRAIN_WINOGRAD": "0"} if direct else None)
    r = last_json(out) or {"error": err.strip()[-300:] or f"rc {rc}"}
    r.update({"who": "edgetrain", "case": case, "load": load_avg()})
    raw.append(r)
    return r if "error" not in r else None


for case, net, res, batch, frozen in cases:
    torch_net = net[5:] if net.startswith("onnx:") else net  # the peer builds the network itself
    load = load_avg()
    log(f"== {case}   (load {load})")
    et = {}
    r = et_step(case, net, res, batch, frozen, "auto")
    if r:
        et["auto"] = r
        # auto used a faster backend: also show the reference (not for the large ONNX networks: minutes)
        if set(r.get("impls", {})) - {"ref"} and not net.startswith("onnx:"):
            r2 = et_step(case, net, res, batch, frozen, "ref")
            if r2:
                et["ref"] = r2
        if r.get("winograd_mac_share", 0) > 0:  # also without Winograd: the direct algorithm's FMA share
            r3 = et_step(case, net, res, batch, frozen, "auto", direct=True)
            if r3:
                et["auto, direct"] = r3
    # The peer is PyTorch at its best: its default NCHW, channels_last, and channels_last + bf16
    # autocast (../shared/peers/torch_train_step_best.py), the fastest of the three.
    if frozen:
        configs = [("nchw", [torch_py, f"{work}/frozen_peer.py", net, str(res), str(batch), str(threads), str(steps), frozen])]
    else:
        configs = [(mode, [torch_py, f"{peers}/torch_train_step_best.py", torch_net, str(res), str(batch), str(threads),
                           str(steps), mode]) for mode in ("nchw", "cl", "cl_bf16")]
    peer = None
    for mode, cmd in configs:
        rc, out, err, _, _ = run(cmd, f"torch_{torch_net}_{res}_{batch}_{'frozen' if frozen else 'all'}_{mode}")
        kv = parse_kv(out, torch_net) if rc == 0 else None
        if kv:
            p = {"img_per_s": float(kv["img_per_s"]), "median_ms": float(kv["step_ms_median"]),
                 "peak_rss_bytes": float(kv["peak_rss_MiB"]) * MiB, "mode": mode}
            raw.append(dict(p, who="pytorch", case=case, line=out.strip().splitlines()[-1]))
            if peer is None or p["img_per_s"] > peer["img_per_s"]:
                peer = p
        else:
            raw.append({"who": "pytorch", "case": case, "mode": mode, "error": err.strip()[-300:] or f"rc {rc}"})
    results[case] = (et, peer)
    peer_name = f"PyTorch ({peer['mode']})" if peer else "PyTorch"
    if not et:
        rows.append({"case": case, "backend": "-", "et": None, "peer": peer, "peer_name": peer_name, "load": load})
    for backend, r in et.items():
        rows.append({"case": case, "backend": backend, "et": r, "peer": peer, "peer_name": peer_name, "load": load,
                     "gflops": r["train_gflops"], "peer_gflops": (6.0 * r["forward_macs"] / batch * peer["img_per_s"] / 1e9)
                     if peer and not frozen else None})

# ---- fmnist-cnn, one epoch
fm_load = load_avg()
log(f"== fmnist-cnn, one epoch, batch 64   (load {fm_load})")


def et_fmnist(backend):
    et_json = f"{work}/fmnist_{backend}.json"
    rc, out, err, rss, _ = run([cli, "--threads", str(threads), "train", "--model", "fmnist-cnn", "--epochs", "1",
                                "--batch", "64", "--optimizer", "sgd", "--lr", "0.01", "--momentum", "0.9",
                                "--schedule", "constant", "--backend", backend, "--json", et_json,
                                "--out", f"{work}/fmnist_{backend}.ckpt"], f"et_fmnist_{backend}")
    if rc == 0 and os.path.exists(et_json):
        j = json.load(open(et_json))
        ep = j["epochs"][0]
        r = {"backend": backend, "img_per_s": ep["images_per_second"], "epoch_s": ep["seconds"],
             "test_acc": j.get("test_accuracy"), "peak_rss_bytes": rss, "planned_peak_bytes": j["planned_peak_bytes"],
             "measured_peak_bytes": j["measured_peak_bytes"],
             "train_gflops": 2.0 * j["plan"]["step_macs"] / 64 * ep["images_per_second"] / 1e9,
             "forward_macs": j["plan"]["forward_macs"]}
        raw.append(dict(r, who="edgetrain", case="fmnist-cnn epoch"))
        return r
    raw.append({"who": "edgetrain", "case": "fmnist-cnn epoch", "backend": backend,
                "error": err.strip()[-300:] or f"rc {rc}"})
    return None


fm_et = et_fmnist("auto")
# The reference backend's epoch too, when a faster one exists (full mode only: it takes minutes).
fm_ref = et_fmnist("ref") if onednn and not quick else None
rc, out, err, _, _ = run([torch_py, f"{peers}/torch_fmnist.py", fmnist_dir, str(threads)], "torch_fmnist")
kv = parse_kv(out, "pytorch") if rc == 0 else None
fm_torch = None
if kv:
    fm_torch = {"img_per_s": float(kv["img_per_s"]), "epoch_s": float(kv["epoch_s"]), "test_acc": float(kv["test_acc"]),
                "peak_rss_bytes": float(kv["peak_rss_MiB"]) * MiB}
    raw.append(dict(fm_torch, who="pytorch", case="fmnist-cnn epoch", line=out.strip().splitlines()[-1]))
else:
    raw.append({"who": "pytorch", "case": "fmnist-cnn epoch", "error": err.strip()[-300:] or f"rc {rc}"})
fm_tiny = None
if cfg["tinydnn"] == "1":
    idx = f"{work}/fmnist-idx"
    os.makedirs(idx, exist_ok=True)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        with gzip.open(f"{fmnist_dir}/{name}.gz") as src, open(f"{idx}/{name}", "wb") as dst:
            shutil.copyfileobj(src, dst)
    rc, out, err, rss, _ = run([cfg["tinydnn_bin"], idx], "tinydnn_fmnist")
    kv = parse_kv(out, "tiny-dnn") if rc == 0 else None
    if kv:
        fm_tiny = {"img_per_s": float(kv["img_per_s"]), "epoch_s": float(kv["epoch_s"]),
                   "test_acc": float(kv["test_acc"]), "peak_rss_bytes": rss}
        raw.append(dict(fm_tiny, who="tiny-dnn", case="fmnist-cnn epoch", line=out.strip().splitlines()[-1]))
    else:
        raw.append({"who": "tiny-dnn", "case": "fmnist-cnn epoch", "error": err.strip()[-300:] or f"rc {rc}"})
fm_peer_gflops = (lambda p: 6.0 * fm_et["forward_macs"] / 64 * p["img_per_s"] / 1e9 if fm_et and p else None)
for backend, r in (("auto", fm_et), ("ref", fm_ref)):
    if backend == "ref" and not r:
        continue
    for peer_res, peer_name in ((fm_torch, "PyTorch"), (fm_tiny, "tiny-dnn")):
        if peer_name == "tiny-dnn" and cfg["tinydnn"] != "1":
            continue
        rows.append({"case": "fmnist-cnn epoch b64", "backend": backend, "et": r, "peer": peer_res,
                     "peer_name": peer_name, "load": fm_load, "gflops": r and r["train_gflops"],
                     "peer_gflops": fm_peer_gflops(peer_res)})

# ---- Conv2d kernels
conv_md = []
if cfg["conv"] != "0":
    log(f"== conv_bench   (load {load_avg()})")
    cj = f"{work}/conv_bench.json"
    rc, out, err, _, _ = run([f"{build}/bench/conv_bench", "--threads", str(threads), "--benchmark_min_time=0.1",
                              f"--benchmark_out={cj}", "--benchmark_out_format=json"], "conv_bench")
    if rc == 0 and os.path.exists(cj):
        table = {}
        for b in json.load(open(cj))["benchmarks"]:
            parts = b["name"].split("/")  # conv/<net>/<layer>/<pass>/<impl>/<problem>[/real_time]
            if len(parts) < 6 or "GFLOPS" not in b:
                continue
            key = (parts[1], parts[2], parts[5])
            table.setdefault(key, {})[(parts[3], parts[4])] = b["GFLOPS"] / 1e9
            raw.append({"who": "conv_bench", "net": parts[1], "layer": parts[2], "pass": parts[3], "impl": parts[4],
                        "problem": parts[5], "gflops": b["GFLOPS"] / 1e9, "ms": b["real_time"]})
        impls = sorted({i for v in table.values() for (_, i) in v})
        cols = [(p, i) for i in impls for p in ("fwd", "bwd_data", "bwd_weights")]
        conv_md.append("| net | layer | problem | " + " | ".join(f"{p} {i}" for p, i in cols) + " |")
        conv_md.append("|---|---|---|" + "---:|" * len(cols))
        for (net, layer, prob), v in table.items():
            conv_md.append(f"| {net} | {layer} | `{prob}` | " +
                           " | ".join(f"{v[c]:.1f}" if c in v else "–" for c in cols) + " |")
    else:
        conv_md.append(f"conv_bench failed (rc {rc}): {err.strip()[-300:]}")


# ---- table
def f_ips(x):
    return "n/a" if x is None else (f"{x:.1f}" if x < 100 else f"{x:.0f}")


def f_mib(b):
    return "n/a" if b is None else f"{b / MiB:.0f} MiB"


def f_ratio(a, b):
    return "n/a" if a is None or b is None or b == 0 else f"{a / b:.2f}×"


lines = ["| case | edgetrain backend | edgetrain img/s | peer | peer img/s | speed ratio | edgetrain peak RSS | "
         "peer peak RSS | RSS ratio | edgetrain train GFLOPS | % of FMA peak | peer % of FMA peak (3×fwd) | load |",
         "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
for r in rows:
    et, peer = r["et"], r["peer"]
    e_ips = et and et.get("img_per_s")
    p_ips = peer and peer.get("img_per_s")
    e_rss = et and et.get("peak_rss_bytes")
    p_rss = peer and peer.get("peak_rss_bytes")
    g, pg = r.get("gflops"), r.get("peer_gflops")
    lines.append(f"| {r['case']} | {r['backend']} | {f_ips(e_ips)} | {r['peer_name']} | {f_ips(p_ips)} | "
                 f"{f_ratio(e_ips, p_ips)} | {f_mib(e_rss)} | {f_mib(p_rss)} | {f_ratio(e_rss, p_rss)} | "
                 f"{'n/a' if g is None else f'{g:.1f}'} | {'n/a' if g is None else f'{100 * g / peak:.0f} %'} | "
                 f"{'–' if pg is None else f'{100 * pg / peak:.0f} %'} | {r.get('load', '?')} |")

summary = []
acc = []
if fm_et:
    acc.append(f"edgetrain {fm_et['test_acc']:.4f} ({fm_et['epoch_s']:.1f} s)")
if fm_ref:
    acc.append(f"edgetrain --backend ref {fm_ref['test_acc']:.4f} ({fm_ref['epoch_s']:.1f} s)")
if fm_torch:
    acc.append(f"PyTorch {fm_torch['test_acc']:.4f} ({fm_torch['epoch_s']:.1f} s)")
if fm_tiny:
    acc.append(f"tiny-dnn {fm_tiny['test_acc']:.4f} ({fm_tiny['epoch_s']:.1f} s)")
for case in EDGE_CASES:  # issue 16's targets: >= 2x the better PyTorch configuration, peak RSS <= 0.6x
    et, peer = results.get(case, ({}, None))
    e = et.get("auto")
    if e and peer:
        summary.append(f"{case}: {e['img_per_s'] / peer['img_per_s']:.2f}× PyTorch ({peer['mode']}) images/s "
                       f"(target ≥ 2×), peak RSS {e['peak_rss_bytes'] / peer['peak_rss_bytes']:.2f}× (target ≤ 0.6×)")
summary.append("fmnist-cnn one epoch, test accuracy: " + (", ".join(acc) if acc else "n/a") +
               ("" if cfg["tinydnn"] == "1" else "; tiny-dnn skipped"))

full = results.get("resnet18 224² b32", ({}, None))[0].get("auto")
frz = results.get("resnet18 224² b32 frozen (layer4+fc)", ({}, None))[0].get("auto")
if full and frz:
    summary.append(
        f"frozen backbone (layer4+fc) / full training, resnet18 224² b32: planned peak "
        f"{frz['planned_peak_bytes'] / MiB:.0f} / {full['planned_peak_bytes'] / MiB:.0f} MiB = "
        f"{frz['planned_peak_bytes'] / full['planned_peak_bytes']:.2f}×; measured peak RSS "
        f"{frz['peak_rss_bytes'] / MiB:.0f} / {full['peak_rss_bytes'] / MiB:.0f} MiB = "
        f"{frz['peak_rss_bytes'] / full['peak_rss_bytes']:.2f}× (target ≤ 0.3×)")
fp = results.get("resnet18 224² b32 frozen (layer4+fc)", ({}, None))[1]
fullp = results.get("resnet18 224² b32", ({}, None))[1]
if fp and fullp:
    summary.append(f"PyTorch, same comparison: peak RSS {fp['peak_rss_bytes'] / MiB:.0f} / "
                   f"{fullp['peak_rss_bytes'] / MiB:.0f} MiB = {fp['peak_rss_bytes'] / fullp['peak_rss_bytes']:.2f}×")


# ---- targets (issue 3)
def speed(case):
    et, peer = results.get(case, ({}, None))
    r = et.get("auto")
    return r["img_per_s"] / peer["img_per_s"] if r and peer else None


targets = []


def target(name, value, ok, fmt="{:.2f}×"):
    targets.append(f"- {name}: {'n/a' if value is None else fmt.format(value)} "
                   f"{'' if value is None else ('— met' if ok else '— MISSED')}")


v = speed("resnet18 224² b8"); target("resnet18 224² b8 speed vs PyTorch's best configuration ≥ 1.25×", v, v is not None and v >= 1.25)
v = speed("mobilenet_v2 224² b8"); target("mobilenet_v2 224² b8 speed vs PyTorch's best configuration ≥ 2×", v, v is not None and v >= 2)
v = fm_et and fm_torch and fm_et["img_per_s"] / fm_torch["img_per_s"]
target("fmnist-cnn epoch speed vs PyTorch ≥ 3×", v or None, bool(v) and v >= 3)
if cfg["tinydnn"] == "1":
    v = fm_et and fm_tiny and fm_et["img_per_s"] / fm_tiny["img_per_s"]
    target("fmnist-cnn epoch speed vs tiny-dnn ≥ 20×", v or None, bool(v) and v >= 20)
for peer_res, name in ((fm_torch, "PyTorch"), (fm_tiny, "tiny-dnn")):
    if fm_et and peer_res:
        d = 100 * (fm_et["test_acc"] - peer_res["test_acc"])
        target(f"fmnist-cnn accuracy vs {name} equal within ±0.5 pp (higher counts as met)", d, d >= -0.5,
               "{:+.2f} pp")
worst = None
for r in rows:
    if r["et"] and r["peer"] and r["peer_name"].startswith("PyTorch") and r["backend"] == "auto":
        q = r["et"]["peak_rss_bytes"] / r["peer"]["peak_rss_bytes"]
        worst = q if worst is None else max(worst, q)
target("peak RSS ≤ 0.6× PyTorch's in every case (worst case shown)", worst, worst is not None and worst <= 0.6)
for case in ("resnet18 224² b8", "resnet18 224² b32"):
    et_case = results.get(case, ({}, None))[0]
    r = et_case.get("auto")
    v = r and 100 * r["train_gflops"] / peak
    how = ""
    if r and r.get("winograd_mac_share", 0) > 0:
        d = et_case.get("auto, direct")
        how = (f" (model FLOPs: {100 * r['winograd_mac_share']:.0f} % of the MACs ran as Winograd, fewer multiplies; "
               f"direct algorithm only: {100 * d['train_gflops'] / peak:.0f} %)" if d else "")
    target(f"{case} ≥ 70 % of the FMA peak (model FLOPs)", v or None, bool(v) and v >= 70, "{:.0f} %" + how.replace("{", "{{").replace("}", "}}"))
if full and frz:
    v = frz["planned_peak_bytes"] / full["planned_peak_bytes"]
    target("frozen-backbone planned memory ≤ 0.3× full training", v, v <= 0.3)
    v = frz["peak_rss_bytes"] / full["peak_rss_bytes"]
    target("frozen-backbone measured peak RSS ≤ 0.3× full training", v, v <= 0.3)

# ---- pruned networks retraining (issue 16, item 5): the training step must speed up at least 0.8x
# as much as the FLOPs fall
log(f"== pruned retraining: resnet20 1x28x28 and mobilenet_v2 3x64x64, batch 64   (load {load_avg()})")
prune_dir = f"{work}/prune"
rc, out, err, _, _ = run([torch_py, f"{root}/bench/prune_speedup.py", "--archs", "resnet20:1x28x28,mobilenet_v2:3x64x64",
                          "--levels", "30,50,80", "--batch", "64", "--runs", str(steps), "--training", "--bin", cli,
                          "--out", prune_dir], "prune_speedup")
prune_md = []
if rc == 0:
    import csv
    prune_md = ["| model | pruned | training step ms | FLOP cut × | speed-up × | speed-up / FLOP cut |", "|---|---|---|---|---|---|"]
    for r in csv.DictReader(open(f"{prune_dir}/prune_speedup.csv")):
        raw.append(dict(r, who="prune_speedup"))
        prune_md.append(f"| {r['arch']} {r['input']} | {r['level']} % | {float(r['ms']):.2f} | {float(r['flop_reduction']):.2f} | "
                        f"{float(r['speedup']):.2f} | {float(r['speedup_over_flop_reduction']):.2f} |")
        if int(r["level"]) > 0:
            v = float(r["speedup_over_flop_reduction"])
            target(f"{r['arch']} pruned {r['level']} %: training speed-up ≥ 0.8× its FLOP reduction", v, v >= 0.8)
else:
    prune_md = [f"prune_speedup.py failed (rc {rc}): {(out + err).strip()[-300:]}"]
lines += ["", "Pruned networks retraining (weight-L1 pruning by `edgetrain prune`, SGD training step, batch 64):", ""] + prune_md

# ---- report
try:
    rev = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    rev += " (+ local changes)" if dirty else ""
except OSError:
    rev = "?"
cpu = "?"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip()
        break
head = [f"# edgetrain benchmarks, {datetime.datetime.now():%Y-%m-%d %H:%M}",
        "",
        f"git {rev}; {cpu}, {os.cpu_count()} CPUs; {threads} threads; {'quick' if quick else 'full'} mode "
        f"({steps} timed steps after {warmup} warm-up; PyTorch: {steps} after 2); load average at the end {load_avg()} "
        "(the load column: 1-minute load average when the case started; a 2-CPU machine above 2 was shared).",
        f"FMA peak (peak_fma): " + ", ".join(f"{t} thread{'s' if t > 1 else ''} {g:.1f} GFLOPS" for t, g in sorted(peaks.items())) +
        f" (best of 3); the % columns use {peak:.1f}.",
        "edgetrain train GFLOPS = 2 × the MACs the plan executes (fwd + bwd_data + bwd_weights) / median step time, "
        "each convolution counted at its direct-algorithm MACs (model FLOPs) also where it ran as Winograd "
        "(backend 'auto, direct': the same with EDGETRAIN_WINOGRAD=0); "
        "the peer column uses the peers' convention, 3 × forward FLOPs × img/s. Peak RSS is the whole process's "
        "high-water mark (VmHWM / ru_maxrss) for both sides.",
        ""]
body = head + lines + [""] + summary + notes + ["", "Targets (issue 3):", ""] + targets
print("\n".join(body))
out_md = f"{root}/bench/results/{cfg['stamp']}.md"
with open(out_md, "w") as f:
    f.write("\n".join(body) + "\n")
    if conv_md:
        f.write(f"\n## Conv2d kernels (conv_bench, batch 8, {threads} threads), GFLOPS\n\n" + "\n".join(conv_md) + "\n")
    f.write("\n## Raw results (one JSON object per line)\n\n```\n")
    for r in raw:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
    f.write("```\n")
if conv_md:
    print("\nConv2d kernels: see the report.")
print(f"\nreport: {out_md}")
PY

cfg=$(printf '{"root":"%s","build":"%s","peers":"%s","work":"%s","threads":"%s","quick":"%s","tinydnn":"%s","conv":"%s","tinydnn_bin":"%s","stamp":"%s"}' \
  "$root" "$build" "$peers" "$work" "$threads" "$quick" "$tinydnn" "$conv" "$tinydnn_bin" "$stamp")
/usr/bin/python3 "$work/orchestrate.py" "$cfg"
