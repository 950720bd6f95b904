// The oneDNN CPU backend's factory (the registry row "onednn"). This header does not include dnnl.hpp:
// only the .cpp files of this folder do.
//
// Accepts f32 Conv2d, BatchNorm2d, ReLU, ReLU6, MaxPool2d, AvgPool2d, GlobalAvgPool, Linear, Add and
// Concat for every pass the op has, and bf16 for all of them but BatchNorm; declines (with a reason)
// anything else, which the native or reference backend takes.
// Kernel boundary: dense row-major views as everywhere (NCHW, OIHW / [OC, IC/G, KH, KW], [OUT, IN]).
// Inside a kernel, convolutions may run in oneDNN's blocked layouts through reorders in scratch
// (EDGETRAIN_ONEDNN_LAYOUT=plain|any, see conv2d.cpp); reorders() counts them.
#pragma once
#include <memory>
#include <string>

#include "kernels/kernel.hpp"

namespace edgetrain {

std::unique_ptr<Kernel> make_onednn_kernel(const KernelProblem& problem, std::string& why_not);

}  // namespace edgetrain
