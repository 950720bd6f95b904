#!/usr/bin/python3
"""Writes tests/optim/optim_fixture.json: reference optimizer steps and lr-schedule values from
PyTorch, read by tests/optim/optim_golden_test.cpp.

Run with Debian's interpreter, which has torch 1.13:  /usr/bin/python3 scripts/make_optim_fixture.py
Everything is float64; floats are written with repr (full precision) by json.
"""
import json
import pathlib
import warnings

import torch

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "optim" / "optim_fixture.json"

PARAM0 = [0.5, -1.25, 2.0, 0.0, -0.03125, 3.5]
# One fake gradient per step (5 steps), fixed so the fixture is self-describing.
GRADS = [
    [0.1, -0.2, 0.3, -0.4, 0.5, -0.6],
    [-0.05, 0.15, -0.25, 0.35, -0.45, 0.55],
    [0.2, 0.2, -0.1, -0.1, 0.0, 0.7],
    [1.5, -0.75, 0.01, 0.02, -0.03, 0.04],
    [-0.3, 0.6, -0.9, 0.0, 1.2, -1.5],
]

OPTIMIZERS = [
    dict(name="sgd_momentum_wd", kind="sgd", lr=0.1, momentum=0.9, nesterov=False, weight_decay=1e-4),
    dict(name="sgd_nesterov_wd", kind="sgd", lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4),
    dict(name="adam", kind="adam", lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0),
    dict(name="adam_wd", kind="adam", lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2),
    dict(name="adamw_wd", kind="adamw", lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2),
]


def make_optimizer(spec, params):
    if spec["kind"] == "sgd":
        return torch.optim.SGD(params, lr=spec["lr"], momentum=spec["momentum"], dampening=0,
                               nesterov=spec["nesterov"], weight_decay=spec["weight_decay"],
                               foreach=False)
    cls = torch.optim.Adam if spec["kind"] == "adam" else torch.optim.AdamW
    return cls(params, lr=spec["lr"], betas=(spec["beta1"], spec["beta2"]), eps=spec["eps"],
               weight_decay=spec["weight_decay"], amsgrad=False, foreach=False)


def run_optimizer(spec):
    p = torch.tensor(PARAM0, dtype=torch.float64, requires_grad=True)
    opt = make_optimizer(spec, [p])
    after = []
    for g in GRADS:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        after.append([float(x) for x in p.detach().tolist()])
    return dict(spec, params_after_step=after)


def run_schedule(spec, make_scheduler, iters):
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=spec["base_lr"])
    sched = make_scheduler(opt)
    lrs = []
    for _ in range(iters):
        lrs.append(float(opt.param_groups[0]["lr"]))  # lr used at this 0-based iteration
        opt.step()
        sched.step()
    return dict(spec, lrs=lrs)


def main():
    # SequentialLR calls step(0) internally, which triggers a deprecation warning; harmless.
    warnings.filterwarnings("ignore", message="The epoch parameter")
    sch = torch.optim.lr_scheduler
    schedules = [
        run_schedule(dict(name="step", kind="step", base_lr=0.1, warmup_iters=0, step_size_iters=3,
                          gamma=0.5),
                     lambda o: sch.StepLR(o, step_size=3, gamma=0.5), 11),
        run_schedule(dict(name="cosine", kind="cosine", base_lr=0.1, warmup_iters=0, total_iters=8,
                          min_lr=0.001),
                     lambda o: sch.CosineAnnealingLR(o, T_max=8, eta_min=0.001), 9),
        run_schedule(dict(name="warmup_constant", kind="constant", base_lr=0.1, warmup_iters=4,
                          warmup_start_factor=0.25),
                     lambda o: sch.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=4), 7),
        run_schedule(dict(name="warmup_cosine", kind="cosine", base_lr=0.1, warmup_iters=3,
                          warmup_start_factor=0.1, total_iters=9, min_lr=0.0),
                     lambda o: sch.SequentialLR(o, [
                         sch.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=3),
                         sch.CosineAnnealingLR(o, T_max=6, eta_min=0.0)], milestones=[3]), 10),
    ]
    fixture = dict(
        generator="scripts/make_optim_fixture.py",
        torch_version=torch.__version__,
        param0=PARAM0,
        grads=GRADS,
        optimizers=[run_optimizer(s) for s in OPTIMIZERS],
        schedules=schedules,
    )
    OUT.write_text(json.dumps(fixture, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
