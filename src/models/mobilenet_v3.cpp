// torchvision 0.14 MobileNetV3 (small and large): inverted residual blocks with hard-swish and
// squeeze-and-excitation gated by hard-sigmoid; BatchNorm eps 1e-3, momentum 0.01; width_mult scales
// every channel count with _make_divisible(c * w, 8).
#include <array>
#include <cmath>
#include <span>

#include "core/check.hpp"
#include "models/families.hpp"

namespace edgetrain::models {
namespace {

constexpr NormOptions kNorm{1e-3, 0.01};

struct Bneck {
  int64_t in;
  int kernel;
  int64_t expanded, out;
  bool se, hard_swish;
  int stride;
};

constexpr std::array<Bneck, 15> kLarge{{{16, 3, 16, 16, false, false, 1},
                                        {16, 3, 64, 24, false, false, 2},
                                        {24, 3, 72, 24, false, false, 1},
                                        {24, 5, 72, 40, true, false, 2},
                                        {40, 5, 120, 40, true, false, 1},
                                        {40, 5, 120, 40, true, false, 1},
                                        {40, 3, 240, 80, false, true, 2},
                                        {80, 3, 200, 80, false, true, 1},
                                        {80, 3, 184, 80, false, true, 1},
                                        {80, 3, 184, 80, false, true, 1},
                                        {80, 3, 480, 112, true, true, 1},
                                        {112, 3, 672, 112, true, true, 1},
                                        {112, 5, 672, 160, true, true, 2},
                                        {160, 5, 960, 160, true, true, 1},
                                        {160, 5, 960, 160, true, true, 1}}};
constexpr std::array<Bneck, 11> kSmall{{{16, 3, 16, 16, true, false, 2},
                                        {16, 3, 72, 24, false, false, 2},
                                        {24, 3, 88, 24, false, false, 1},
                                        {24, 5, 96, 40, true, true, 2},
                                        {40, 5, 240, 40, true, true, 1},
                                        {40, 5, 240, 40, true, true, 1},
                                        {40, 5, 120, 48, true, true, 1},
                                        {48, 5, 144, 48, true, true, 1},
                                        {48, 5, 288, 96, true, true, 2},
                                        {96, 5, 576, 96, true, true, 1},
                                        {96, 5, 576, 96, true, true, 1}}};

// InvertedResidual: [expand 1x1] - depthwise - [SE] - project 1x1 (no activation), "<p>.block.<i>".
int inverted_residual(GraphBuilder& b, const std::string& p, int x, const Bneck& c, double w) {
  const int64_t in = make_divisible(static_cast<double>(c.in) * w),
                expanded = make_divisible(static_cast<double>(c.expanded) * w),
                out = make_divisible(static_cast<double>(c.out) * w);
  const Act act = c.hard_swish ? Act::hard_swish : Act::relu;
  int y = x, i = 0;
  auto name = [&] { return p + ".block." + std::to_string(i++); };
  if (expanded != in) y = conv_norm_act(b, name(), y, expanded, 1, 1, 1, act, kNorm);
  y = conv_norm_act(b, name(), y, expanded, c.kernel, c.stride, static_cast<int>(expanded), act, kNorm);
  if (c.se) y = squeeze_excitation(b, name(), y, make_divisible(static_cast<double>(expanded / 4)), Act::relu, true);
  y = conv_norm_act(b, name(), y, out, 1, 1, 1, Act::none, kNorm);
  if (c.stride == 1 && in == out) y = b.add(p + ".add", y, x);
  return y;
}

}  // namespace

Graph build_mobilenet_v3(bool large, const ZooOptions& o) {
  const double w = o.width_mult;
  ET_REQUIRE(w > 0.0 && std::isfinite(w), "mobilenet_v3: width_mult must be > 0, got {}", w);
  const std::span<const Bneck> setting = large ? std::span<const Bneck>(kLarge) : std::span<const Bneck>(kSmall);
  GraphBuilder b(o.input);
  int x = conv_norm_act(b, "features.0", b.input(), make_divisible(static_cast<double>(setting[0].in) * w), 3, 2, 1,
                        Act::hard_swish, kNorm);
  int f = 1;
  for (const Bneck& c : setting) x = inverted_residual(b, "features." + std::to_string(f++), x, c, w);
  const int64_t last_conv = 6 * b.channels(x), last = make_divisible((large ? 1280.0 : 1024.0) * w);
  x = conv_norm_act(b, "features." + std::to_string(f), x, last_conv, 1, 1, 1, Act::hard_swish, kNorm);
  x = b.global_avg_pool("avgpool", x);
  x = b.flatten("flatten", x);
  x = b.linear("classifier.0", x, last);
  x = activation(b, "classifier.1", x, Act::hard_swish);
  x = b.dropout("classifier.2", x, 0.2);
  x = b.linear("classifier.3", x, o.num_classes);
  return b.finish(x);
}

}  // namespace edgetrain::models
