#include "api/input.hpp"

#include <cstring>

namespace edgetrain::api {

void copy_input(const Network& net, bool normalize, const float* src, int64_t n, float* dst) {
  const Shape& in = net.graph.values[static_cast<size_t>(net.graph.input)].shape;  // [N, C, H, W], no copy
  const int64_t c = in[1], hw = in[2] * in[3];
  const std::vector<float>& mean = net.info.mean;
  const std::vector<float>& std = net.info.std;
  if (!normalize || mean.empty()) {
    std::memcpy(dst, src, static_cast<size_t>(n * c * hw) * sizeof(float));
    return;
  }
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch) {
      const size_t k = mean.size() == 1 ? 0 : static_cast<size_t>(ch);
      const float m = mean[k], sd = std[k];  // as the data loader computes it
      const float* s = src + (i * c + ch) * hw;
      float* d = dst + (i * c + ch) * hw;
      for (int64_t j = 0; j < hw; ++j) d[j] = (s[j] - m) / sd;
    }
}

}  // namespace edgetrain::api
