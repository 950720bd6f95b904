#!/usr/bin/python3
"""Independent-consumer check of an ONNX file exported by edgetrain (run by ctest).

    /usr/bin/python3 tests/onnx/check_export.py EXPORTED.onnx SAMPLE.ett [MORE.onnx ...] \
        [--tol 1e-4] [--as-is]

Every ONNX file given (EXPORTED.onnx and any MORE.onnx, e.g. a BN-folded variant of the same
model) is checked on its own against the same SAMPLE.ett:

1. onnx.checker.check_model(path, full_check=True) (structure + strict shape inference);
2. the model's metadata_props must contain `edgetrain.class_names` (printed);
3. OpenCV's dnn module runs the file on SAMPLE.ett's `input` [N,C,H,W] and the result is
   compared with SAMPLE.ett's `logits` [N,K] (edgetrain's own eval-mode output).

Prints, per file, the class names and then one line `ok: <file>: opencv max |diff| = X over
[N,K] logits` (plus notes), or a `FAIL: <file>: ...` line; exit status 0 when every file
passes, 1 on a mismatch above --tol or any error.

OpenCV 4.6 cannot import two standard constructs that are nonetheless valid ONNX; the copy
handed to OpenCV (never the file) is rewritten, equivalently, and the rewrite is reported:
  * Identity nodes whose input is an initializer (PyTorch's exporter emits them for
    de-duplicated initializers): replaced by a copy of the initializer;
  * Clip with min/max given as constant inputs (opset >= 11): turned into the attribute form.
With --as-is the file goes to OpenCV exactly as written (edgetrain's opset-10 export needs no
rewrite). If OpenCV cannot run the whole batch (error, wrong output shape, or a graph whose input
declares a fixed batch of 1), images are fed one at a time and the output line says so.
"""
import argparse
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

CLASS_NAMES_KEY = "edgetrain.class_names"


def _constant_values(model):
    """name -> numpy array for every initializer and every Constant node output."""
    from onnx import numpy_helper
    values = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Constant":
            for attr in node.attribute:
                if attr.name == "value":
                    values[node.output[0]] = numpy_helper.to_array(attr.t)
    return values


def opencv_compatible(model):
    """Rewrite (in place) constructs OpenCV 4.6's ONNX importer rejects into equivalent ones
    it accepts; returns a list of human-readable notes about what was changed."""
    import onnx
    from onnx import helper
    inits = {i.name: i for i in model.graph.initializer}
    consts = _constant_values(model)
    n_identity = n_clip = 0
    nodes = []
    for node in model.graph.node:
        if node.op_type == "Identity" and node.input[0] in inits:
            t = onnx.TensorProto()
            t.CopyFrom(inits[node.input[0]])
            t.name = node.output[0]
            model.graph.initializer.append(t)
            inits[t.name] = t
            n_identity += 1
            continue
        if node.op_type == "Clip" and len(node.input) > 1:
            bounds = list(node.input[1:]) + [""] * (3 - len(node.input))
            if all(b == "" or b in consts for b in bounds):
                lo = float(consts[bounds[0]]) if bounds[0] else float(np.finfo(np.float32).min)
                hi = float(consts[bounds[1]]) if bounds[1] else float(np.finfo(np.float32).max)
                node = helper.make_node("Clip", [node.input[0]], list(node.output),
                                        name=node.name, min=lo, max=hi)
                n_clip += 1
        nodes.append(node)
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    notes = []
    if n_identity:
        notes.append("%d initializer Identity node(s) inlined for OpenCV" % n_identity)
    if n_clip:
        notes.append("%d Clip node(s) turned into attribute form for OpenCV" % n_clip)
    return notes


def graph_input(model):
    """The (single) graph input that is not an initializer."""
    init_names = {i.name for i in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in init_names]
    if len(inputs) != 1:
        raise ValueError("expected exactly one graph input, found %s" % [i.name for i in inputs])
    return inputs[0]


def opencv_forward(model, x, notes=None, as_is=False):
    """Run the ONNX ModelProto `model` on x [N,C,H,W] float32 with cv2.dnn (on a rewritten
    copy, see opencv_compatible). Returns the [N, ...] output; appends notes."""
    import cv2
    import onnx
    notes = [] if notes is None else notes
    m = onnx.ModelProto()
    m.CopyFrom(model)
    if not as_is:
        notes += opencv_compatible(m)
    inp = graph_input(m)
    dims = inp.type.tensor_type.shape.dim
    fixed_batch = dims[0].dim_value if dims and dims[0].HasField("dim_value") else None
    buf = np.frombuffer(m.SerializeToString(), np.uint8)
    x = np.ascontiguousarray(x, dtype=np.float32)

    def run(batch):
        net = cv2.dnn.readNetFromONNX(buf)
        net.setInput(batch, inp.name)
        return net.forward()

    n = x.shape[0]
    if n > 1 and fixed_batch != n:
        reason = None
        if fixed_batch is not None:
            reason = "graph input declares batch %d" % fixed_batch
        else:
            try:
                out = run(x)
                if out.shape[0] == n:
                    return out
                reason = "batched output has shape %s" % (list(out.shape),)
            except cv2.error as e:
                reason = "batched run failed: %s" % str(e).strip().splitlines()[-1]
        notes.append("fed images one at a time (%s)" % reason)
        return np.concatenate([run(x[i:i + 1]) for i in range(n)], axis=0)
    return run(x)


def check(onnx_path, sample_path, tol, as_is=False):
    """Returns (ok, message); main() prefixes the message with the file name."""
    import onnx
    from ettensors import read_tensors

    onnx.checker.check_model(onnx_path, full_check=True)
    model = onnx.load(onnx_path)
    meta = {p.key: p.value for p in model.metadata_props}
    if CLASS_NAMES_KEY not in meta:
        return False, "metadata_props lack %r (have %s)" % (CLASS_NAMES_KEY, sorted(meta))
    print("%s: %s = %s" % (onnx_path, CLASS_NAMES_KEY, meta[CLASS_NAMES_KEY]), flush=True)

    sample = read_tensors(sample_path)
    for key in ("input", "logits"):
        if key not in sample:
            return False, "%s has no %r tensor (has %s)" % (sample_path, key, list(sample))
    x, want = sample["input"], sample["logits"]
    if x.dtype != np.float32 or x.ndim != 4:
        return False, "%s: input must be float32 [N,C,H,W], is %s %s" % (
            sample_path, x.dtype, list(x.shape))

    notes = []
    got = opencv_forward(model, x, notes, as_is)
    got = got.reshape(got.shape[0], -1) if got.ndim > 2 else got
    if got.shape != want.shape:
        return False, "opencv output shape %s != expected logits shape %s" % (
            list(got.shape), list(want.shape))
    diff = float(np.abs(got.astype(np.float64) - want).max()) if want.size else 0.0
    line = "opencv max |diff| = %.3g over %s logits" % (diff, list(want.shape))
    if notes:
        line += " (" + "; ".join(notes) + ")"
    if not diff <= tol:  # also catches NaN
        return False, line + " exceeds tol %g" % tol
    return True, line


def main():
    ap = argparse.ArgumentParser(description="Check an edgetrain-exported ONNX file with "
                                             "onnx.checker and OpenCV dnn.")
    ap.add_argument("onnx_file")
    ap.add_argument("sample", help="ETT file with `input` [N,C,H,W] and `logits` [N,K]")
    ap.add_argument("more", nargs="*", metavar="MORE.onnx",
                    help="further ONNX files checked against the same sample")
    ap.add_argument("--tol", type=float, default=1e-4, help="max allowed |diff| (1e-4)")
    ap.add_argument("--as-is", action="store_true",
                    help="hand OpenCV the file exactly as written (no compatibility rewrite)")
    args = ap.parse_args()
    all_ok = True
    for path in [args.onnx_file] + args.more:
        try:
            import cv2
            cv2.setNumThreads(1)
            ok, msg = check(path, args.sample, args.tol, args.as_is)
        except Exception as e:  # any error is a failure with a readable line, not a traceback
            ok, msg = False, "%s: %s" % (type(e).__name__, str(e).strip().replace("\n", " | "))
        print("%s: %s: %s" % ("ok" if ok else "FAIL", path, msg), flush=True)
        all_ok = all_ok and ok
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
