#!/usr/bin/python3
"""Write tests/models/torchvision_counts.json: reference parameter / BN-buffer counts, and
tests/models/torchvision_params.json: every parameter's and BN buffer's name and shape.

Run with Debian's interpreter:  /usr/bin/python3 scripts/torchvision_param_counts.py

Output: a JSON list of
  {"arch": str, "num_classes": int, "width_mult": float|null (mobilenet_v2 only),
   "params": int   (sum of numel over parameters with requires_grad),
   "bn_buffers": int (sum of numel of every BN running_mean + running_var;
                      num_batches_tracked NOT counted)}
for num_classes in {10, 1000}.

torchvision 0.14 archs (default constructors, no pretrained weights):
  resnet18, resnet34, resnet50, mobilenet_v2 (width_mult 1.0 and 0.5; note the
  final 1x1 conv stays 1280 channels for width_mult <= 1.0, and all channel counts
  are rounded with _make_divisible(c * width_mult, 8)), vgg11_bn, vgg16_bn, alexnet,
  squeezenet1_1, mobilenet_v3_small / _large, efficientnet_b0..b3, mnasnet0_5 / 0_75 / 1_0 / 1_3,
  shufflenet_v2_x0_5 / x1_0 / x1_5 / x2_0.  VGG/AlexNet use AdaptiveAvgPool2d((7,7)) / ((6,6)) before the
  classifier, so their fc1 is 512*7*7 -> 4096 / 256*6*6 -> 4096 regardless of the
  input resolution (counts assume that ImageNet classifier head).

Custom definitions (the C++ zoo must match these EXACTLY):

  resnet20_cifar / resnet56_cifar  (He et al. 2016, CIFAR layout, n = 3 / 9):
    conv1 = Conv2d(3, 16, 3, stride 1, pad 1, bias=False); BN(16); ReLU
    stage1: n BasicBlocks 16 -> 16, stride 1
    stage2: n BasicBlocks, first 16 -> 32 stride 2, rest 32 -> 32 stride 1
    stage3: n BasicBlocks, first 32 -> 64 stride 2, rest 64 -> 64 stride 1
    BasicBlock(in, out, s): conv3x3(in,out,stride s,pad 1,bias=False); BN; ReLU;
                            conv3x3(out,out,stride 1,pad 1,bias=False); BN;
                            shortcut = identity if (s == 1 and in == out) else
                                       [Conv2d(in, out, 1, stride s, bias=False); BN(out)]
                            (option B projection); out = ReLU(main + shortcut)
    AdaptiveAvgPool2d(1); flatten; Linear(64, num_classes) (bias=True)
    => only 2 projection shortcuts (stage2/stage3 first blocks).

  lenet5 (28x28x1 input, e.g. MNIST):
    Conv2d(1, 6, 5, pad 2, bias=True); ReLU; AvgPool2d(2, 2)   -> 6x14x14
    Conv2d(6, 16, 5, pad 0, bias=True); ReLU; AvgPool2d(2, 2)  -> 16x5x5
    flatten (400); Linear(400,120); ReLU; Linear(120,84); ReLU; Linear(84,num_classes)
    (all Linear with bias; no BN -> bn_buffers = 0; the activation choice tanh/relu
    does not change the counts; ReLU is used here.)
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torchvision

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "models", "torchvision_counts.json")
OUT_NAMES = os.path.join(ROOT, "tests", "models", "torchvision_params.json")

# The mobile families: (arch, constructor keyword arguments); their names and shapes are written
# out in full (num_classes 10), and their counts with the others.
MOBILE = ["mobilenet_v3_small", "mobilenet_v3_large", "efficientnet_b0", "efficientnet_b1", "efficientnet_b2",
          "efficientnet_b3", "mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3", "shufflenet_v2_x0_5",
          "shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0"]


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                            nn.BatchNorm2d(cout))
        else:
            self.downsample = None

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        s = x if self.downsample is None else self.downsample(x)
        return self.relu(y + s)


class CifarResNet(nn.Module):
    def __init__(self, n, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)
        layers, cin = [], 16
        for cout, stride in [(16, 1), (32, 2), (64, 2)]:
            blocks = []
            for i in range(n):
                blocks.append(BasicBlock(cin, cout, stride if i == 0 else 1))
                cin = cout
            layers.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = layers
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class LeNet5(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(inplace=True), nn.AvgPool2d(2, 2),
            nn.Conv2d(6, 16, 5), nn.ReLU(inplace=True), nn.AvgPool2d(2, 2))
        self.classifier = nn.Sequential(
            nn.Linear(400, 120), nn.ReLU(inplace=True),
            nn.Linear(120, 84), nn.ReLU(inplace=True),
            nn.Linear(84, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def counts(m):
    params = sum(p.numel() for p in m.parameters() if p.requires_grad)
    bnb = 0
    for mod in m.modules():
        if isinstance(mod, nn.modules.batchnorm._BatchNorm):
            bnb += mod.running_mean.numel() + mod.running_var.numel()
    return params, bnb


def main():
    tv = torchvision.models
    entries = []
    for nc in (10, 1000):
        specs = [
            ("resnet18", None, lambda: tv.resnet18(num_classes=nc), None),
            ("resnet34", None, lambda: tv.resnet34(num_classes=nc), None),
            ("resnet50", None, lambda: tv.resnet50(num_classes=nc), None),
            ("mobilenet_v2", 1.0, lambda: tv.mobilenet_v2(num_classes=nc, width_mult=1.0), (1, 3, 32, 32)),
            ("mobilenet_v2", 0.5, lambda: tv.mobilenet_v2(num_classes=nc, width_mult=0.5), (1, 3, 32, 32)),
            ("vgg11_bn", None, lambda: tv.vgg11_bn(num_classes=nc), None),
            ("vgg16_bn", None, lambda: tv.vgg16_bn(num_classes=nc), None),
            ("alexnet", None, lambda: tv.alexnet(num_classes=nc), None),
            ("squeezenet1_1", None, lambda: tv.squeezenet1_1(num_classes=nc), None),
            ("resnet20_cifar", None, lambda: CifarResNet(3, nc), (2, 3, 32, 32)),
            ("resnet56_cifar", None, lambda: CifarResNet(9, nc), (2, 3, 32, 32)),
            ("lenet5", None, lambda: LeNet5(nc), (2, 1, 28, 28)),
        ] + [(a, None, (lambda a=a: getattr(tv, a)(num_classes=nc)), None) for a in MOBILE]
        for arch, wm, ctor, probe in specs:
            m = ctor()
            if probe is not None:  # sanity: shapes work and produce num_classes logits
                m.eval()
                with torch.no_grad():
                    assert m(torch.zeros(*probe)).shape[1] == nc
            p, b = counts(m)
            entries.append({"arch": arch, "num_classes": nc, "width_mult": wm,
                            "params": p, "bn_buffers": b})
    names = {}
    for arch in ["resnet18", "resnet50", "mobilenet_v2", "vgg11_bn", "squeezenet1_1"] + MOBILE:
        sd = getattr(tv, arch)(num_classes=10).state_dict()
        names[arch] = {k: list(v.shape) for k, v in sd.items() if not k.endswith("num_batches_tracked")}
    with open(OUT_NAMES, "w") as f:
        json.dump(names, f, separators=(",", ":"))
        f.write("\n")
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(entries, f, indent=1)
        f.write("\n")
    for e in entries:
        print(f'{e["arch"]:16s} nc={e["num_classes"]:5d} wm={str(e["width_mult"]):5s} '
              f'params={e["params"]:>10,d} bn_buffers={e["bn_buffers"]:>7,d}')
    return 0


if __name__ == "__main__":
    sys.exit(main())
