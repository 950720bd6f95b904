// torchvision 0.14 EfficientNet B0-B3: MBConv blocks (SiLU, squeeze-and-excitation gated by sigmoid),
// channels scaled by width_mult (_make_divisible(c * w, 8)) and depths by depth_mult (ceil). The
// stochastic depth of the residual blocks (probability 0.2 * block index / blocks) is a per-image
// Dropout of the residual branch (Dropout with per_sample), identity in inference.
#include <array>
#include <cmath>

#include "core/check.hpp"
#include "models/families.hpp"

namespace edgetrain::models {
namespace {

struct Stage {
  int expand;
  int kernel, stride;
  int64_t in, out;
  int layers;
};
constexpr std::array<Stage, 7> kStages{{{1, 3, 1, 32, 16, 1},
                                        {6, 3, 2, 16, 24, 2},
                                        {6, 5, 2, 24, 40, 2},
                                        {6, 3, 2, 40, 80, 3},
                                        {6, 5, 1, 80, 112, 3},
                                        {6, 5, 2, 112, 192, 4},
                                        {6, 3, 1, 192, 320, 1}}};

struct Variant {
  double width, depth, dropout;
};
constexpr std::array<Variant, 4> kVariants{{{1.0, 1.0, 0.2}, {1.0, 1.1, 0.2}, {1.1, 1.2, 0.3}, {1.2, 1.4, 0.3}}};

constexpr NormOptions kNorm{};  // B0-B4 use BatchNorm's defaults

// MBConv: [expand 1x1] - depthwise - SE - project 1x1 (no activation), "<p>.block.<i>"; the residual
// branch is dropped per image with probability `drop` while training.
int mbconv(GraphBuilder& b, const std::string& p, int x, int64_t out, int kernel, int stride, int expand, double drop) {
  const int64_t in = b.channels(x), expanded = make_divisible(static_cast<double>(in * expand));
  int y = x, i = 0;
  auto name = [&] { return p + ".block." + std::to_string(i++); };
  if (expanded != in) y = conv_norm_act(b, name(), y, expanded, 1, 1, 1, Act::silu, kNorm);
  y = conv_norm_act(b, name(), y, expanded, kernel, stride, static_cast<int>(expanded), Act::silu, kNorm);
  y = squeeze_excitation(b, name(), y, std::max<int64_t>(1, in / 4), Act::silu, false);
  y = conv_norm_act(b, name(), y, out, 1, 1, 1, Act::none, kNorm);
  if (stride != 1 || in != out) return y;
  if (drop > 0) y = b.node(p + ".stochastic_depth", DropoutAttrs{drop, true}, {y});
  return b.add(p + ".add", y, x);
}

}  // namespace

Graph build_efficientnet(int variant, const ZooOptions& o) {
  ET_REQUIRE(variant >= 0 && variant < static_cast<int>(kVariants.size()), "efficientnet: variant b{} is not built",
             variant);
  const Variant& v = kVariants[static_cast<size_t>(variant)];
  auto width = [&](int64_t c) { return make_divisible(static_cast<double>(c) * v.width); };
  auto depth = [&](int n) { return static_cast<int>(std::ceil(n * v.depth)); };
  int blocks = 0;
  for (const Stage& s : kStages) blocks += depth(s.layers);
  GraphBuilder b(o.input);
  int x = conv_norm_act(b, "features.0", b.input(), width(kStages[0].in), 3, 2, 1, Act::silu, kNorm);
  int f = 1, block = 0;
  for (const Stage& s : kStages) {
    for (int k = 0; k < depth(s.layers); ++k, ++block) {
      const std::string p = "features." + std::to_string(f) + "." + std::to_string(k);
      x = mbconv(b, p, x, width(s.out), s.kernel, k == 0 ? s.stride : 1, s.expand, 0.2 * block / blocks);
    }
    ++f;
  }
  x = conv_norm_act(b, "features." + std::to_string(f), x, 4 * width(kStages.back().out), 1, 1, 1, Act::silu, kNorm);
  return pooled_classifier(b, "avgpool", x, v.dropout, o.num_classes);
}

}  // namespace edgetrain::models
