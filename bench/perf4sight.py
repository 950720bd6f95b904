#!/usr/bin/python3
"""The perf4sight protocol (METHODS §3) on edgetrain's predictor: predicted against measured training
memory and step time of structurally pruned network variants.

    /usr/bin/python3 bench/perf4sight.py [--archs resnet18,resnet50,mobilenet_v2,squeezenet1_1,vgg11_bn]
        [--levels 0,5,...,90] [--batches 8,32] [--calibrate-seconds 90] [--profile FILE]
        [--out bench/results/perf4sight]

1. `edgetrain calibrate` measures this device on random synthetic networks (never on the
   architectures below) and saves a device profile (or --profile reuses one).
2. Every architecture (64x64 input; VGG-11 at 224x224, the smallest size its 7x7 classifier pool
   takes) is pruned at random (`edgetrain prune --criterion random`) to each level, and each variant
   is measured at each batch size by `edgetrain bench --kernels` (1 warm-up + 3 timed steps in a fresh
   process: median step time, peak RSS, every step's time).
3. Predictions, with accuracy = 1 - mean(|pred - meas| / meas):
   calibration only   the profile as calibrated (nothing of these architectures seen);
   held-out levels    the profile refitted with the measured steps of levels {0,30,50,70,90},
                      evaluated on the other levels (perf4sight's split);
   held-out arch      for each architecture, the profile refitted with the other four's runs.
   Memory is not learned from these runs: it is the plan's exact bytes plus the profile's process
   memory, the same in every split.
Writes <out>/perf4sight.csv and <out>/perf4sight.svg (predicted against measured) and prints the
accuracies. Uses only the edgetrain CLI and the standard library.
"""
import argparse
import csv
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAIN_LEVELS = {0, 30, 50, 70, 90}
INPUT = {"vgg11_bn": "3x224x224"}
BATCHES = {"vgg11_bn": [2, 8]}


def sh(cmd, quiet=True):
    r = subprocess.run(cmd, stdout=subprocess.PIPE if quiet else None, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise SystemExit("failed (%d): %s\n%s" % (r.returncode, " ".join(cmd), (r.stdout or "")[-2000:]))
    return r.stdout


def predict(et, profile, reports, out_json):
    sh(et + ["predict", "--profile", profile, "--from-bench"] + reports + ["--json", out_json])
    return {r["report"]: r for r in json.load(open(out_json))["runs"]}


def accuracy(pairs):
    return 1 - sum(abs(p - m) / m for p, m in pairs) / max(len(pairs), 1)


def svg_scatter(rows, path):
    W, H, pad = 430, 400, 55
    panels = [("step time (ms)", "meas_ms", "pred_ms_levels"), ("peak memory (MiB)", "meas_mib", "pred_mib")]
    archs = sorted({r["arch"] for r in rows})
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">'
           % (W * 2, H + 30)]
    import math
    for k, (title, mk, pk) in enumerate(panels):
        pts = [(r[mk], r[pk], r["arch"]) for r in rows if r.get(pk)]
        lo = min(min(a, b) for a, b, _ in pts)
        hi = max(max(a, b) for a, b, _ in pts)
        lo, hi = math.log10(lo) - 0.05, math.log10(hi) + 0.05
        x0 = k * W
        sx = lambda v: x0 + pad + (W - 2 * pad) * (math.log10(v) - lo) / (hi - lo)
        sy = lambda v: H - pad + 20 - (H - 2 * pad) * (math.log10(v) - lo) / (hi - lo)
        out.append('<text x="%d" y="16" font-size="13">predicted vs measured %s%s</text>' % (
            x0 + pad, title, " (held-out levels)" if k == 0 else ""))
        out.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#999" stroke-dasharray="4,3"/>' % (
            sx(10 ** lo), sy(10 ** lo), sx(10 ** hi), sy(10 ** hi)))
        for e in range(int(math.floor(lo)), int(math.ceil(hi)) + 1):
            for m in (1, 2, 5):
                v = m * 10 ** e
                if lo <= math.log10(v) <= hi:
                    out.append('<text x="%.1f" y="%d" text-anchor="middle">%g</text>' % (sx(v), H - 12, v))
                    out.append('<text x="%d" y="%.1f" text-anchor="end">%g</text>' % (x0 + pad - 4, sy(v) + 4, v))
        for a, b, arch in pts:
            out.append('<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s" fill-opacity="0.7"/>' % (
                sx(a), sy(b), colours[archs.index(arch) % len(colours)]))
        for i, arch in enumerate(archs):
            out.append('<text x="%d" y="%d" fill="%s">%s</text>' % (x0 + pad + 6, 40 + 14 * i, colours[i % len(colours)], arch))
        out.append('<text x="%d" y="%d">x: measured, y: predicted (log scales)</text>' % (x0 + pad, H + 20))
    out.append("</svg>")
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(out) + "\n")
    os.replace(path + ".tmp", path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--archs", default="resnet18,resnet50,mobilenet_v2,squeezenet1_1,vgg11_bn")
    ap.add_argument("--levels", default=",".join(str(v) for v in range(0, 95, 5)))
    ap.add_argument("--batches", default="8,32")
    ap.add_argument("--calibrate-seconds", type=int, default=90)
    ap.add_argument("--profile", help="reuse this device profile instead of calibrating")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "perf4sight"))
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "tools", "cli", "edgetrain"))
    args = ap.parse_args()
    if not os.path.exists(args.bin):
        subprocess.check_call([os.path.join(ROOT, "scripts", "build.sh"), "build"])
    et = [args.bin] + (["--threads", str(args.threads)] if args.threads else [])
    work = os.path.join(args.out, "work")
    os.makedirs(work, exist_ok=True)
    archs = args.archs.split(",")
    levels = [int(v) for v in args.levels.split(",")]

    profile = args.profile or os.path.join(args.out, "device.json")
    if not args.profile:
        print("calibrating (%d s) ..." % args.calibrate_seconds, flush=True)
        print(sh(et + ["calibrate", "--seconds", str(args.calibrate_seconds), "-o", profile]).strip().splitlines()[-4], flush=True)

    runs = []  # (arch, level, batch, report)
    for arch in archs:
        inp = INPUT.get(arch, "3x64x64")
        batches = BATCHES.get(arch, [int(b) for b in args.batches.split(",")])
        for level in levels:
            ckpt = os.path.join(work, "%s_%02d.ckpt" % (arch, level))
            if not os.path.exists(ckpt):
                sh(et + ["prune", "--model", arch, "--input", inp, "--num-classes", "10", "--criterion", "random",
                         "--seed", str(level + 1), "--level", str(level / 100.0), "--out", ckpt])
            for b in batches:
                rep = os.path.join(work, "%s_%02d_b%d.json" % (arch, level, b))
                if not os.path.exists(rep):
                    sh(et + ["bench", "--checkpoint", ckpt, "--batch", str(b), "--runs", "3", "--kernels", "--json", rep])
                runs.append((arch, level, b, rep))
        print("%-14s measured %d variants x %d batch sizes" % (arch, len(levels), len(batches)), flush=True)

    reports = [r[3] for r in runs]
    base = predict(et, profile, reports, os.path.join(work, "pred_calibration.json"))
    # held-out levels: refit with the training levels' measured steps
    train = [r[3] for r in runs if r[1] in TRAIN_LEVELS]
    prof_levels = os.path.join(work, "device_levels.json")
    sh(et + ["calibrate", "--profile", profile, "--add"] + train + ["-o", prof_levels])
    by_levels = predict(et, prof_levels, reports, os.path.join(work, "pred_levels.json"))
    # held-out architecture: refit with the other architectures' runs
    by_arch = {}
    for arch in archs:
        others = [r[3] for r in runs if r[0] != arch]
        prof_arch = os.path.join(work, "device_without_%s.json" % arch)
        sh(et + ["calibrate", "--profile", profile, "--add"] + others + ["-o", prof_arch])
        mine = [r[3] for r in runs if r[0] == arch]
        by_arch.update(predict(et, prof_arch, mine, os.path.join(work, "pred_without_%s.json" % arch)))

    rows = []
    for arch, level, b, rep in runs:
        m = base[rep]
        rows.append({"arch": arch, "level": level, "batch": b, "split": "train" if level in TRAIN_LEVELS else "test",
                     "meas_ms": round(m["measured_step_ms"], 3), "pred_ms_calibration": round(m["predicted_step_ms"], 3),
                     "pred_ms_levels": round(by_levels[rep]["predicted_step_ms"], 3),
                     "pred_ms_arch": round(by_arch[rep]["predicted_step_ms"], 3),
                     "meas_mib": round(m["measured_peak_rss_bytes"] / 2 ** 20, 2),
                     "pred_mib": round(m["predicted_bytes"] / 2 ** 20, 2)})
    with open(os.path.join(args.out, "perf4sight.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    svg_scatter([r for r in rows if r["split"] == "test"] or rows, os.path.join(args.out, "perf4sight.svg"))

    test = [r for r in rows if r["split"] == "test"]
    print("\n%-28s %8s %8s" % ("accuracy (1 - mean rel. error)", "memory", "latency"))
    print("%-28s %7.2f%% %7.2f%%" % ("calibration only, all runs", 100 * accuracy([(r["pred_mib"], r["meas_mib"]) for r in rows]),
                                      100 * accuracy([(r["pred_ms_calibration"], r["meas_ms"]) for r in rows])))
    print("%-28s %7.2f%% %7.2f%%" % ("held-out levels", 100 * accuracy([(r["pred_mib"], r["meas_mib"]) for r in test]),
                                      100 * accuracy([(r["pred_ms_levels"], r["meas_ms"]) for r in test])))
    for arch in archs:
        mine = [r for r in rows if r["arch"] == arch]
        print("%-28s %7.2f%% %7.2f%%" % ("held-out arch " + arch, 100 * accuracy([(r["pred_mib"], r["meas_mib"]) for r in mine]),
                                          100 * accuracy([(r["pred_ms_arch"], r["meas_ms"]) for r in mine])))
    print("%-28s %8s %7.2f%%" % ("held-out arch, mean", "", 100 * accuracy([(r["pred_ms_arch"], r["meas_ms"]) for r in rows])))
    print("targets: memory >= 99 %, latency >= 95 % (held-out levels), >= 90 % (held-out architecture)")
    print("wrote %s and %s" % (os.path.join(args.out, "perf4sight.csv"), os.path.join(args.out, "perf4sight.svg")))


if __name__ == "__main__":
    sys.exit(main())
