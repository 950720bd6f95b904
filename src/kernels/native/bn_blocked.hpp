// BatchNorm loops over nChw16c tensors [N, ceil(C/16), S, 16] (S = H*W; a partial last block's padding
// lanes come out 0 for finite inputs and are left out of every per-channel result), with an optional ReLU / ReLU6 fused
// after the normalisation: the native backend's BatchNorm (batch_norm.cpp), where oneDNN 2.6 has no
// equivalent (its statistics are ~1e-4 accurate, its BN has no ReLU6 and no fused weight gradients). Compiled for
// AVX-512 and AVX2 as well (one 16-channel block is one AVX-512 register); the project itself builds for the x86-64
// baseline.
#pragma once
#include <cstdint>

#include "kernels/kernel.hpp"

namespace edgetrain::native::bn_blocked {

struct Extent {
  int64_t N, C, S;  // C: the real channels
};

// Each loop reads and writes activations stored as f32 or bf16 (computing in f32); statistics, scales
// and sums are f32/double.

// Batch mean and biased variance per channel (float runs of shifted values combined in double).
void statistics(const float* x, const Extent& e, float* mean, float* var);
void statistics(const bf16* x, const Extent& e, float* mean, float* var);

// y = act((x - mean) * scale + shift) per channel (subtracting first: scale * x + (shift - mean * scale)
// loses the digits of x - mean when the mean is large against the deviation).
void normalize(const float* x, const float* mean, const float* scale, const float* shift, Activation act,
               const Extent& e, float* y);
void normalize(const bf16* x, const float* mean, const float* scale, const float* shift, Activation act,
               const Extent& e, bf16* y);

// Per channel s1 = sum(g), s2 = sum(g * (x - mean)), g = dy masked by the activation's derivative at
// its output y (act none: y unused, may be null).
void channel_sums(const float* x, const float* dy, const float* y, Activation act, const float* mean, const Extent& e,
                  double* s1, double* s2);
void channel_sums(const bf16* x, const bf16* dy, const bf16* y, Activation act, const float* mean, const Extent& e,
                  double* s1, double* s2);

// dx = a * g - b * (x - mean) - c per channel, g as in channel_sums.
void backward(const float* x, const float* dy, const float* y, Activation act, const float* mean, const float* a,
              const float* b, const float* c, const Extent& e, float* dx);
void backward(const bf16* x, const bf16* dy, const bf16* y, Activation act, const float* mean, const float* a,
              const float* b, const float* c, const Extent& e, bf16* dx);

// aux = {mean, inv_std = 1 / sqrt(var + eps)} from per-channel batch statistics over M values per
// channel, and the running statistics updated with the unbiased variance and PyTorch's momentum
// (training); in inference (training false, mean and var unused) aux comes from the running
// statistics. Any layout (C-sized
// tensors): the oneDNN backend's NCHW BatchNorm uses it too.
void store_statistics(const KernelArgs& args, const BatchNormAttrs& a, int64_t C, int64_t M, bool training,
                      const float* mean, const float* var);

}  // namespace edgetrain::native::bn_blocked
