#include <algorithm>
#include <cmath>

#include "data/dataset.hpp"

namespace edgetrain::data {

void channel_statistics(const Dataset& d, int64_t max_samples, std::vector<float>& mean, std::vector<float>& std) {
  Shape s = d.sample_shape();
  const int64_t c = s[0], hw = s[1] * s[2], n = std::min<int64_t>(d.size(), std::max<int64_t>(1, max_samples));
  std::vector<double> sum(static_cast<size_t>(c)), sq(static_cast<size_t>(c));
  std::vector<float> x(static_cast<size_t>(s.numel()));
  for (int64_t i = 0; i < n; ++i) {
    d.read(i * d.size() / n, x.data());
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t j = 0; j < hw; ++j) {
        double v = x[static_cast<size_t>(ch * hw + j)];
        sum[static_cast<size_t>(ch)] += v;
        sq[static_cast<size_t>(ch)] += v * v;
      }
  }
  mean.clear();
  std.clear();
  for (int64_t ch = 0; ch < c; ++ch) {
    double cnt = static_cast<double>(n * hw);
    double m = sum[static_cast<size_t>(ch)] / cnt;
    double var = std::max(sq[static_cast<size_t>(ch)] / cnt - m * m, 1e-12);
    mean.push_back(static_cast<float>(m));
    std.push_back(static_cast<float>(std::sqrt(var)));
  }
}

}  // namespace edgetrain::data
