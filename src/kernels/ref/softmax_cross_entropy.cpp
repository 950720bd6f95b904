// SoftmaxCrossEntropy: src[0] logits [N, K], src[1] labels [N] i32 in [0, K).
// fwd: dst[0] = mean_n (logsumexp(x_n) - x_n[label_n]) computed with the row max subtracted;
//      aux[0] (i32 [N], when present) = argmax_k x_n (first maximum wins).
// bwd_data: diff_src[0] = (softmax(x_n) - onehot(label_n)) / N; diff_dst is ignored (the loss is the seed).
#include <cmath>

#include "kernels/ref/common.hpp"
#include "kernels/ref/ref_kernels.hpp"

namespace edgetrain::ref {

void fwd(const SoftmaxCrossEntropyAttrs&, const OpDesc& p, const KernelArgs& args) {
  detail::dispatch(p.dtype, [&]<class T>() {
    const int64_t N = p.src[0][0], K = p.src[0][1];
    const T* x = args.src[0].as<T>();
    const int32_t* label = args.src[1].as<int32_t>();
    int32_t* pred = detail::present(args.aux, 0) ? args.aux[0].as<int32_t>() : nullptr;
    double total = 0;
    for (int64_t n = 0; n < N; ++n) {
      const T* row = x + n * K;
      int64_t best = 0;
      for (int64_t k = 1; k < K; ++k)
        if (row[k] > row[best]) best = k;
      double sum = 0;
      for (int64_t k = 0; k < K; ++k) sum += std::exp(static_cast<double>(row[k]) - static_cast<double>(row[best]));
      const int32_t y = label[n];
      ET_ASSERT(y >= 0 && y < K);
      total += std::log(sum) + static_cast<double>(row[best]) - static_cast<double>(row[y]);
      if (pred) pred[n] = static_cast<int32_t>(best);
    }
    args.dst.as<T>()[0] = static_cast<T>(total / static_cast<double>(N));
  });
}

void bwd_data(const SoftmaxCrossEntropyAttrs&, const OpDesc& p, const KernelArgs& args) {
  if (!detail::present(args.diff_src, 0)) return;
  detail::dispatch(p.dtype, [&]<class T>() {
    const int64_t N = p.src[0][0], K = p.src[0][1];
    const T* x = args.src[0].as<T>();
    const int32_t* label = args.src[1].as<int32_t>();
    T* dx = args.diff_src[0].as<T>();
    const double inv_n = 1.0 / static_cast<double>(N);
    for (int64_t n = 0; n < N; ++n) {
      const T* row = x + n * K;
      T* drow = dx + n * K;
      T mx = row[0];
      for (int64_t k = 1; k < K; ++k) mx = row[k] > mx ? row[k] : mx;
      double sum = 0;
      for (int64_t k = 0; k < K; ++k) sum += std::exp(static_cast<double>(row[k]) - static_cast<double>(mx));
      const double scale = inv_n / sum;
      for (int64_t k = 0; k < K; ++k)
        drow[k] = static_cast<T>(std::exp(static_cast<double>(row[k]) - static_cast<double>(mx)) * scale -
                                 (k == label[n] ? inv_n : 0.0));
    }
  });
}

std::size_t scratch_bytes(const SoftmaxCrossEntropyAttrs&, const OpDesc&) { return 0; }

}  // namespace edgetrain::ref
