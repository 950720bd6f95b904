// Small deterministic data sets and models for engine tests.
#pragma once
#include <cmath>
#include <random>

#include "data/dataset.hpp"
#include "graph/builder.hpp"
#include "runtime/network.hpp"

namespace edgetrain::testing {

// Class k is a noisy blob whose brightness pattern depends on k: learnable, but not trivially.
class BlobDataset : public data::Dataset {
 public:
  BlobDataset(int64_t n, Shape chw, int classes, uint64_t seed) : n_(n), shape_(std::move(chw)) {
    for (int k = 0; k < classes; ++k) names_.push_back("c" + std::to_string(k));
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> noise(0.f, 0.15f);
    pixels_.resize(static_cast<size_t>(n * shape_.numel()));
    labels_.resize(static_cast<size_t>(n));
    const int64_t hw = shape_[1] * shape_[2];
    for (int64_t i = 0; i < n; ++i) {
      int32_t k = static_cast<int32_t>(i % classes);
      labels_[static_cast<size_t>(i)] = k;
      for (int64_t c = 0; c < shape_[0]; ++c)
        for (int64_t j = 0; j < hw; ++j) {
          float base = 0.5f + 0.4f * std::sin(0.7f * static_cast<float>(k + 1) * static_cast<float>(j % shape_[2]) +
                                               static_cast<float>(c + j / shape_[2]) * 0.3f * static_cast<float>(k));
          pixels_[static_cast<size_t>((i * shape_[0] + c) * hw + j)] = base + noise(rng);
        }
    }
  }
  int64_t size() const override { return n_; }
  Shape sample_shape() const override { return shape_; }
  const std::vector<std::string>& class_names() const override { return names_; }
  int32_t label(int64_t i) const override { return labels_[static_cast<size_t>(i)]; }
  void read(int64_t i, float* dst) const override {
    std::copy_n(pixels_.data() + i * shape_.numel(), shape_.numel(), dst);
  }

 private:
  int64_t n_;
  Shape shape_;
  std::vector<std::string> names_;
  std::vector<float> pixels_;
  std::vector<int32_t> labels_;
};

// A small residual net using every op: conv (plain, strided, depthwise), BN, ReLU, ReLU6, max and
// average pooling, add, concat, a squeeze-and-excitation gate (global pooling, SiLU, sigmoid, Mul),
// flatten, dropout, linear.
inline Graph every_op_net(int classes = 4) {
  GraphBuilder b(Shape{1, 12, 12});
  int x = b.relu("relu0", b.batch_norm("bn0", b.conv("conv0", b.input(), 8, 3, 1, 1)));
  int y = b.relu6("relu6", b.batch_norm("bn1", b.conv("dw", x, 8, 3, 1, 1, 8)));
  y = b.conv("pw", y, 8, 1);
  x = b.add("add", x, y);
  int p = b.max_pool("maxpool", x, 2, 2);
  int q = b.avg_pool("avgpool", x, 2, 2);
  x = b.concat("cat", {p, q});
  x = b.relu("relu1", b.conv("conv1", x, 12, 3, 2, 1, 1, true));
  int s = b.global_avg_pool("gap", x);
  s = b.pointwise("se_silu", b.conv("se_reduce", s, 4, 1, 1, 0, 1, true), PointwiseAttrs{PointwiseFn::silu, 0, 0});
  s = b.pointwise("se_gate", b.conv("se_expand", s, 12, 1, 1, 0, 1, true), PointwiseAttrs{PointwiseFn::sigmoid, 0, 0});
  x = b.mul("se_scale", x, s);
  int f = b.flatten("flat", x);
  f = b.dropout("drop", b.relu("fcrelu", b.linear("fc0", f, 16)), 0.25);
  return b.finish(b.linear("fc", f, classes));
}

inline Network make_model(Graph g, uint64_t seed = 7) {
  Network m;
  m.graph = std::move(g);
  m.params = ParameterStore(m.graph, seed);
  return m;
}

}  // namespace edgetrain::testing
