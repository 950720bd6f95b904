// Mul: y = a * b, b of a's shape or [N, C, 1, 1] broadcast over the S = H * W positions.
// bwd_data: da = dy * b; db = dy * a, summed over the S positions where b was broadcast (in double).
// Every loop reads element i before writing it, so dst may alias a and da dy.
#include "kernels/ref/common.hpp"
#include "kernels/ref/ref_kernels.hpp"

namespace edgetrain::ref {
namespace {

// The positions each value of b covers: 1 (same shape) or H * W (broadcast).
int64_t spread(const OpDesc& p) { return p.src[1].numel() == p.src[0].numel() ? 1 : p.src[0].numel_from(2); }

}  // namespace

void fwd(const MulAttrs&, const OpDesc& p, const KernelArgs& args) {
  const int64_t s = spread(p), planes = p.src[1].numel();
  detail::dispatch(p.dtype, [&]<class T>() {
    const T* a = args.src[0].as<T>();
    const T* b = args.src[1].as<T>();
    T* y = args.dst.as<T>();
#pragma omp parallel for if (planes * s > detail::kParallelMin) schedule(static)
    for (int64_t k = 0; k < planes; ++k)
      for (int64_t i = k * s; i < (k + 1) * s; ++i) y[i] = a[i] * b[k];
  });
}

void bwd_data(const MulAttrs&, const OpDesc& p, const KernelArgs& args) {
  const int64_t s = spread(p), planes = p.src[1].numel();
  const bool want_a = detail::present(args.diff_src, 0), want_b = detail::present(args.diff_src, 1);
  detail::dispatch(p.dtype, [&]<class T>() {
    const T* a = args.src[0].as<T>();
    const T* b = args.src[1].as<T>();
    const T* dy = args.diff_dst.as<T>();
    T* da = want_a ? args.diff_src[0].as<T>() : nullptr;
    T* db = want_b ? args.diff_src[1].as<T>() : nullptr;
#pragma omp parallel for if (planes * s > detail::kParallelMin) schedule(static)
    for (int64_t k = 0; k < planes; ++k) {
      double acc = 0;  // db first: da may overwrite dy
      for (int64_t i = k * s; i < (k + 1) * s; ++i) acc += static_cast<double>(dy[i]) * static_cast<double>(a[i]);
      if (want_a)
        for (int64_t i = k * s; i < (k + 1) * s; ++i) da[i] = dy[i] * b[k];
      if (want_b) db[k] = static_cast<T>(acc);
    }
  });
}

std::size_t scratch_bytes(const MulAttrs&, const OpDesc&) { return 0; }

}  // namespace edgetrain::ref
