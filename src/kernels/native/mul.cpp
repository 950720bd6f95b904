// Mul (squeeze-and-excitation's gate, y = a * b with b [N, C, 1, 1] broadcast over H, W, or b of a's
// shape) where its tensors are blocked: the native backend's loops over nChw16c (oneDNN 2.6's binary
// primitive is not used), so the network around the gate keeps its blocked layouts (the reference runs on plain only,
// and a plain gate demoted the whole block around it: EfficientNet's depthwise convolutions then lost their blocked
// kernels). A broadcast gate b may be plain or blocked: its images are C or ceil(C/16)*16 floats apart. With
// padding lanes (C not a multiple of 16) the same-shape product runs over the stored elements, the
// broadcast one reads the gate's real channels only and writes zeros to a blocked db's padding lanes.
// Plain problems are left to the reference.
// bwd_data: da = dy * b; db = dy * a summed over the positions (float runs of 512, then double), db
// first: da may overwrite dy.
#include <algorithm>

#include "kernels/native/native_kernels.hpp"

namespace edgetrain::native {
namespace {

constexpr int64_t B = kChannelBlock;
constexpr int64_t kChunk = 512;

struct GateDims {
  int64_t N = 0, blocks = 0, S = 0;  // images, channel blocks (the last one may be partial), positions
  int64_t C = 0;                     // real channels
  bool broadcast = false;            // b is [N, C, 1, 1]
  int64_t gate_stride = 0;           // broadcast: floats between two images of b (its layout's)
  bool gate_blocked = false;         // broadcast: b (and db) stored blocked, padding lanes included
  int64_t lanes(int64_t cb) const { return std::min(B, C - cb * B); }
  // Block k (image k / blocks) of the gate or its gradient.
  template <class T>
  T* gate(T* b, int64_t k) const {
    return b + (k / blocks) * gate_stride + (k % blocks) * B;
  }
};

GateDims gate_dims(const KernelProblem& p) {
  const Shape& a = p.src[0];
  GateDims d{a[0], blocked_channels(a[1]) / B, a.numel_from(2), a[1], p.src[1].numel() != a.numel()};
  d.gate_blocked = d.broadcast && p.src_layout_of(1) == Layout::blocked16;
  d.gate_stride = d.gate_blocked ? blocked_channels(a[1]) : a[1];
  return d;
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
    float g[B] = {};
    for (int64_t j = 0; j < d.lanes(k % d.blocks); ++j) g[j] = d.gate(b, k)[j];
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
      float* dbk = d.gate(db, k);
      const int64_t valid = d.lanes(k % d.blocks);
      for (int64_t j = 0; j < valid; ++j) dbk[j] = static_cast<float>(acc[j]);
      if (d.gate_blocked)
        for (int64_t j = valid; j < B; ++j) dbk[j] = 0.f;
    }
    if (da) {
      float g[B] = {};
      for (int64_t j = 0; j < d.lanes(k % d.blocks); ++j) g[j] = d.gate(b, k)[j];
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
