#include "predict/synthetic_net.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "graph/builder.hpp"
#include "ops/op.hpp"

namespace edgetrain::predict {

namespace {

class Generator {
 public:
  explicit Generator(std::mt19937_64& rng) : rng_(rng) {}

  int64_t uniform(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng_); }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <class T>
  T pick(std::initializer_list<T> v) { return *(v.begin() + uniform(0, static_cast<int64_t>(v.size()) - 1)); }

  // A width like the ones a pruned network has: a round number, or anything in between.
  int64_t width(int64_t typical) {
    typical = std::clamp<int64_t>(typical, 8, 768);
    if (chance(0.4)) return typical;
    return std::max<int64_t>(2, uniform(typical / 4, typical + typical / 2));
  }

  int conv_bn_act(GraphBuilder& b, int x, int64_t out, int k, int stride, int groups = 1, bool act = true) {
    const std::string p = name("conv");
    x = b.conv(p, x, out, k, stride, k / 2, groups);
    x = b.batch_norm(p + ".bn", x);
    if (!act) return x;
    return chance(0.75) ? b.relu(p + ".relu", x) : b.relu6(p + ".relu6", x);
  }

  int basic_block(GraphBuilder& b, int x, int64_t out, int stride) {
    int y = conv_bn_act(b, x, out, 3, stride);
    y = conv_bn_act(b, y, out, 3, 1, 1, false);
    int shortcut = x;
    if (stride != 1 || b.channels(x) != out) shortcut = conv_bn_act(b, x, out, 1, stride, 1, false);
    return b.relu(name("relu"), b.add(name("add"), y, shortcut));
  }

  int bottleneck(GraphBuilder& b, int x, int64_t out, int stride) {
    const int64_t mid = std::max<int64_t>(2, width(out / 4));
    int y = conv_bn_act(b, x, mid, 1, 1);
    y = conv_bn_act(b, y, mid, 3, stride);
    y = conv_bn_act(b, y, out, 1, 1, 1, false);
    int shortcut = x;
    if (stride != 1 || b.channels(x) != out) shortcut = conv_bn_act(b, x, out, 1, stride, 1, false);
    return b.relu(name("relu"), b.add(name("add"), y, shortcut));
  }

  int inverted_residual(GraphBuilder& b, int x, int64_t out, int stride) {
    const int64_t in = b.channels(x);
    const int64_t hidden = width(in * pick({1, 4, 6}));
    int y = x;
    if (hidden != in) y = conv_bn_act(b, y, hidden, 1, 1);
    const int64_t dw = b.channels(y);
    y = conv_bn_act(b, y, dw, pick({3, 3, 5}), stride, static_cast<int>(dw));
    y = conv_bn_act(b, y, out, 1, 1, 1, false);
    if (stride == 1 && in == out) y = b.add(name("add"), y, x);
    return y;
  }

  int fire(GraphBuilder& b, int x, int64_t out) {
    const int64_t squeeze = std::max<int64_t>(2, width(out / 8));
    const int s = b.relu(name("relu"), b.conv(name("squeeze"), x, squeeze, 1, 1, 0, 1, true));
    const int64_t e1 = std::max<int64_t>(2, out / 2), e3 = std::max<int64_t>(2, out - e1);
    const int a = b.relu(name("relu"), b.conv(name("expand1x1"), s, e1, 1, 1, 0, 1, true));
    const int c = b.relu(name("relu"), b.conv(name("expand3x3"), s, e3, 3, 1, 1, 1, true));
    return b.concat(name("cat"), {a, c});
  }

  std::string name(const char* what) { return fmt::format("{}{}", what, counter_++); }

 private:
  std::mt19937_64& rng_;
  int counter_ = 0;
};

int64_t forward_macs_per_sample(const Graph& g) {  // the builder infers shapes at batch 1
  int64_t macs = 0;
  for (const Node& n : g.nodes) {
    std::vector<Shape> src;
    for (int v : n.inputs) src.push_back(g.values[static_cast<size_t>(v)].shape);
    macs += forward_macs(n.attrs, src, g.values[static_cast<size_t>(n.output)].shape);
  }
  return macs;
}

}  // namespace

SyntheticNet random_network(std::mt19937_64& rng, int64_t max_step_macs) {
  Generator gen(rng);
  const int64_t channels = gen.pick<int64_t>({1, 3, 3});
  const int64_t side = gen.pick<int64_t>({16, 24, 28, 32, 32, 48, 56, 64, 64, 96, 112, 128});
  GraphBuilder b(Shape{channels, side, side});
  const int style = static_cast<int>(gen.uniform(0, 4));  // 0 plain, 1 basic, 2 bottleneck, 3 inverted, 4 fire
  static const char* styles[] = {"plain", "basic", "bottleneck", "inverted", "fire"};
  int64_t width = gen.pick<int64_t>({8, 16, 24, 32, 48, 64, 96});
  int x = gen.conv_bn_act(b, b.input(), gen.width(width), gen.pick({3, 3, 5, 7}), side >= 48 ? 2 : 1);
  if (side >= 48 && gen.chance(0.5)) x = b.max_pool(gen.name("maxpool"), x, 3, 2, 1);
  const int stages = static_cast<int>(gen.uniform(2, 5));
  for (int s = 0; s < stages; ++s) {
    const int64_t out = gen.width(width);
    const int blocks = static_cast<int>(gen.uniform(1, 3));
    for (int i = 0; i < blocks; ++i) {
      const int stride = (i == 0 && s > 0 && b.shape(x)[2] >= 4) ? 2 : 1;
      switch (style) {
        case 0: x = gen.conv_bn_act(b, x, out, gen.pick({1, 3, 3}), stride); break;
        case 1: x = gen.basic_block(b, x, out, stride); break;
        case 2: x = gen.bottleneck(b, x, out, stride); break;
        case 3: x = gen.inverted_residual(b, x, out, stride); break;
        default:
          if (stride == 2) x = gen.chance(0.5) ? b.max_pool(gen.name("maxpool"), x, 3, 2, 0, true)
                                               : b.avg_pool(gen.name("avgpool"), x, 2, 2);
          x = gen.fire(b, x, out);
      }
    }
    width = std::min<int64_t>(width * 2, 768);
  }
  const int64_t classes = gen.pick<int64_t>({10, 10, 100, 1000});
  if (gen.chance(0.2) && b.shape(x)[2] <= 8) {  // VGG/AlexNet-style head
    x = b.flatten(gen.name("flatten"), x);
    x = b.dropout(gen.name("dropout"), x, 0.5);
    x = b.relu(gen.name("relu"), b.linear(gen.name("fc"), x, gen.width(256)));
    x = b.linear(gen.name("fc"), x, classes);
  } else if (gen.chance(0.25)) {  // SqueezeNet-style: a 1x1 convolution to the classes, then pooling
    x = b.relu(gen.name("relu"), b.conv(gen.name("classifier"), x, classes, 1, 1, 0, 1, true));
    x = b.global_avg_pool(gen.name("gap"), x);
    x = b.flatten(gen.name("flatten"), x);
  } else {
    x = b.global_avg_pool(gen.name("gap"), x);
    x = b.flatten(gen.name("flatten"), x);
    if (gen.chance(0.3)) x = b.dropout(gen.name("dropout"), x, 0.2);
    x = b.linear(gen.name("fc"), x, classes);
  }
  SyntheticNet net;
  net.graph = b.finish(x);
  const int64_t per_sample = std::max<int64_t>(1, forward_macs_per_sample(net.graph));
  const int64_t max_batch = std::max<int64_t>(1, max_step_macs / per_sample);
  int64_t batch = gen.pick<int64_t>({1, 2, 4, 8, 8, 16, 16, 32, 32, 64, 64, 128});
  net.batch = std::min(batch, max_batch);
  net.trainable = gen.pick<const char*>({"all", "all", "all", "all", "last:2", "last:6", "classifier"});
  net.description = fmt::format("{} {}x{}x{} batch {} {} stages, trainable {}, {:.1f} MMAC/sample", styles[style],
                                channels, side, side, net.batch, stages, net.trainable, per_sample / 1e6);
  return net;
}

}  // namespace edgetrain::predict
