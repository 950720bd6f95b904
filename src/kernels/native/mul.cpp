// Mul (squeeze-and-excitation's gate, y = a * b with b [N, C, 1, 1] broadcast over H, W, or b of a's
// shape) where its tensors are blocked: the native backend's loops over nChw16c (oneDNN 2.6's binary
// primitive is not used), so the network around the gate keeps its blocked layouts (the reference runs on plain only,
// and a plain gate demoted the whole block around it: EfficientNet's depthwise convolutions then lost their blocked
// kernels). A [N, C, 1, 1] tensor has the same bytes in both layouts. Plain problems are left to the reference.
// bwd_data: da = dy * b; db = dy * a summed over the positions (float runs of 512, then double), db
// first: da may overwrite dy.
#include <algorithm>

#include "kernels/native/native_kernels.hpp"

namespace edgetrain::native {
namespace {

constexpr int64_t B = kChannelBlock;
constexpr int64_t kChunk = 512;

struct GateDims {
  int64_t N = 0, blocks = 0, S = 0;  // images, channel blocks, positions
  bool broadcast = false;            // b is [N, C, 1, 1]
};

GateDims gate_dims(const KernelProblem& p) {
  const Shape& a = p.src[0];
  return {a[0], a[1] / B, a.numel_from(2), p.src[1].numel() != a.numel()};
}

void forward(const GateDims& d, const KernelArgs& args) {
  const float* a = args.src[0].as<float>();
  const float* b = args.src[1].as<float>();
  float* y = args.dst.as<float>();
  const int64_t plane = d.S * B;
  if (!d.broadcast) {
    const int64_t n = d.N * d.blocks * plane;
#pragma omp parallel for simd if (n > (1 << 15)) schedule(static)
    for (int64_t i = 0; i < n; ++i) y[i] = a[i] * b[i];
    return;
  }
#pragma omp parallel for if (d.N * d.blocks * plane > (1 << 15)) schedule(static)
  for (int64_t k = 0; k < d.N * d.blocks; ++k) {
    const float* g = b + k * B;
    for (int64_t s = 0; s < d.S; ++s)
#pragma omp simd
      for (int64_t j = 0; j < B; ++j) y[k * plane + s * B + j] = a[k * plane + s * B + j] * g[j];
  }
}

void same_shape_backward(const GateDims& d, const float* a, const float* b, const float* dy, float* da, float* db) {
  const int64_t n = d.N * d.blocks * d.S * B;
#pragma omp parallel for simd if (n > (1 << 15)) schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const float g = dy[i], u = a[i], v = b[i];
    if (db) db[i] = g * u;
    if (da) da[i] = g * v;
  }
}

void backward(const GateDims& d, const KernelArgs& args) {
  const bool want_a = args.diff_src.size() > 0 && args.diff_src[0];
  const bool want_b = args.diff_src.size() > 1 && args.diff_src[1];
  const float* a = args.src[0].as<float>();
  const float* b = args.src[1].as<float>();
  const float* dy = args.diff_dst.as<float>();
  float* da = want_a ? args.diff_src[0].as<float>() : nullptr;
  float* db = want_b ? args.diff_src[1].as<float>() : nullptr;
  if (!d.broadcast) return same_shape_backward(d, a, b, dy, da, db);
  const int64_t plane = d.S * B;
#pragma omp parallel for if (d.N * d.blocks * plane > (1 << 15)) schedule(static)
  for (int64_t k = 0; k < d.N * d.blocks; ++k) {
    const float* ak = a + k * plane;
    const float* dyk = dy + k * plane;
    if (db) {
      double acc[B] = {};
      for (int64_t start = 0; start < d.S; start += kChunk) {
        float run[B] = {};
        for (int64_t s = start; s < std::min(d.S, start + kChunk); ++s)
#pragma omp simd
          for (int64_t j = 0; j < B; ++j) run[j] += dyk[s * B + j] * ak[s * B + j];
        for (int64_t j = 0; j < B; ++j) acc[j] += run[j];
      }
      for (int64_t j = 0; j < B; ++j) db[k * B + j] = static_cast<float>(acc[j]);
    }
    if (da) {
      const float* g = b + k * B;
      for (int64_t s = 0; s < d.S; ++s)
#pragma omp simd
        for (int64_t j = 0; j < B; ++j) da[k * plane + s * B + j] = dyk[s * B + j] * g[j];
    }
  }
}

}  // namespace

void fwd(const MulAttrs&, const KernelProblem& p, const KernelArgs& args) { forward(gate_dims(p), args); }
void bwd_data(const MulAttrs&, const KernelProblem& p, const KernelArgs& args) { backward(gate_dims(p), args); }
std::size_t scratch_bytes(const MulAttrs&, const KernelProblem&) { return 0; }

}  // namespace edgetrain::native
