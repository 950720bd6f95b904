// torchvision 0.14 MNASNet (alpha 0.5, 0.75, 1.0, 1.3): a plain stem, a depthwise-separable block,
// six stacks of inverted residuals (ReLU), BatchNorm momentum 1 - 0.9997 (PyTorch convention), the
// features averaged over H, W (x.mean([2, 3])) into Dropout and Linear. Names: "layers.<i>".
#include <array>
#include <cmath>

#include "core/check.hpp"
#include "models/families.hpp"

namespace edgetrain::models {
namespace {

constexpr double kMomentum = 1.0 - 0.9997;

// torchvision's _round_to_multiple_of(val, 8, 0.9), which _get_depths applies to depth * alpha.
int64_t round_to_multiple_of(double v) { return make_divisible(v, 8); }

int conv_bn(GraphBuilder& b, const std::string& conv, const std::string& bn, int x, int64_t out, int kernel, int stride,
            int groups) {
  x = b.conv(conv, x, out, kernel, stride, kernel / 2, groups);
  return b.batch_norm(bn, x, 1e-5, kMomentum);
}

// _InvertedResidual: 1x1 expand - BN - ReLU - depthwise - BN - ReLU - 1x1 project - BN, "<p>.layers.<i>".
int inverted_residual(GraphBuilder& b, const std::string& p, int x, int64_t out, int kernel, int stride, int expand) {
  const int64_t in = b.channels(x), mid = in * expand;
  const std::string l = p + ".layers.";
  int y = conv_bn(b, l + "0", l + "1", x, mid, 1, 1, 1);
  y = b.relu(l + "2", y);
  y = conv_bn(b, l + "3", l + "4", y, mid, kernel, stride, static_cast<int>(mid));
  y = b.relu(l + "5", y);
  y = conv_bn(b, l + "6", l + "7", y, out, 1, 1, 1);
  if (in == out && stride == 1) y = b.add(p + ".add", y, x);
  return y;
}

struct Stack {
  int kernel, stride, expand, repeats;
};
constexpr std::array<Stack, 6> kStacks{
    {{3, 2, 3, 3}, {5, 2, 3, 3}, {5, 2, 6, 3}, {3, 1, 6, 2}, {5, 2, 6, 4}, {3, 1, 6, 1}}};
constexpr std::array<int, 8> kDepths{32, 16, 24, 40, 80, 96, 192, 320};

}  // namespace

Graph build_mnasnet(double alpha, const ZooOptions& o) {
  std::array<int64_t, 8> depth{};
  for (size_t k = 0; k < depth.size(); ++k) depth[k] = round_to_multiple_of(kDepths[k] * alpha);
  GraphBuilder b(o.input);
  int x = conv_bn(b, "layers.0", "layers.1", b.input(), depth[0], 3, 2, 1);
  x = b.relu("layers.2", x);
  x = conv_bn(b, "layers.3", "layers.4", x, depth[0], 3, 1, static_cast<int>(depth[0]));
  x = b.relu("layers.5", x);
  x = conv_bn(b, "layers.6", "layers.7", x, depth[1], 1, 1, 1);
  for (size_t s = 0; s < kStacks.size(); ++s) {
    const Stack& st = kStacks[s];
    for (int k = 0; k < st.repeats; ++k)
      x = inverted_residual(b, "layers." + std::to_string(8 + s) + "." + std::to_string(k), x, depth[s + 2], st.kernel,
                            k == 0 ? st.stride : 1, st.expand);
  }
  x = conv_bn(b, "layers.14", "layers.15", x, 1280, 1, 1, 1);
  x = b.relu("layers.16", x);
  return pooled_classifier(b, "mean", x, 0.2, o.num_classes);  // x.mean([2, 3]) in torchvision
}

}  // namespace edgetrain::models
