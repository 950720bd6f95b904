// Dynamic fixed point (core/fixed_point.hpp) against its definition: the scale exponent of METHODS §4,
// the vectorised, parallel conversion against the formula evaluated element by element, exactness on
// the grid, unbiased stochastic rounding, saturation, NaN, and sums of two tensors.
#include "core/fixed_point.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

namespace edgetrain {
namespace {

std::vector<std::byte> storage(std::size_t n, DType t) { return std::vector<std::byte>(storage_bytes(n, t)); }

std::vector<float> random_values(std::size_t n, float scale, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> x(n);
  for (float& v : x) v = d(rng);
  return x;
}

// q_i of the definition, computed one element at a time (the sum x * 2^s + v in f32, as documented).
double code_of(float x, int s, int bits, uint64_t seed, std::size_t i) {
  if (std::isnan(x)) return 0;
  const double top = std::ldexp(1.0, bits - 1);
  const float y = std::floor(x * std::ldexp(1.0f, s) + stochastic_draw(seed_key(seed), i));
  return std::clamp(static_cast<double>(y), -top, top - 1);
}

TEST(FixedPoint, ScaleExponentIsTheLargestThatFitsTheRange) {
  EXPECT_EQ(scale_exponent(0.0f, 1.0f, 8), 6);       // 127.5 / 1 -> 2^6: 1.0 becomes 64
  EXPECT_EQ(scale_exponent(0.0f, 1.99f, 8), 6);      // 64.07
  EXPECT_EQ(scale_exponent(0.0f, 2.0f, 8), 5);       // 63.75
  EXPECT_EQ(scale_exponent(-1.0f, 0.0f, 8), 7);      // 128.5: -1.0 becomes -128, which fits
  EXPECT_EQ(scale_exponent(-1.0f, 1.0f, 8), 6);      // the tighter of the two
  EXPECT_EQ(scale_exponent(-3e-3f, 1e-3f, 16), 23);  // 32768.5 / 3e-3 = 1.09e7 -> 2^23
  EXPECT_EQ(scale_exponent(0.0f, 0.0f, 8), 0);       // all zero
  EXPECT_EQ(scale_exponent(0.0f, INFINITY, 8), -kMaxExponent);
  EXPECT_EQ(scale_exponent(0.0f, 1e-38f, 8), kMaxExponent);  // clamped
  for (int bits : {8, 12, 14, 16})
    for (float hi : {0.37f, 5.0f, 1e4f}) {
      const int s = scale_exponent(0.0f, hi, bits);
      EXPECT_LE(hi * std::ldexp(1.0, s), std::ldexp(1.0, bits - 1) - 0.5);
      EXPECT_GT(hi * std::ldexp(1.0, s + 1), std::ldexp(1.0, bits - 1) - 0.5);
    }
}

TEST(FixedPoint, ConversionIsTheFormulaElementByElement) {
  for (DType t : {DType::fx8, DType::fx12, DType::fx16}) {
    SCOPED_TRACE(dtype_info(t).name);
    const std::size_t n = 300001;  // parallel, and not a multiple of any vector width
    std::vector<float> x = random_values(n, 2.5f, 7);
    x[17] = NAN;
    auto q = storage(n, t);
    quantize(x.data(), n, t, q.data(), 42);
    float lo = INFINITY, hi = -INFINITY;
    for (float v : x)
      if (!std::isnan(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    const int s = scale_exponent(lo, hi, word_length(t));
    ASSERT_EQ(fixed_point_exponent(q.data(), n, t), s);
    std::vector<float> back(n);
    dequantize(q.data(), n, t, back.data());
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < n; ++i)
      wrong += static_cast<double>(back[i]) != code_of(x[i], s, word_length(t), 42, i) * std::ldexp(1.0, -s);
    EXPECT_EQ(wrong, 0u);
    EXPECT_EQ(back[17], 0.0f) << "NaN converts to 0";
    std::vector<float> rounded(n);
    round_to_fixed_point(x.data(), n, word_length(t), rounded.data(), 42);
    EXPECT_EQ(std::memcmp(rounded.data(), back.data(), n * sizeof(float)), 0) << "rounding is a round trip";
  }
}

TEST(FixedPoint, ValuesOnTheGridConvertExactlyAndOthersWithinOneStep) {
  std::vector<float> grid;
  for (int q = -128; q <= 127; ++q) grid.push_back(static_cast<float>(q) / 128.0f);  // s = 7 for fx8
  auto q8 = storage(grid.size(), DType::fx8);
  quantize(grid.data(), grid.size(), DType::fx8, q8.data(), 3);
  std::vector<float> back(grid.size());
  dequantize(q8.data(), grid.size(), DType::fx8, back.data());
  EXPECT_EQ(back, grid);

  const std::vector<float> x = random_values(4096, 0.01f, 9);
  auto q = storage(x.size(), DType::fx12);
  quantize(x.data(), x.size(), DType::fx12, q.data(), 5);
  const double step = std::ldexp(1.0, -fixed_point_exponent(q.data(), x.size(), DType::fx12));
  std::vector<float> y(x.size());
  dequantize(q.data(), x.size(), DType::fx12, y.data());
  for (std::size_t i = 0; i < x.size(); ++i) ASSERT_LT(std::abs(static_cast<double>(y[i]) - x[i]), step) << i;
}

TEST(FixedPoint, StochasticRoundingIsUnbiasedAndSeeded) {
  // 0.3 of a step above a grid point: rounds up with probability 0.3. The mean over n draws is within
  // 5 standard deviations (sqrt(0.3 * 0.7 / n) steps) of the value.
  const std::size_t n = 1 << 18;
  std::vector<float> x(n, 0.3f / 64.0f);
  x[0] = 1.0f;  // fixes s = 6 for fx8: a step of 1/64
  auto q = storage(n, DType::fx8);
  quantize(x.data(), n, DType::fx8, q.data(), 11);
  ASSERT_EQ(fixed_point_exponent(q.data(), n, DType::fx8), 6);
  std::vector<float> y(n);
  dequantize(q.data(), n, DType::fx8, y.data());
  double mean = 0;
  for (std::size_t i = 1; i < n; ++i) mean += y[i] * 64.0;
  mean /= static_cast<double>(n - 1);
  EXPECT_NEAR(mean, 0.3, 5 * std::sqrt(0.3 * 0.7 / static_cast<double>(n)));

  auto again = storage(n, DType::fx8), other = storage(n, DType::fx8);
  quantize(x.data(), n, DType::fx8, again.data(), 11);
  quantize(x.data(), n, DType::fx8, other.data(), 12);
  EXPECT_EQ(again, q) << "the same seed draws the same rounding";
  EXPECT_NE(other, q);
}

TEST(FixedPoint, CodesSaturateAtTheWordLength) {
  // The largest magnitude sits just under the bound, so a draw can carry it past 127: it saturates.
  const std::size_t n = 4096;
  std::vector<float> x(n, 127.49f / 64.0f);
  x[1] = -128.49f / 128.0f;
  auto q = storage(n, DType::fx8);
  quantize(x.data(), n, DType::fx8, q.data(), 1);
  const auto* codes = reinterpret_cast<const int8_t*>(q.data());
  int saturated = 0;
  for (std::size_t i = 2; i < n; ++i) saturated += codes[i] == 127;
  EXPECT_EQ(saturated, static_cast<int>(n - 2)) << "127.49 rounds to 127 or would round to 128";
}

TEST(FixedPoint, SumsOfTwoTensorsAreRequantised) {
  const std::size_t n = 50000;
  const std::vector<float> a = random_values(n, 1.0f, 1), b = random_values(n, 1e-2f, 2);
  for (DType t : {DType::fx8, DType::fx16}) {
    auto qa = storage(n, t), qb = storage(n, t);
    quantize(a.data(), n, t, qa.data(), 1);
    quantize(b.data(), n, t, qb.data(), 2);
    std::vector<float> ya(n), yb(n), sum(n);
    dequantize(qa.data(), n, t, ya.data());
    dequantize(qb.data(), n, t, yb.data());
    add_into(qa.data(), qb.data(), n, t, 3);
    dequantize(qa.data(), n, t, sum.data());
    const double step = std::ldexp(1.0, -fixed_point_exponent(qa.data(), n, t));
    for (std::size_t i = 0; i < n; ++i)
      ASSERT_LT(std::abs(static_cast<double>(sum[i]) - (static_cast<double>(ya[i]) + yb[i])), step) << i;
  }
}

}  // namespace
}  // namespace edgetrain
