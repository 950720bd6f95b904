#!/usr/bin/python3
"""Writes the committed seed corpus of the fuzz targets (fuzz/corpus/<target>/): tiny valid files of every
format, made with the project's own writers where there is one. Run once after changing a format.

  /usr/bin/python3 fuzz/make_corpus.py [--cli build/tools/cli/edgetrain] [--onnx-fixtures build/onnx-fixtures]

Needs Debian's python3-numpy, python3-onnx and python3-pil; the ONNX and checkpoint seeds also need the
edgetrain CLI and the ONNX test fixtures (the `onnx_fixtures` test makes them). Reproducers of fixed bugs
(fuzz/corpus/<target>/regress-*) are kept as they are.
"""
import argparse
import io
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))
import ettensors  # noqa: E402  (the ETT writer)


def out_dir(target):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if not f.startswith("regress-"):
            os.remove(os.path.join(d, f))
    return d


def write(d, name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def idx_seeds():
    d = out_dir("idx")
    rng = np.random.default_rng(1)
    for name, (n, h, w) in {"2x3x2": (2, 3, 2), "1x1x1": (1, 1, 1), "5x4x4": (5, 4, 4)}.items():
        images = struct.pack(">IIII", 0x803, n, h, w) + rng.integers(0, 256, n * h * w, dtype=np.uint8).tobytes()
        labels = struct.pack(">II", 0x801, n) + bytes(i % 10 for i in range(n))
        write(d, name, struct.pack("<I", len(images)) + images + labels)  # fuzz/idx.cpp's input layout


def cifar_seeds():
    d = out_dir("cifar")
    rng = np.random.default_rng(2)
    for kind, name, records in [(0, "cifar10-2", 2), (1, "cifar100-fine-1", 1), (2, "cifar100-coarse-1", 1)]:
        body = b""
        for r in range(records):
            label = bytes([r % 10]) if kind == 0 else bytes([r % 20, r % 100])
            body += label + rng.integers(0, 256, 3072, dtype=np.uint8).tobytes()
        write(d, name, bytes([kind]) + body)


def tensor_seeds():
    d = out_dir("tensor_file")
    rng = np.random.default_rng(3)
    sets = {
        "mixed": {"x": rng.standard_normal((2, 3)).astype(np.float32), "labels": np.array([1, 0], np.int32)},
        "scalar": {"s": np.array(1.5, np.float32)},
        "empty-dim": {"e": np.zeros((0, 4), np.float32), "r4": np.ones((1, 2, 1, 2), np.float32)},
        "int64": {"i": np.array([3, 4], np.int64)},
        "none": {},
    }
    for name, tensors in sets.items():
        path = os.path.join(d, name)
        ettensors.write_tensors(path, tensors)


def image_seeds():
    d = out_dir("image")
    rng = np.random.default_rng(4)
    rgb = Image.fromarray(rng.integers(0, 256, (5, 3, 3), dtype=np.uint8), "RGB")
    grey = Image.fromarray(rng.integers(0, 256, (4, 4), dtype=np.uint8), "L")
    rgba = Image.fromarray(rng.integers(0, 256, (3, 2, 4), dtype=np.uint8), "RGBA")
    variants = {
        "rgb.png": (rgb, "PNG", {}),
        "grey.png": (grey, "PNG", {}),
        "rgba.png": (rgba, "PNG", {}),
        "palette.png": (rgb.convert("P"), "PNG", {}),
        "grey16.png": (Image.fromarray(rng.integers(0, 65536, (3, 3), dtype=np.uint16)), "PNG", {}),
        "bilevel.png": (grey.convert("1"), "PNG", {}),
        "rgb.jpg": (rgb, "JPEG", {"quality": 90}),
        "grey.jpg": (grey, "JPEG", {}),
        "progressive.jpg": (rgb.resize((9, 17)), "JPEG", {"progressive": True}),
        "subsampled.jpg": (rgb.resize((17, 9)), "JPEG", {"subsampling": 2}),
        "rgb.bmp": (rgb, "BMP", {}),
        "palette.bmp": (rgb.convert("P"), "BMP", {}),
        "bilevel.bmp": (grey.convert("1"), "BMP", {}),
        "rgba.bmp": (rgba, "BMP", {}),
    }
    for name, (img, fmt, kw) in variants.items():
        buf = io.BytesIO()
        img.save(buf, fmt, **kw)
        write(d, name, buf.getvalue())


def const(name, arr):
    return numpy_helper.from_array(np.asarray(arr), name)


def misc_ops_model(opset):
    """A small graph of the operators PyTorch's tiny_ops fixture lacks (Clip, MaxPool, Dropout, Identity,
    Relu, Concat, Flatten, Gemm, Div, Squeeze) and the constant chains exporters put around Reshape."""
    rng = np.random.default_rng(5)
    f = lambda *s: rng.standard_normal(s).astype(np.float32)  # noqa: E731
    inits = [const("c1.weight", f(4, 3, 3, 3)), const("c1.bias", f(4)), const("bn.weight", f(4)),
             const("bn.bias", f(4)), const("bn.running_mean", f(4)), const("bn.running_var", np.abs(f(4)) + 1),
             const("c2.weight", f(4, 4, 1, 1)), const("fc.weight", f(3, 8)), const("fc.bias", f(3)),
             const("two", np.array(2.0, np.float32)), const("pads", np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64))]
    clip = ([helper.make_node("Clip", ["bn"], ["clip"], min=0.0, max=6.0)] if opset < 11 else
            [helper.make_node("Constant", [], ["lo"], value=const("lo", np.array(0.0, np.float32))),
             helper.make_node("Constant", [], ["hi"], value=const("hi", np.array(6.0, np.float32))),
             helper.make_node("Clip", ["bn", "lo", "hi"], ["clip"])])
    pad = (helper.make_node("Pad", ["input"], ["padded"], pads=[0, 0, 1, 1, 0, 0, 1, 1]) if opset < 11 else
           helper.make_node("Pad", ["input", "pads"], ["padded"]))
    nodes = [pad, helper.make_node("Conv", ["padded", "c1.weight", "c1.bias"], ["c1"], kernel_shape=[3, 3]),
             helper.make_node("BatchNormalization", ["c1", "bn.weight", "bn.bias", "bn.running_mean",
                                                     "bn.running_var"], ["bn"], epsilon=1e-5)]
    nodes += clip
    nodes += [helper.make_node("MaxPool", ["clip"], ["mp"], kernel_shape=[2, 2], strides=[2, 2]),
              helper.make_node("Dropout", ["mp"], ["drop"]),
              helper.make_node("Identity", ["drop"], ["ident"]),
              helper.make_node("Conv", ["ident", "c2.weight"], ["c2"], kernel_shape=[1, 1]),
              helper.make_node("Relu", ["c2"], ["relu"]),
              helper.make_node("Concat", ["relu", "ident"], ["cat"], axis=1),
              helper.make_node("GlobalAveragePool", ["cat"], ["gap"]),
              helper.make_node("Shape", ["gap"], ["shape"]),
              helper.make_node("Gather", ["shape", "zero"], ["batch"], axis=0),
              helper.make_node("Constant", [], ["zero"], value=const("zero", np.array(0, np.int64))),
              helper.make_node("Unsqueeze", ["batch"], ["batch1"], axes=[0]) if opset < 13 else
              helper.make_node("Unsqueeze", ["batch", "axes0"], ["batch1"]),
              helper.make_node("Constant", [], ["axes0"], value=const("axes0", np.array([0], np.int64))),
              helper.make_node("Constant", [], ["minus1"], value=const("minus1", np.array([-1], np.int64))),
              helper.make_node("Concat", ["batch1", "minus1"], ["newshape"], axis=0),
              helper.make_node("Reshape", ["gap", "newshape"], ["flat"]),
              helper.make_node("Gemm", ["flat", "fc.weight", "fc.bias"], ["fc"], transB=1),
              helper.make_node("Div", ["fc", "two"], ["logits"])]
    # Constants first: ONNX wants topological order.
    nodes.sort(key=lambda n: n.op_type != "Constant")
    graph = helper.make_graph(nodes, "misc_ops", [helper.make_tensor_value_info("input", TensorProto.FLOAT,
                                                                                  ["N", 3, 6, 6])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 3])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    return model.SerializeToString()


def onnx_seeds(cli, fixtures):
    d = out_dir("onnx_import")
    for opset in (9, 13):
        write(d, "misc_ops-opset%d.onnx" % opset, misc_ops_model(opset))
    for src, name in [("tiny_ops/train.onnx", "tiny_ops-train.onnx"), ("tiny_ops/eval.onnx", "tiny_ops-eval.onnx"),
                      ("odd/dynamic_hw.onnx", "dynamic_hw.onnx"), ("odd/unsupported_op.onnx", "unsupported_op.onnx")]:
        shutil.copy(os.path.join(fixtures, src), os.path.join(d, name))
    tiny = os.path.join(fixtures, "tiny_ops/train.onnx")
    for name, args in [("export-opset10-foldbn.onnx", ["--opset", "10", "--fold-bn"]),
                       ("export-opset17.onnx", ["--opset", "17"])]:
        subprocess.run([cli, "export", "--model", tiny, "-o", os.path.join(d, name)] + args, check=True,
                       stdout=subprocess.DEVNULL)


def checkpoint_seeds(cli, fixtures):
    d = out_dir("checkpoint")
    rng = np.random.default_rng(6)
    with tempfile.TemporaryDirectory() as tmp:
        for c in ("a", "b"):
            os.makedirs(os.path.join(tmp, "data", c))
            for i in range(2):
                Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8), "RGB").save(
                    os.path.join(tmp, "data", c, "%d.png" % i))
        data = "folder:data"  # relative: the checkpoint's metadata records it
        for name, model in [("tiny_ops.ckpt", os.path.join(fixtures, "tiny_ops/train.onnx")),
                            ("misc_ops.ckpt", os.path.join(HERE, "corpus/onnx_import/misc_ops-opset13.onnx"))]:
            subprocess.run([cli, "--threads", "1", "train", "--model", model, "--num-classes", "2", "--data", data,
                            "--epochs", "1", "--batch", "2", "--out", os.path.join(d, name)], check=True,
                           stdout=subprocess.DEVNULL, cwd=tmp)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cli", default="build/tools/cli/edgetrain")
    ap.add_argument("--onnx-fixtures", default="build/onnx-fixtures")
    args = ap.parse_args()
    args.cli, args.onnx_fixtures = os.path.abspath(args.cli), os.path.abspath(args.onnx_fixtures)
    idx_seeds()
    cifar_seeds()
    tensor_seeds()
    image_seeds()
    onnx_seeds(args.cli, args.onnx_fixtures)
    checkpoint_seeds(args.cli, args.onnx_fixtures)
    for target in sorted(os.listdir(os.path.join(HERE, "corpus"))):
        files = os.listdir(os.path.join(HERE, "corpus", target))
        size = sum(os.path.getsize(os.path.join(HERE, "corpus", target, f)) for f in files)
        print("%-12s %3d files %8d bytes" % (target, len(files), size))


if __name__ == "__main__":
    main()
