// Parameter layouts (core/param_layout.hpp) and the stores that hold parameters in them
// (ParameterStore, OptimizerState): offsets against oneDNN's documented formulas, density, in-place
// conversion, and row-major views handed out however the bytes are held.
#include <gtest/gtest.h>

#include <numeric>

#include "core/param_layout.hpp"
#include "io/model_io.hpp"
#include "runtime/optimizer_state.hpp"

namespace edgetrain {
namespace {

// OIhw16i16o over [O, I, H, W]: 16x16 blocks of (input, output) channels, output channels innermost.
ParamLayout oihw16i16o(int64_t O, int64_t I, int64_t H, int64_t W) {
  return {{O, I, H, W}, {I * H * W * 16, H * W * 256, W * 256, 256}, {16, 16}, {1, 0}};
}

TEST(ParamLayout, OffsetsFollowTheBlockedFormula) {
  const int64_t O = 32, I = 48, H = 3, W = 3;
  const ParamLayout l = oihw16i16o(O, I, H, W);
  EXPECT_TRUE(l.dense());
  for (int64_t o = 0; o < O; ++o)
    for (int64_t i = 0; i < I; ++i)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t w = 0; w < W; ++w) {
          const int64_t want = ((((o / 16) * (I / 16) + i / 16) * H + h) * W + w) * 256 + (i % 16) * 16 + o % 16;
          ASSERT_EQ(l.offset_of(((o * I + i) * H + h) * W + w), want) << o << " " << i << " " << h << " " << w;
        }
  // Two blocks on one dim (OIhw4i16o4i): the inner 4 input channels innermost, then 16 outputs, then 4.
  const ParamLayout two{{16, 16, 1, 1}, {256, 256, 256, 256}, {4, 16, 4}, {1, 0, 1}};
  EXPECT_TRUE(two.dense());
  for (int64_t o = 0; o < 16; ++o)
    for (int64_t i = 0; i < 16; ++i) EXPECT_EQ(two.offset_of(o * 16 + i), (i / 4) * 64 + o * 4 + i % 4);
}

TEST(ParamLayout, DescribesItselfInMemoryOrder) {
  EXPECT_EQ(ParamLayout{}.describe(), "row-major");
  EXPECT_EQ(oihw16i16o(32, 48, 3, 3).describe(), "[O/16][I/16][H][W][16 I][16 O]");
  const ParamLayout two{{16, 16, 1, 1}, {256, 256, 256, 256}, {4, 16, 4}, {1, 0, 1}};
  EXPECT_EQ(two.describe(), "[O/16][I/16][H][W][4 I][16 O][4 I]");
  const ParamLayout grouped{{4, 16, 1, 3, 3}, {144, 9, 9, 3, 1}, {}, {}};  // Goihw-like, no blocks
  EXPECT_EQ(grouped.describe(), "[G][O][I][H][W]");
}

TEST(ParamLayout, DenseRejectsPaddingAndOverlap) {
  EXPECT_FALSE(oihw16i16o(24, 16, 1, 1).dense());  // 24 output channels: a padded block
  ParamLayout overlap = oihw16i16o(32, 32, 1, 1);
  overlap.strides[0] = 256;  // both outer dims at the same stride
  EXPECT_FALSE(overlap.dense());
  EXPECT_TRUE(ParamLayout{}.dense());
}

TEST(ParamLayout, RelayoutRoundTripsAndMovesEveryElement) {
  const ParamLayout l = oihw16i16o(32, 16, 3, 3);
  std::vector<float> data(static_cast<size_t>(l.numel()));
  std::iota(data.begin(), data.end(), 0.f);
  const std::vector<float> plain = data;
  relayout_params(data.data(), l.numel(), ParamLayout{}, l);
  for (int64_t k = 0; k < l.numel(); ++k)
    ASSERT_EQ(data[static_cast<size_t>(l.offset_of(k))], plain[static_cast<size_t>(k)]);
  relayout_params(data.data(), l.numel(), l, ParamLayout{});
  EXPECT_EQ(data, plain);
}

// A store holding a weight blocked still hands out its row-major view: param() and slot() convert
// back, stored_param() shows the bytes as held.
TEST(ParamLayout, StoresGiveRowMajorViewsWhateverTheyHold) {
  Network m = io::make_zoo_model("resnet20", 10, Shape{3, 32, 32}, 1.0, 3);
  int conv = -1;
  for (size_t p = 0; p < m.graph.params.size() && conv < 0; ++p)
    if (m.graph.params[p].shape.rank() == 4 && m.graph.params[p].shape[0] % 16 == 0 &&
        m.graph.params[p].shape[1] % 16 == 0)
      conv = static_cast<int>(p);
  ASSERT_GE(conv, 0);
  const Shape& s = m.graph.params[static_cast<size_t>(conv)].shape;
  const ParamLayout l = oihw16i16o(s[0], s[1], s[2], s[3]);
  const std::vector<float> before(m.params.param(conv).as<float>(), m.params.param(conv).as<float>() + s.numel());

  m.params.set_layout(conv, l);
  EXPECT_EQ(m.params.layout(conv), l);
  const float* held = m.params.stored_param(conv).as<float>();
  EXPECT_EQ(held[l.offset_of(1)], before[1]);
  EXPECT_NE(held[1], before[1]);
  const TensorView v = m.params.param(conv);  // converts back
  EXPECT_TRUE(m.params.layout(conv).plain());
  EXPECT_EQ(std::vector<float>(v.as<float>(), v.as<float>() + s.numel()), before);

  std::vector<bool> trainable(m.graph.params.size(), true);
  optim::OptimizerConfig c;
  c.momentum = 0.9;
  OptimizerState opt(m.graph, trainable, c);
  float* mom = opt.stored_slot(conv, 0).as<float>();
  for (int64_t k = 0; k < s.numel(); ++k) mom[k] = static_cast<float>(k);
  opt.set_layout(conv, l);
  EXPECT_EQ(opt.stored_slot(conv, 0).as<float>()[l.offset_of(5)], 5.f);
  const float* back = opt.slot(conv, 0).as<float>();
  for (int64_t k = 0; k < s.numel(); ++k) ASSERT_EQ(back[k], static_cast<float>(k));
}

}  // namespace
}  // namespace edgetrain
