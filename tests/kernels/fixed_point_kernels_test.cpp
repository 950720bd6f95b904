// Fixed-point steps (ConvertingKernel around an f32 kernel: kernels/converting_kernel.hpp) against
// f32 arithmetic on the values the fixed-point operands hold, within the analytic bound of what the
// step rounds: the weights (to a step of their range, w_step), the output (to a step of its range,
// y_step) and, for an f32 input, that input (x_step):
//   |y - y_exact| <= sum_k |x_k| w_step + sum_k |w_k| x_step + K x_step w_step + y_step  (+ f32 sums).
// A step that skipped a rounding, rounded to the wrong word length or misplaced an exponent fails it;
// so does one whose weight gradients are not on their fixed-point grid.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/fixed_point.hpp"
#include "op_harness.hpp"

namespace edgetrain::test {
namespace {

constexpr int64_t kBatch = 8, kIn = 64, kOut = 10;

std::vector<float> normal(std::size_t n, float sd, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, sd);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

// The step of a b-bit fixed-point copy of v (2^-s for v's range).
double step_of(const std::vector<float>& v, int bits) {
  float lo = 0, hi = 0;
  for (float x : v) lo = std::min(lo, x), hi = std::max(hi, x);
  return std::ldexp(1.0, -scale_exponent(lo, hi, bits));
}

std::vector<float> values(const Tensor& t) {
  std::vector<float> v(static_cast<std::size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<std::size_t>(i)] = static_cast<float>(t.get(i));
  return v;
}

void run(OpHarness& h, Pass pass, DType src_dtype) {
  KernelProblem p = h.problem(pass);
  p.src_dtype = {src_dtype};
  std::unique_ptr<Kernel> k = select_kernel(p, KernelBackend::reference);
  AlignedBuffer scratch(k->scratch_bytes());
  KernelArgs a = h.args();
  a.scratch = TensorView(scratch.data(), Shape{static_cast<int64_t>(scratch.size())}, DType::u8);
  k->execute(a);
}

struct Linear {
  std::vector<float> x = normal(kBatch * kIn, 1.0f, 1), w = normal(kOut * kIn, 0.2f, 2), b = normal(kOut, 0.1f, 3),
                     dy = normal(kBatch * kOut, 0.05f, 4);
};

void expect_within(const std::vector<float>& got, const std::vector<double>& exact, const std::vector<double>& bound,
                   const char* what) {
  int bad = 0;
  for (std::size_t i = 0; i < got.size(); ++i)
    if (!(std::abs(got[i] - exact[i]) <= bound[i]) && bad++ < 3)
      ADD_FAILURE() << what << "[" << i << "]: " << got[i] << " vs " << exact[i] << " (bound " << bound[i] << ")";
  EXPECT_EQ(bad, 0) << what;
}

// Forward with a fixed-point or f32 input (a network's first layer), fixed-point output.
void check_forward(DType t, DType src_dtype) {
  SCOPED_TRACE(std::string(dtype_info(t).name) + " from " + std::string(dtype_info(src_dtype).name));
  const Linear L;
  const int bits = word_length(t);
  OpHarness h(LinearAttrs{kIn, kOut, true}, {Shape{kBatch, kIn}}, t);
  if (src_dtype == DType::f32) {
    h.src[0] = Tensor(Shape{kBatch, kIn}, DType::f32);
    for (int64_t i = 0; i < h.src[0].numel(); ++i) h.src[0].set(i, L.x[static_cast<std::size_t>(i)]);
  } else {
    h.src[0].set_all(L.x);
  }
  const std::vector<float> x = values(h.src[0]);  // what the step reads
  for (int64_t i = 0; i < kOut * kIn; ++i) h.weights[0].set(i, L.w[static_cast<std::size_t>(i)]);
  for (int64_t i = 0; i < kOut; ++i) h.weights[1].set(i, L.b[static_cast<std::size_t>(i)]);
  run(h, Pass::fwd, src_dtype);
  const std::vector<float> y = values(h.dst);
  const double w_step = step_of(L.w, bits), x_step = src_dtype == DType::f32 ? step_of(L.x, bits) : 0.0;
  std::vector<double> exact(y.size()), bound(y.size());
  const double y_step = step_of(y, bits);  // y lies on its own grid: its range sets the step
  for (int64_t n = 0; n < kBatch; ++n)
    for (int64_t o = 0; o < kOut; ++o) {
      double e = L.b[static_cast<std::size_t>(o)], bnd = y_step;
      for (int64_t k = 0; k < kIn; ++k) {
        const double xv = x[static_cast<std::size_t>(n * kIn + k)], wv = L.w[static_cast<std::size_t>(o * kIn + k)];
        e += xv * wv;
        bnd += std::abs(xv) * w_step + std::abs(wv) * x_step + x_step * w_step + 1e-6 * std::abs(xv * wv);
      }
      exact[static_cast<std::size_t>(n * kOut + o)] = e;
      bound[static_cast<std::size_t>(n * kOut + o)] = bnd;
    }
  expect_within(y, exact, bound, "dst");
}

TEST(FixedPointKernels, LinearForwardIsWithinTheRoundingBound) {
  for (DType t : {DType::fx8, DType::fx16}) {
    check_forward(t, t);
    check_forward(t, DType::f32);
  }
}

TEST(FixedPointKernels, LinearBackwardIsWithinTheRoundingBoundAndOnTheGrid) {
  for (DType t : {DType::fx8, DType::fx12}) {
    SCOPED_TRACE(dtype_info(t).name);
    const Linear L;
    const int bits = word_length(t);
    OpHarness h(LinearAttrs{kIn, kOut, true}, {Shape{kBatch, kIn}}, t);
    h.src[0].set_all(L.x, 5);
    h.diff_dst.set_all(L.dy, 6);
    for (int64_t i = 0; i < kOut * kIn; ++i) h.weights[0].set(i, L.w[static_cast<std::size_t>(i)]);
    run(h, Pass::bwd_data, t);
    run(h, Pass::bwd_weights, t);
    const std::vector<float> x = values(h.src[0]), dy = values(h.diff_dst), dx = values(h.diff_src[0]),
                             dw = values(h.diff_weights[0]);
    const double w_step = step_of(L.w, bits), dx_step = step_of(dx, bits), dw_step = step_of(dw, bits);
    std::vector<double> dx_exact(dx.size()), dx_bound(dx.size(), dx_step), dw_exact(dw.size()),
        dw_bound(dw.size(), dw_step);
    for (int64_t n = 0; n < kBatch; ++n)
      for (int64_t o = 0; o < kOut; ++o)
        for (int64_t k = 0; k < kIn; ++k) {
          const double g = dy[static_cast<std::size_t>(n * kOut + o)];
          dx_exact[static_cast<std::size_t>(n * kIn + k)] += g * L.w[static_cast<std::size_t>(o * kIn + k)];
          dx_bound[static_cast<std::size_t>(n * kIn + k)] += std::abs(g) * w_step * (1 + 1e-6);
          dw_exact[static_cast<std::size_t>(o * kIn + k)] += g * x[static_cast<std::size_t>(n * kIn + k)];
          dw_bound[static_cast<std::size_t>(o * kIn + k)] +=
              1e-6 * std::abs(g * x[static_cast<std::size_t>(n * kIn + k)]);
        }
    expect_within(dx, dx_exact, dx_bound, "diff_src");
    expect_within(dw, dw_exact, dw_bound, "diff_weights");
    int off_grid = 0;  // MuPPET quantises weight gradients: each is an integer number of steps
    for (float g : dw) off_grid += std::fmod(static_cast<double>(g) / dw_step, 1.0) != 0.0;
    EXPECT_EQ(off_grid, 0);
  }
}

}  // namespace
}  // namespace edgetrain::test
