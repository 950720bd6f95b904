// Building blocks shared by the torchvision families (torchvision 0.14's ops/misc.py and _utils.py).
#include <algorithm>

#include "models/families.hpp"

namespace edgetrain::models {

int64_t make_divisible(double v, int64_t divisor) {
  int64_t r =
      std::max<int64_t>(divisor, static_cast<int64_t>(v + static_cast<double>(divisor) / 2.0) / divisor * divisor);
  if (static_cast<double>(r) < 0.9 * v) r += divisor;
  return r;
}

int activation(GraphBuilder& b, const std::string& name, int x, Act act) {
  switch (act) {
    case Act::none: return x;
    case Act::relu: return b.relu(name, x);
    case Act::relu6: return b.relu6(name, x);
    case Act::hard_swish: return b.pointwise(name, x, {PointwiseFn::hard_swish, 1.0 / 6.0, 0.5});
    case Act::silu: return b.pointwise(name, x, {PointwiseFn::silu, 0.0, 0.0});
  }
  return x;
}

int conv_norm_act(GraphBuilder& b, const std::string& p, int x, int64_t out, int kernel, int stride, int groups,
                  Act act, const NormOptions& norm) {
  x = b.conv(p + ".0", x, out, kernel, stride, (kernel - 1) / 2, groups);
  x = b.batch_norm(p + ".1", x, norm.eps, norm.momentum);
  return activation(b, p + ".2", x, act);
}

int squeeze_excitation(GraphBuilder& b, const std::string& p, int x, int64_t squeeze, Act act, bool hard_gate) {
  int s = b.global_avg_pool(p + ".avgpool", x);
  s = b.conv(p + ".fc1", s, squeeze, 1, 1, 0, 1, true);
  s = activation(b, p + ".activation", s, act);
  s = b.conv(p + ".fc2", s, b.channels(x), 1, 1, 0, 1, true);
  s = b.pointwise(p + ".scale_activation", s,
                  hard_gate ? PointwiseAttrs{PointwiseFn::hard_sigmoid, 1.0 / 6.0, 0.5}
                            : PointwiseAttrs{PointwiseFn::sigmoid, 0.0, 0.0});
  return b.mul(p + ".mul", x, s);
}

Graph pooled_classifier(GraphBuilder& b, const std::string& pool, int x, double dropout, int64_t num_classes) {
  x = b.flatten("flatten", b.global_avg_pool(pool, x));
  x = b.dropout("classifier.0", x, dropout);
  return b.finish(b.linear("classifier.1", x, num_classes));
}

}  // namespace edgetrain::models
