#!/usr/bin/python3
"""Export torchvision CNNs to ONNX and write PyTorch reference data for edgetrain's ONNX
importer tests, plus a tiny Fashion-MNIST image-folder data set for a CLI fine-tuning test.

Run with Debian's interpreter (torch 1.13 / torchvision 0.14 / onnx 1.12 / cv2 4.6):
    /usr/bin/python3 scripts/make_onnx_fixtures.py OUTDIR [--archs a,b,...] [--force]

Per architecture, into OUTDIR/<arch>/:
  eval.onnx      model.eval(), TrainingMode.EVAL, do_constant_folding=True:
                 BatchNorm folded into Conv, Dropout removed.
  train.onnx     model.train(), TrainingMode.TRAINING, do_constant_folding=False:
                 BatchNormalization (training form) and Dropout nodes kept; initializer
                 names are the state_dict names.
  preserve.onnx  (resnet18, mobilenet_v2, efficientnet_b0) model.eval(), TrainingMode.PRESERVE:
                 BatchNormalization kept in inference form, not folded.
  reference.ett  (see scripts/ettensors.py for the format), tensors in this order:
                   input             float32 [N,3,H,W]
                   labels            int32   [N], values in 0..9
                   eval_logits       float32 [N,10]  model.eval() forward
                   train_logits      float32 [N,10]  model.train(), every Dropout module
                                                     in eval (identity); BN uses batch stats
                   loss              float32 [1]     nn.CrossEntropyLoss() (mean) of
                                                     train_logits vs labels
                   grad:<param>      float32         d loss / d param, every named parameter
                   running_after:<bn>.running_mean / .running_var
                                     float32         BN running stats after that one training
                                                     forward (PyTorch momentum update)
  meta.json      arch, input [C,H,W], batch, seed, opset, files, dropout probabilities,
                 versions, train_running_stats_rewritten, script_sha256, ...

Every file describes the same network state: the state_dict is snapshotted right after
construction and restored after every forward/export that might change it (a training-mode
export runs a forward pass, which updates the BN running statistics in the module).

Determinism: CPU, float32 parameters (references in float64), 1 thread. For each arch: torch.manual_seed(SEED)
immediately before constructing the model (so weights depend only on SEED and the arch); then every
BatchNorm's weight, bias, running_mean and running_var are redrawn from a generator seeded
with SEED + 2 (see randomize_bn_state: fresh BNs are an identity and would hide importer
bugs); input and labels come from a separate torch.Generator seeded with SEED + 1.

What the exported graphs contain (torch 1.13; an importer has to accept all of it):
  * eval.onnx: initializers with equal values (e.g. all-zero biases) are de-duplicated and the
    dropped names re-created as Identity(other initializer) nodes (squeezenet1_1, vgg11_bn).
  * opset 11 (mobilenet_v2): ReLU6 is Clip with min/max as inputs fed by Constant nodes.
  * train.onnx BatchNormalization: opset < 14 has no training_mode attribute; training form is
    told by its 5 outputs (Y, running mean, running var, saved mean, saved var). Opset >= 14:
    training_mode=1 and 3 outputs (Y, running mean, running var). The extra outputs are not
    used by any node nor declared as graph outputs (the only graph output is `logits`).
    momentum attribute = 1 - PyTorch momentum (0.9); googlenet's BN epsilon is 1e-3.
  * train.onnx Dropout: opset 11 has a `ratio` attribute and 1 input (the exporter warns that
    opset < 12 cannot express training-mode Dropout/BN properly); opset >= 12 has inputs
    (data, ratio float32 scalar, training_mode bool scalar), both from Constant nodes.
    Dropout always declares 2 outputs (output, mask).

Work already done is skipped: an arch whose meta.json records this script's sha256 and whose
listed files all exist is not redone (unless --force); the same for the image folder (stamp
file OUTDIR/fmnist-folder/.stamp.json).
"""
import argparse
import copy
import gzip
import hashlib
import json
import os
import struct
import sys
import time
import warnings

import cv2
import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
sys.path.insert(0, os.path.join(ROOT, "tests", "onnx"))
import check_export  # noqa: E402  (OpenCV runner shared with the ctest check)
from ettensors import write_tensors  # noqa: E402

SEED = 0
NUM_CLASSES = 10
SCRIPT_SHA256 = hashlib.sha256(open(os.path.abspath(__file__), "rb").read()).hexdigest()

# arch -> export settings. Opsets spread over 11..17 so the importer sees each version's form
# of BatchNormalization, Dropout and Clip (see the module docstring). alexnet and vgg11_bn need
# 224x224: their AdaptiveAvgPool2d to 6x6 / 7x7 only exports when the input is a multiple of
# that. resnet18 and googlenet declare a dynamic batch axis ("batch") on input and logits.
ARCHS = {
    "resnet18":      dict(input=[3, 64, 64], batch=4, opset=17, dynamic=True, preserve=True),
    "mobilenet_v2":  dict(input=[3, 64, 64], batch=4, opset=11, dynamic=False, preserve=True),
    "squeezenet1_1": dict(input=[3, 64, 64], batch=4, opset=13, dynamic=False, preserve=False),
    "alexnet":       dict(input=[3, 224, 224], batch=2, opset=12, dynamic=False, preserve=False),
    "vgg11_bn":      dict(input=[3, 224, 224], batch=2, opset=14, dynamic=False, preserve=False),
    "googlenet":     dict(input=[3, 64, 64], batch=4, opset=15, dynamic=True, preserve=False),
    # Not torchvision: the operators the six leave out (LeakyRelu, Sigmoid, HardSigmoid, HardSwish, SiLU,
    # SE with ReduceMean, Mul by a constant, AveragePool, depthwise Conv, MatMul + Add, and the
    # Shape/Gather/Unsqueeze/Concat/Reshape chain of x.view(x.size(0), -1)).
    "tiny_ops":      dict(input=[3, 8, 8], batch=4, opset=14, dynamic=True, preserve=False),
    # The networks edge devices run (issue 16): hard-swish, SE with HardSigmoid / Sigmoid gates, 5x5
    # depthwise filters, channel counts not multiples of 16, SiLU (efficientnet_b0 at stochastic depth 0).
    # Left out: resnext50_32x4d (92 MB files, two minutes of CI) and regnet_y_400mf (its random-weight
    # gradients are too rounding-sensitive: PyTorch's own float32 ones are 1.3-1.7e-2 off).
    "mobilenet_v3_small": dict(input=[3, 64, 64], batch=4, opset=14, dynamic=False, preserve=False),
    "mnasnet0_5":    dict(input=[3, 64, 64], batch=4, opset=12, dynamic=False, preserve=False),
    "efficientnet_b0": dict(input=[3, 64, 64], batch=2, opset=13, dynamic=False, preserve=True),
    # Channel split (chunk's Shape/Gather/Div/Slice) and shuffle (Reshape to 5-D with the export's batch
    # as a literal, Transpose, Reshape). OpenCV 4.6 cannot read PyTorch's export: only edgetrain's goes there.
    "shufflenet_v2_x0_5": dict(input=[3, 64, 64], batch=4, opset=13, dynamic=False, preserve=False,
                               opencv=False),
}

# Fashion-MNIST subset for the image-folder fine-tuning test: label -> folder name.
FMNIST_DIR = "/usr/share/datasets/fashion-mnist"
FMNIST_CLASSES = {0: "tshirt", 1: "trouser", 7: "sneaker"}  # T-shirt/top, Trouser, Sneaker
FMNIST_PER_CLASS = {"train": 60, "test": 30}


# ----------------------------------------------------------------------------- helpers

class TinyOps(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.se1 = nn.Conv2d(8, 4, 1)  # squeeze-and-excitation: a gate per channel
        self.se2 = nn.Conv2d(4, 8, 1)
        self.pw = nn.Conv2d(8, 16, 1)
        self.pool = nn.AvgPool2d(2)
        self.w = nn.Parameter(0.1 * torch.randn(16 * 4 * 4, NUM_CLASSES))
        self.b = nn.Parameter(0.1 * torch.randn(NUM_CLASSES))

    def forward(self, x):
        x = F.leaky_relu(self.bn1(self.conv1(x)), 0.1)
        x = F.hardswish(self.dw(x))
        x = F.silu(x)  # exported as x * Sigmoid(x): one SiLU layer
        # Mul of two tensors; the squeeze is ReduceMean over H, W (keepdims)
        x = x * torch.sigmoid(self.se2(F.silu(self.se1(x.mean([2, 3], keepdim=True)))))
        x = F.hardsigmoid(torch.sigmoid(self.pw(x)) * 3.0)
        x = self.pool(x)
        x = x.view(x.size(0), -1)
        return torch.matmul(x, self.w) + self.b


def build_model(arch):
    """Construct `arch` with random weights; the caller seeds immediately before."""
    if arch == "tiny_ops":
        return TinyOps()
    if arch == "googlenet":
        return torchvision.models.googlenet(weights=None, num_classes=NUM_CLASSES,
                                            aux_logits=False, init_weights=True,
                                            transform_input=False)
    model = getattr(torchvision.models, arch)(weights=None, num_classes=NUM_CLASSES)
    # Stochastic depth (EfficientNet) drops whole residual branches at random in training, like a
    # Dropout the references switch off; torch 1.13 cannot even export it in training mode (its
    # Bernoulli). At p = 0 it is the identity in both modes.
    for m in model.modules():
        if type(m).__name__ == "StochasticDepth":
            m.p = 0.0
    return model


def randomize_bn_state(model, seed):
    """Give every BatchNorm a non-trivial state. Fresh torchvision BNs have weight 1, bias 0,
    running_mean 0, running_var 1, which would let an importer that swaps or drops any of
    them (or folds them wrongly) pass every eval-mode comparison. Drawn from their own
    generator so they do not disturb the weights' random stream."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                c = m.num_features
                m.weight.copy_(0.5 + torch.rand(c, generator=g))          # U(0.5, 1.5)
                m.bias.copy_(0.1 * torch.randn(c, generator=g))           # N(0, 0.1^2)
                m.running_mean.copy_(0.1 * torch.randn(c, generator=g))   # N(0, 0.1^2)
                m.running_var.copy_(0.5 + torch.rand(c, generator=g))     # U(0.5, 1.5)


def dropout_modules(model):
    return [m for m in model.modules() if isinstance(m, nn.modules.dropout._DropoutNd)]


def bn_buffer_names(model):
    """state_dict names of every BatchNorm running_mean / running_var, in module order."""
    names = []
    for mname, m in model.named_modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats:
            names += [mname + ".running_mean", mname + ".running_var"]
    return names


def to_np(t):
    a = t.detach().cpu().numpy().copy()
    return a.astype(np.float32) if a.dtype == np.float64 else a


def pytorch_f32_grad_error(model, x, labels, drop, ref):
    """How far PyTorch's own float32 gradients are from the float64 reference: [median, worst] of
    the per-tensor relative L2 error, with the floor edgetrain's test uses (1e-4 of the largest
    gradient norm) for tensors whose true gradient is zero. Deep nets have activations within
    float32 rounding of a ReLU kink or a max-pool tie; float32 may take the other branch there.
    The C++ test holds edgetrain to PyTorch's own float32 accuracy on the same network."""
    model.train()
    for m in drop:
        m.eval()
    model.zero_grad(set_to_none=True)
    nn.CrossEntropyLoss()(model(x), labels).backward()
    truth = {name: ref["grad:" + name].astype(np.float64) for name, _ in model.named_parameters()}
    largest = max(np.linalg.norm(g) for g in truth.values())
    errors = sorted(
        np.linalg.norm(p.grad.detach().double().numpy() - truth[name]) / max(np.linalg.norm(truth[name]), 1e-4 * largest)
        for name, p in model.named_parameters())
    model.zero_grad(set_to_none=True)
    return np.array([errors[len(errors) // 2], errors[-1]], dtype=np.float32)


def export(model, x, path, opset, training, do_constant_folding, dynamic_batch):
    """torch.onnx.export into path (through path + '.tmp', so a crash leaves no stale file)."""
    tmp = path + ".tmp"
    dynamic_axes = {"input": {0: "batch"}, "logits": {0: "batch"}} if dynamic_batch else None
    torch.onnx.export(model, (x,), tmp, opset_version=opset, training=training,
                      do_constant_folding=do_constant_folding, input_names=["input"],
                      output_names=["logits"], dynamic_axes=dynamic_axes)
    os.replace(tmp, path)


def compare_initializers(path, snapshot):
    """Compare the initializers of the ONNX file at `path` that carry a state_dict name with
    the snapshot. Returns (checked names, {name: max |diff|} for those that differ)."""
    model = onnx.load(path)
    checked, differing = [], {}
    for init in model.graph.initializer:
        if init.name not in snapshot:
            continue
        ref = snapshot[init.name].numpy()
        got = onnx.numpy_helper.to_array(init)
        checked.append(init.name)
        if got.shape != ref.shape or not np.array_equal(got, ref):
            differing[init.name] = (float(np.abs(got.astype(np.float64) - ref).max())
                                    if got.shape == ref.shape else float("inf"))
    return checked, differing


def rewrite_initializers(path, values):
    """Overwrite the named initializers of the ONNX file at `path` with `values` (name ->
    torch tensor), keeping names and dtypes."""
    model = onnx.load(path)
    todo = dict(values)
    for init in model.graph.initializer:
        if init.name in todo:
            arr = todo.pop(init.name).numpy().astype(
                onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[init.data_type])
            init.CopyFrom(onnx.numpy_helper.from_array(arr, init.name))
    if todo:
        raise RuntimeError("%s: no initializer for %s" % (path, sorted(todo)))
    tmp = path + ".tmp"
    onnx.save(model, tmp)
    os.replace(tmp, path)


def opencv_logits(path, x):
    """Run an inference-form ONNX file with OpenCV's dnn module, an independent consumer.
    check_export.opencv_forward works on a copy rewritten around two OpenCV 4.6 gaps
    (initializer Identity nodes, Clip with min/max inputs); the written file is untouched."""
    notes = []
    out = check_export.opencv_forward(onnx.load(path), x, notes)
    return out, notes


def up_to_date(meta_path, files_dir):
    """True if meta_path records this script's hash and every file it lists exists."""
    try:
        with open(meta_path) as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return False
    return (meta.get("script_sha256") == SCRIPT_SHA256 and
            all(os.path.isfile(os.path.join(files_dir, n)) for n in meta.get("files", [])))


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


# ----------------------------------------------------------------------------- one arch

def make_arch(arch, outdir, force):
    spec = ARCHS[arch]
    adir = os.path.join(outdir, arch)
    meta_path = os.path.join(adir, "meta.json")
    if not force and up_to_date(meta_path, adir):
        print("%-14s up to date (skipped)" % arch, flush=True)
        return
    os.makedirs(adir, exist_ok=True)
    if os.path.exists(meta_path):
        os.remove(meta_path)  # meta.json is written last: its presence marks a finished arch
    t0 = time.time()

    torch.manual_seed(SEED)
    model = build_model(arch)
    randomize_bn_state(model, SEED + 2)
    # The state every file below describes. Restored after each forward/export.
    snapshot = copy.deepcopy(model.state_dict())

    def restore():
        model.load_state_dict(snapshot)  # copies values in; snapshot stays untouched

    gen = torch.Generator().manual_seed(SEED + 1)
    n = spec["batch"]
    x = torch.randn([n] + spec["input"], generator=gen)
    labels = torch.randint(0, NUM_CLASSES, (n,), generator=gen)
    drop = dropout_modules(model)
    bn_names = bn_buffer_names(model)

    # --- references -------------------------------------------------------------------
    # References are computed in float64 from the float32 parameters (stored as float32): the
    # truth both float32 implementations approximate. PyTorch's own float32 gradients differ from
    # it by up to ~2e-2 of a tensor's scale in early ResNet layers, which would hide real errors.
    ref = {"input": to_np(x), "labels": to_np(labels).astype(np.int32)}
    model.double()
    x64 = x.double()
    model.eval()
    with torch.no_grad():
        ref["eval_logits"] = to_np(model(x64))
    model.train()
    for m in drop:
        m.eval()  # Dropout as identity; BatchNorm still in training mode (batch statistics)
    model.zero_grad(set_to_none=True)
    train_logits = model(x64)
    loss = nn.CrossEntropyLoss()(train_logits, labels)
    loss.backward()
    ref["train_logits"] = to_np(train_logits)
    ref["loss"] = to_np(loss).reshape(1)
    for name, p in model.named_parameters():
        ref["grad:" + name] = to_np(p.grad)
    buffers = dict(model.named_buffers())
    for name in bn_names:
        ref["running_after:" + name] = to_np(buffers[name])
    model.zero_grad(set_to_none=True)
    model.float()
    restore()
    ref["pytorch_f32_grad_error"] = pytorch_f32_grad_error(model, x, labels, drop, ref)
    restore()
    write_tensors(os.path.join(adir, "reference.ett"), ref)

    # --- exports ----------------------------------------------------------------------
    files = []
    common = dict(opset=spec["opset"], dynamic_batch=spec["dynamic"])
    model.eval()
    export(model, x, os.path.join(adir, "eval.onnx"), training=torch.onnx.TrainingMode.EVAL,
           do_constant_folding=True, **common)
    restore()
    files.append("eval.onnx")

    model.train()
    export(model, x, os.path.join(adir, "train.onnx"),
           training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False, **common)
    restore()
    files.append("train.onnx")

    if spec["preserve"]:
        model.eval()
        export(model, x, os.path.join(adir, "preserve.onnx"),
               training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=True, **common)
        restore()
        files.append("preserve.onnx")

    # The training-mode export traces a forward pass in train mode, and the exporter reads
    # the module's buffers *after* that trace: train.onnx's running_mean/var initializers
    # then hold the once-updated statistics, not the snapshot the other files and the
    # references use. Put the snapshot values back so train.onnx describes the same state.
    train_path = os.path.join(adir, "train.onnx")
    checked, differing = compare_initializers(train_path, snapshot)
    missing = sorted(set(bn_names + [k for k, _ in model.named_parameters()]) - set(checked))
    if missing:
        raise RuntimeError("%s: no initializer named after parameters/BN buffers %s"
                           % (train_path, missing))
    if set(differing) - set(bn_names):
        raise RuntimeError("%s: parameters differ from the snapshot: %s"
                           % (train_path, sorted(set(differing) - set(bn_names))))
    rewritten = bool(differing)
    if rewritten:
        rewrite_initializers(train_path, {k: snapshot[k] for k in differing})

    # --- verification -----------------------------------------------------------------
    for name in files:
        onnx.checker.check_model(os.path.join(adir, name), full_check=True)
    # Every state_dict-named initializer of train.onnx / preserve.onnx equals the snapshot.
    for name in files[1:]:
        checked, differing = compare_initializers(os.path.join(adir, name), snapshot)
        if differing:
            raise RuntimeError("%s/%s: initializers differ from the snapshot: %s"
                               % (arch, name, differing))
    # Inference-form files reproduce eval_logits in an independent runtime (OpenCV dnn).
    cv_diff = {}
    for name in files:
        if name == "train.onnx" or not spec.get("opencv", True):
            continue
        got, notes = opencv_logits(os.path.join(adir, name), ref["input"])
        if notes:
            print("  opencv %s/%s: %s" % (arch, name, "; ".join(notes)), flush=True)
        cv_diff[name] = float(np.abs(got - ref["eval_logits"]).max())
        if not cv_diff[name] <= 1e-3:
            raise RuntimeError("%s/%s: OpenCV logits differ from PyTorch eval logits by %g"
                               % (arch, name, cv_diff[name]))

    files.append("reference.ett")
    meta = {
        "arch": arch,
        "input": spec["input"],
        "batch": n,
        "seed": SEED,
        "num_classes": NUM_CLASSES,
        "opset": spec["opset"],
        "dynamic_batch": spec["dynamic"],
        "files": files,
        "dropout_p": [m.p for m in drop],
        "bn_state_randomized": True,
        "bn_momentum_torch": sorted({m.momentum for m in model.modules()
                                     if isinstance(m, nn.modules.batchnorm._BatchNorm)}),
        "train_running_stats_rewritten": rewritten,
        "opencv_eval_max_abs_diff": cv_diff,
        "torch_version": torch.__version__,
        "torchvision_version": torchvision.__version__,
        "onnx_version": onnx.__version__,
        "script_sha256": SCRIPT_SHA256,
    }
    write_json(meta_path, meta)
    sizes = " ".join("%s=%.1fMB" % (f, os.path.getsize(os.path.join(adir, f)) / 1e6) for f in files)
    print("%-14s opset %d  %s  rewritten=%s  %.1fs"
          % (arch, spec["opset"], sizes, rewritten, time.time() - t0), flush=True)


# ----------------------------------------------------------------------------- image folder

def read_idx(stem):
    """Read FMNIST_DIR/<stem> or <stem>.gz (IDX format) into a uint8 array."""
    path = os.path.join(FMNIST_DIR, stem)
    if os.path.isfile(path):
        data = open(path, "rb").read()
    elif os.path.isfile(path + ".gz"):
        with gzip.open(path + ".gz", "rb") as f:
            data = f.read()
    else:
        raise FileNotFoundError("%s(.gz) not found" % path)
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError("%s: not an unsigned-byte IDX file" % path)
    dims = struct.unpack(">%dI" % ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def make_fmnist_folder(outdir, force):
    """OUTDIR/fmnist-folder/{train,test}/<class>/<idx>.png: the first 60 train / 30 test
    images of each of 3 classes in file order, 8-bit grey PNG, named by their index in the
    IDX file (zero-padded so name order == file order). Sorted class folders give labels
    sneaker=0, trouser=1, tshirt=2."""
    root = os.path.join(outdir, "fmnist-folder")
    stamp = os.path.join(root, ".stamp.json")  # hidden: image-folder readers skip it
    try:
        with open(stamp) as f:
            done = json.load(f).get("script_sha256") == SCRIPT_SHA256
    except (OSError, ValueError):
        done = False
    if done and not force:
        print("fmnist-folder  up to date (skipped)", flush=True)
        return
    t0 = time.time()
    if os.path.exists(stamp):
        os.remove(stamp)
    counts = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        images = read_idx(prefix + "-images-idx3-ubyte")
        labels = read_idx(prefix + "-labels-idx1-ubyte")
        for label, cname in FMNIST_CLASSES.items():
            cdir = os.path.join(root, split, cname)
            os.makedirs(cdir, exist_ok=True)
            for old in os.listdir(cdir):  # drop files from a differently-configured run
                os.remove(os.path.join(cdir, old))
            idx = np.flatnonzero(labels == label)[:FMNIST_PER_CLASS[split]]
            for i in idx:
                if not cv2.imwrite(os.path.join(cdir, "%05d.png" % i), images[i]):
                    raise RuntimeError("cv2.imwrite failed in %s" % cdir)
            counts["%s/%s" % (split, cname)] = len(idx)
    write_json(stamp, {"script_sha256": SCRIPT_SHA256, "source": FMNIST_DIR,
                       "fmnist_label_of_folder": {v: k for k, v in FMNIST_CLASSES.items()},
                       "folder_label": {c: i for i, c in
                                        enumerate(sorted(FMNIST_CLASSES.values()))},
                       "counts": counts})
    print("fmnist-folder  %s  %.1fs" % (counts, time.time() - t0), flush=True)


def make_odd_inputs(outdir, force):
    """Files an importer must refuse with one clear line (the CLI test checks the messages)."""
    odir = os.path.join(outdir, "odd")
    stamp = os.path.join(odir, ".stamp.json")
    if not force and os.path.exists(stamp) and json.load(open(stamp)).get("script_sha256") == SCRIPT_SHA256:
        print("%-14s up to date (skipped)" % "odd", flush=True)
        return
    os.makedirs(odir, exist_ok=True)
    torch.manual_seed(SEED)

    class Upsampling(nn.Module):  # Resize is not a supported operator
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)
            self.fc = nn.Linear(4, 3)

        def forward(self, x):
            x = F.interpolate(self.conv(x), scale_factor=2.0, mode="nearest")
            return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))

    x = torch.randn(1, 3, 8, 8)
    with open(os.path.join(odir, "not_onnx.onnx"), "w") as f:
        f.write("this is a text file, not a protobuf\n")
    path = os.path.join(odir, "unsupported_op.onnx")
    torch.onnx.export(Upsampling().eval(), x, path, opset_version=13, input_names=["input"],
                      output_names=["logits"])

    class ChannelMean(nn.Module):  # ReduceMean over channels: only the spatial axes are supported
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(64, 3)

        def forward(self, x):
            return self.fc(torch.flatten(x.mean(1, keepdim=True), 1))

    torch.onnx.export(ChannelMean().eval(), x, os.path.join(odir, "channel_mean.onnx"), opset_version=13,
                      input_names=["input"], output_names=["logits"])
    class Rearranged(nn.Module):  # rows 2:6, or H and W transposed: only channel slices and shuffles import
        def __init__(self, rows):
            super().__init__()
            self.rows, self.fc = rows, nn.Linear(3 * (4 if rows else 8) * 8, 3)

        def forward(self, x):
            return self.fc(torch.flatten(x[:, :, 2:6] if self.rows else x.transpose(2, 3), 1))

    for rows, name in ((True, "row_slice.onnx"), (False, "transposed.onnx")):
        torch.onnx.export(Rearranged(rows).eval(), x, os.path.join(odir, name), opset_version=13,
                          input_names=["input"], output_names=["logits"])
    path = os.path.join(odir, "dynamic_hw.onnx")
    torch.onnx.export(TinyOps().eval(), x, path, opset_version=14, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {2: "height", 3: "width"}})
    model = onnx.load(path)
    blob = model.SerializeToString()
    with open(os.path.join(odir, "truncated.onnx"), "wb") as f:
        f.write(blob[: len(blob) // 2])
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx"):
            o.version = 19
    onnx.save(model, os.path.join(odir, "opset19.onnx"))
    write_json(stamp, {"script_sha256": SCRIPT_SHA256})
    print("%-14s %s" % ("odd", sorted(f for f in os.listdir(odir) if f.endswith(".onnx"))), flush=True)


# ----------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--archs", default=",".join(ARCHS),
                    help="comma-separated subset of: " + ",".join(ARCHS))
    ap.add_argument("--force", action="store_true", help="redo work even if up to date")
    args = ap.parse_args()
    archs = [a for a in args.archs.split(",") if a]
    unknown = [a for a in archs if a not in ARCHS]
    if unknown:
        ap.error("unknown arch(s) %s; choose from %s" % (unknown, ",".join(ARCHS)))

    # Known, expected exporter warnings: a training-mode export drops the in-place
    # num_batches_tracked += 1 (one per BatchNorm), and the PRESERVE export of an eval-mode
    # model triggers a generic "turn off constant folding" advice meant for train-mode models.
    warnings.filterwarnings("ignore", message=r"ONNX Preprocess - Removing mutation")
    warnings.filterwarnings("ignore", message=r"It is recommended that constant folding be "
                                              r"turned off")
    torch.set_num_threads(1)  # determinism, and do not disturb parallel builds
    cv2.setNumThreads(1)
    torch.use_deterministic_algorithms(True)
    t0 = time.time()
    os.makedirs(args.outdir, exist_ok=True)
    for arch in archs:
        make_arch(arch, args.outdir, args.force)
    make_fmnist_folder(args.outdir, args.force)
    make_odd_inputs(args.outdir, args.force)
    print("done in %.1fs" % (time.time() - t0), flush=True)


if __name__ == "__main__":
    main()
