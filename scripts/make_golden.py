#!/usr/bin/python3
"""Generate PyTorch golden fixtures for edgetrain.

Run with Debian's interpreter (torch 1.13 / torchvision 0.14):
    /usr/bin/python3 scripts/make_golden.py

Writes tests/golden/fixtures/<model>.json for model in {tiny_resnet, tiny_mbv2}.

Determinism: CPU, float32, 1 thread, torch.use_deterministic_algorithms(True).
For each model: torch.manual_seed(0); build model (PyTorch default init);
then draw input = randn(shape); labels = randint(0, 10, (N,)).

Float encoding: every tensor is float32; each value is written as the SHORTEST
decimal that round-trips to the same float32 (numpy float32 str), so it is
lossless for float32 (parse with strtof; strtod-then-cast also recovers it).
The script asserts the round trip. Tensor data are flattened row-major (C order,
PyTorch layouts: conv weight [out, in/groups, kh, kw], linear weight [out, in]).

Schema (per file):
{"model": str, "batch": int,
 "input": {"shape": [...], "data": [...]}, "labels": [int...],
 "params": {name: {"shape","data"}},           # initial params
 "buffers": {name: {"shape","data"}},          # initial BN running_mean/var
 "logits": {"shape","data"}, "loss": float,    # train-mode forward, mean CE
 "grads": {param name: {"shape","data"}},
 "buffers_after_forward": {...},               # running stats after that forward
 "sgd":  {"lr","momentum","weight_decay","nesterov","losses":[5],"params_after","buffers_after"},
 "adam": {"lr","betas","eps","weight_decay","losses":[5],"params_after","buffers_after"}}
Each optimizer run restarts from the initial params/buffers; each of its 5
steps: zero_grad, train-mode forward on the same batch, record loss (pre-update),
backward, step.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTDIR = os.path.join(ROOT, "tests", "golden", "fixtures")


def bn(c):
    return nn.BatchNorm2d(c, eps=1e-5, momentum=0.1)


class TinyResNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, 1, 1, bias=False)
        self.bn1 = bn(8)
        self.layer1 = nn.ModuleDict(dict(
            conv1=nn.Conv2d(8, 8, 3, 1, 1, bias=False), bn1=bn(8),
            conv2=nn.Conv2d(8, 8, 3, 1, 1, bias=False), bn2=bn(8)))
        self.layer2 = nn.ModuleDict(dict(
            conv1=nn.Conv2d(8, 16, 3, 2, 1, bias=False), bn1=bn(16),
            conv2=nn.Conv2d(16, 16, 3, 1, 1, bias=False), bn2=bn(16),
            downsample=nn.Sequential(nn.Conv2d(8, 16, 1, 2, 0, bias=False), bn(16))))
        self.fc = nn.Linear(16, num_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2, 2)  # 16x16 -> 8x8
        l1 = self.layer1
        y = F.relu(l1["bn1"](l1["conv1"](x)))
        y = l1["bn2"](l1["conv2"](y))
        x = F.relu(y + x)
        l2 = self.layer2
        y = F.relu(l2["bn1"](l2["conv1"](x)))
        y = l2["bn2"](l2["conv2"](y))
        x = F.relu(y + l2["downsample"](x))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


class TinyMBV2(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv0 = nn.Conv2d(3, 8, 3, 1, 1, bias=False)
        self.bn0 = bn(8)
        self.expand = nn.Conv2d(8, 24, 1, bias=False)
        self.bn_e = bn(24)
        self.dw = nn.Conv2d(24, 24, 3, 1, 1, groups=24, bias=False)
        self.bn_dw = bn(24)
        self.project = nn.Conv2d(24, 8, 1, bias=False)
        self.bn_p = bn(8)
        self.head = nn.Conv2d(8, 16, 1, bias=True)
        self.fc = nn.Linear(16 * 4 * 4, num_classes)

    def forward(self, x):
        x = F.relu6(self.bn0(self.conv0(x)))
        y = F.relu6(self.bn_e(self.expand(x)))
        y = F.relu6(self.bn_dw(self.dw(y)))
        y = self.bn_p(self.project(y))
        x = x + y
        x = F.relu(self.head(x))
        x = F.avg_pool2d(x, 2, 2)  # 8x8 -> 4x4
        return self.fc(x.flatten(1))  # NCHW flatten: index c*16 + h*4 + w


def enc(t):
    a = t.detach().cpu().contiguous().numpy().astype(np.float32).ravel()
    data = []
    for v in a:
        f = float(str(v))  # numpy float32 str = shortest round-tripping decimal
        assert np.float32(f) == v, (f, v)
        data.append(f)
    return {"shape": list(t.shape), "data": data}


def encf(x):
    v = np.float32(x)
    f = float(str(v))
    assert np.float32(f) == v
    return f


def params_of(m):
    return {k: enc(p) for k, p in m.named_parameters()}


def buffers_of(m):
    return {k: enc(b) for k, b in m.named_buffers() if not k.endswith("num_batches_tracked")}


def run_opt(model, init_state, x, y, make_opt):
    model.load_state_dict(init_state)
    model.train()
    opt = make_opt(model.parameters())
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        losses.append(encf(loss.item()))
        loss.backward()
        opt.step()
    return losses, params_of(model), buffers_of(model)


def make(name, cls, in_shape):
    torch.manual_seed(0)
    model = cls()
    x = torch.randn(*in_shape)
    y = torch.randint(0, 10, (in_shape[0],))
    init_state = {k: v.clone() for k, v in model.state_dict().items()}

    out = {"model": name, "batch": in_shape[0], "input": enc(x), "labels": [int(v) for v in y]}
    out["params"] = params_of(model)
    out["buffers"] = buffers_of(model)

    model.train()
    model.zero_grad()
    logits = model(x)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    out["logits"] = enc(logits)
    out["loss"] = encf(loss.item())
    out["grads"] = {k: enc(p.grad) for k, p in model.named_parameters()}
    out["buffers_after_forward"] = buffers_of(model)

    sgd_cfg = dict(lr=0.05, momentum=0.9, weight_decay=1e-4, nesterov=False)
    losses, pa, ba = run_opt(model, init_state, x, y, lambda p: torch.optim.SGD(p, **sgd_cfg))
    out["sgd"] = dict(sgd_cfg, losses=losses, params_after=pa, buffers_after=ba)

    adam_cfg = dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    losses, pa, ba = run_opt(model, init_state, x, y, lambda p: torch.optim.Adam(p, **adam_cfg))
    out["adam"] = dict(adam_cfg, betas=list(adam_cfg["betas"]), losses=losses,
                       params_after=pa, buffers_after=ba)

    path = os.path.join(OUTDIR, name + ".json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    return path


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.set_default_dtype(torch.float32)
    os.makedirs(OUTDIR, exist_ok=True)
    for name, cls, shape in [("tiny_resnet", TinyResNet, (4, 3, 16, 16)),
                             ("tiny_mbv2", TinyMBV2, (4, 3, 8, 8))]:
        path = make(name, cls, shape)
        with open(path) as f:
            d = json.load(f)
        nparam = sum(len(v["data"]) for v in d["params"].values())
        print(f"{name}: {os.path.getsize(path)} bytes, {len(d['params'])} param tensors "
              f"({nparam} values), {len(d['buffers'])} buffers, loss={d['loss']:.6f}, "
              f"sgd losses={['%.5f' % l for l in d['sgd']['losses']]}, "
              f"adam losses={['%.5f' % l for l in d['adam']['losses']]}")
        print("   params:", ", ".join(d["params"].keys()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
