// Mul (squeeze-and-excitation's gate, y = a * b with b [N, C, 1, 1] broadcast over H, W, or b of a's
// shape) where its tensors are blocked: edgetrain's loops over nChw16c, so the network around the gate
// keeps oneDNN's layouts (the reference runs on plain only, and a plain gate demoted the whole block
// around it: EfficientNet's depthwise convolutions then lost their blocked kernels). A [N, C, 1, 1]
// tensor has the same bytes in both layouts. Plain problems are left to the reference.
// bwd_data: da = dy * b; db = dy * a summed over the positions (float runs of 512, then double), db
// first: da may overwrite dy.
#include <algorithm>

#include "kernels/onednn/ops.hpp"

namespace edgetrain::onednn {
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

class MulFwdBlocked final : public BlockedLoopKernel {
 public:
  explicit MulFwdBlocked(const KernelProblem& p) : d_(gate_dims(p)) {}
  void execute(const KernelArgs& args) const override {
    const float* a = args.src[0].as<float>();
    const float* b = args.src[1].as<float>();
    float* y = args.dst.as<float>();
    const int64_t plane = d_.S * B;
    if (!d_.broadcast) {
      const int64_t n = d_.N * d_.blocks * plane;
#pragma omp parallel for simd if (n > (1 << 15)) schedule(static)
      for (int64_t i = 0; i < n; ++i) y[i] = a[i] * b[i];
      return;
    }
#pragma omp parallel for if (d_.N * d_.blocks * plane > (1 << 15)) schedule(static)
    for (int64_t k = 0; k < d_.N * d_.blocks; ++k) {
      const float* g = b + k * B;
      for (int64_t s = 0; s < d_.S; ++s)
#pragma omp simd
        for (int64_t j = 0; j < B; ++j) y[k * plane + s * B + j] = a[k * plane + s * B + j] * g[j];
    }
  }

 private:
  GateDims d_;
};

class MulBwdBlocked final : public BlockedLoopKernel {
 public:
  explicit MulBwdBlocked(const KernelProblem& p) : d_(gate_dims(p)) {}
  void execute(const KernelArgs& args) const override {
    const bool want_a = args.diff_src.size() > 0 && args.diff_src[0];
    const bool want_b = args.diff_src.size() > 1 && args.diff_src[1];
    const float* a = args.src[0].as<float>();
    const float* b = args.src[1].as<float>();
    const float* dy = args.diff_dst.as<float>();
    float* da = want_a ? args.diff_src[0].as<float>() : nullptr;
    float* db = want_b ? args.diff_src[1].as<float>() : nullptr;
    if (!d_.broadcast) return same_shape(a, b, dy, da, db);
    const int64_t plane = d_.S * B;
#pragma omp parallel for if (d_.N * d_.blocks * plane > (1 << 15)) schedule(static)
    for (int64_t k = 0; k < d_.N * d_.blocks; ++k) {
      const float* ak = a + k * plane;
      const float* dyk = dy + k * plane;
      if (db) {
        double acc[B] = {};
        for (int64_t start = 0; start < d_.S; start += kChunk) {
          float run[B] = {};
          for (int64_t s = start; s < std::min(d_.S, start + kChunk); ++s)
#pragma omp simd
            for (int64_t j = 0; j < B; ++j) run[j] += dyk[s * B + j] * ak[s * B + j];
          for (int64_t j = 0; j < B; ++j) acc[j] += run[j];
        }
        for (int64_t j = 0; j < B; ++j) db[k * B + j] = static_cast<float>(acc[j]);
      }
      if (da) {
        const float* g = b + k * B;
        for (int64_t s = 0; s < d_.S; ++s)
#pragma omp simd
          for (int64_t j = 0; j < B; ++j) da[k * plane + s * B + j] = dyk[s * B + j] * g[j];
      }
    }
  }

 private:
  void same_shape(const float* a, const float* b, const float* dy, float* da, float* db) const {
    const int64_t n = d_.N * d_.blocks * d_.S * B;
#pragma omp parallel for simd if (n > (1 << 15)) schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      const float g = dy[i], u = a[i], v = b[i];
      if (db) db[i] = g * u;
      if (da) da[i] = g * v;
    }
  }

  GateDims d_;
};

}  // namespace

std::unique_ptr<ProgramKernel> make_mul(const KernelProblem& p, std::string& why_not) {
  if (p.src.size() != 2 || p.src[0].rank() != 4) {
    why_not = "Mul expects two 4-D inputs";
    return nullptr;
  }
  const Layout la = p.src_layout_of(0);
  const bool broadcast = p.src[1].numel() != p.src[0].numel();
  if (la != Layout::blocked16 || p.dst_layout != la || (!broadcast && p.src_layout_of(1) != la)) {
    why_not = "Mul runs here on blocked layouts only (the reference takes plain ones)";
    return nullptr;
  }
  if (p.pass == Pass::fwd) return std::make_unique<MulFwdBlocked>(p);
  return std::make_unique<MulBwdBlocked>(p);
}

}  // namespace edgetrain::onednn
