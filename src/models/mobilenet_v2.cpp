// torchvision 0.14 MobileNetV2: inverted residual blocks, width_mult with _make_divisible(c * w, 8).
#include <algorithm>
#include <array>
#include <cmath>

#include "core/check.hpp"
#include "models/families.hpp"

namespace edgetrain::models {
namespace {

int inverted_residual(GraphBuilder& b, const std::string& p, int x, int64_t out, int stride, int expand_ratio) {
  const int64_t in = b.channels(x);
  const auto hidden = static_cast<int64_t>(std::round(static_cast<double>(in) * expand_ratio));
  int y = x;
  int i = 0;  // index into the block's "conv" Sequential
  if (expand_ratio != 1) y = conv_norm_act(b, p + ".conv." + std::to_string(i++), y, hidden, 1, 1, 1, Act::relu6, {});
  y = conv_norm_act(b, p + ".conv." + std::to_string(i++), y, hidden, 3, stride, static_cast<int>(hidden), Act::relu6,
                    {});
  y = b.conv(p + ".conv." + std::to_string(i++), y, out, 1, 1, 0);
  y = b.batch_norm(p + ".conv." + std::to_string(i++), y);
  if (stride == 1 && in == out) y = b.add(p + ".add", y, x);
  return y;
}

struct Stage {
  int t;      // expansion ratio
  int64_t c;  // output channels (before width_mult)
  int n;      // blocks
  int s;      // stride of the first block
};

}  // namespace

Graph build_mobilenet_v2(const ZooOptions& o) {
  ET_REQUIRE(o.width_mult > 0.0 && std::isfinite(o.width_mult), "mobilenet_v2: width_mult must be > 0, got {}",
             o.width_mult);
  const double w = o.width_mult;
  constexpr std::array<Stage, 7> stages{
      {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}}};
  const int64_t first = make_divisible(32.0 * w);
  const int64_t last = make_divisible(1280.0 * std::max(1.0, w));
  GraphBuilder b(o.input);
  int x = conv_norm_act(b, "features.0", b.input(), first, 3, 2, 1, Act::relu6, {});  // [1, 32w, H/2, W/2]
  int f = 1;
  for (const Stage& st : stages) {
    const int64_t out = make_divisible(static_cast<double>(st.c) * w);
    for (int i = 0; i < st.n; ++i) {
      x = inverted_residual(b, "features." + std::to_string(f++), x, out, i == 0 ? st.s : 1, st.t);
    }
  }
  x = conv_norm_act(b, "features." + std::to_string(f), x, last, 1, 1, 1, Act::relu6, {});  // [1, 1280, H/32, W/32]
  return pooled_classifier(b, "avgpool", x, 0.2, o.num_classes);
}

}  // namespace edgetrain::models
