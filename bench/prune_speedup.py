#!/usr/bin/python3
"""Do pruned networks run faster in proportion to the FLOPs they lost? (issue: "pruned networks show
measured inference speed-ups consistent with their FLOP reduction")

    /usr/bin/python3 bench/prune_speedup.py [--archs resnet18,mobilenet_v2,vgg11_bn,squeezenet1_1]
        [--levels 30,50,70,90] [--input 3x224x224] [--batch 1] [--runs 30] [--training]
        [--out bench/results/prune] [--bin build/tools/cli/edgetrain]

Each architecture (an entry may give its own input: resnet20:1x28x28) is pruned by weight L1
(`edgetrain prune --criterion l1`) to each level and its inference step — with --training, its
training step (SGD, all parameters: what on-device retraining after pruning runs) — is timed
(`edgetrain bench`, median of --runs after a warm-up, in a fresh process each); the original is
timed the same way. The target for retraining (issue 16, item 5): speed-up >= 0.8 x FLOP reduction. Prints, per level, the FLOP reduction (original
FLOPs / pruned FLOPs), the measured speed-up (original time / pruned time) and their ratio (1.0 = the
speed-up the FLOPs promise), and writes <out>/prune_speedup.csv. Uses only the edgetrain CLI.
"""
import argparse
import csv
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sh(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise SystemExit("failed (%d): %s\n%s" % (r.returncode, " ".join(cmd), r.stdout[-2000:]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--archs", default="resnet18,mobilenet_v2,vgg11_bn,squeezenet1_1")
    ap.add_argument("--levels", default="30,50,70,90")
    ap.add_argument("--input", default="3x224x224")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--training", action="store_true", help="time the training step instead of inference")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "prune"))
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "tools", "cli", "edgetrain"))
    args = ap.parse_args()
    if not os.path.exists(args.bin):
        subprocess.check_call([os.path.join(ROOT, "scripts", "build.sh"), "build"])
    work = os.path.join(args.out, "speedup_work")
    os.makedirs(work, exist_ok=True)
    rows = []
    print("%-14s %-10s %6s %10s %12s %10s %8s" % ("arch", "input", "level", "ms", "FLOP cut x", "speed-up x", "ratio"))
    for entry in args.archs.split(","):
        arch, _, chw = entry.partition(":")
        chw = chw or args.input
        base = None
        for level in [0] + [int(v) for v in args.levels.split(",")]:
            ckpt = os.path.join(work, "%s_%s_%d.ckpt" % (arch, chw, level))
            rep = os.path.join(work, "%s_%s_%d.prune.json" % (arch, chw, level))
            sh([args.bin, "prune", "--model", arch, "--input", chw, "--num-classes", "10", "--criterion", "l1",
                "--level", str(level / 100.0), "--out", ckpt, "--json", rep])
            macs = json.load(open(rep))["macs_after"]
            timing = os.path.join(work, "%s_%s_%d.bench.json" % (arch, chw, level))
            sh([args.bin, "bench", "--checkpoint", ckpt, "--batch", str(args.batch), "--runs", str(args.runs),
                "--json", timing] + ([] if args.training else ["--inference"]))
            ms = json.load(open(timing))["step_ms"]
            if base is None:
                base = (macs, ms)
            flop_cut, speedup = base[0] / macs, base[1] / ms
            rows.append({"arch": arch, "input": chw, "level": level, "forward_macs": macs, "ms": round(ms, 4),
                         "flop_reduction": round(flop_cut, 3), "speedup": round(speedup, 3),
                         "speedup_over_flop_reduction": round(speedup / flop_cut, 3)})
            print("%-14s %-10s %5d%% %10.3f %12.2f %10.2f %8.2f" % (arch, chw, level, ms, flop_cut, speedup, speedup / flop_cut),
                  flush=True)
    path = os.path.join(args.out, "prune_speedup.csv")
    with open(path + ".tmp", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    os.replace(path + ".tmp", path)
    pruned = [r for r in rows if r["level"] > 0]
    print("\nmeasured speed-up / FLOP reduction over %d pruned models: mean %.2f, min %.2f, max %.2f (%s step, batch %d)"
          % (len(pruned), sum(r["speedup_over_flop_reduction"] for r in pruned) / len(pruned),
             min(r["speedup_over_flop_reduction"] for r in pruned), max(r["speedup_over_flop_reduction"] for r in pruned),
             "training" if args.training else "inference", args.batch))
    print("wrote %s" % path)


if __name__ == "__main__":
    sys.exit(main())
