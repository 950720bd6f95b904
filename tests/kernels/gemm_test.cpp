// native::gemm against a naive triple loop: odd sizes, all transpose combinations, alpha / beta, padded strides.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "kernels/native/gemm.hpp"

namespace edgetrain {
namespace {

template <class T>
void check_gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, T beta, uint32_t seed,
                bool portable = false) {
  const int64_t lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 1, ldc = N + 2;
  const int64_t a_rows = ta ? K : M, b_rows = tb ? N : K;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<T> A(static_cast<size_t>(a_rows * lda)), B(static_cast<size_t>(b_rows * ldb)),
      C(static_cast<size_t>(M * ldc));
  for (T& x : A) x = static_cast<T>(u(rng));
  for (T& x : B) x = static_cast<T>(u(rng));
  for (T& x : C) x = beta == T(0) ? std::numeric_limits<T>::quiet_NaN() : static_cast<T>(u(rng));
  std::vector<T> expect = C;
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double acc = 0;
      for (int64_t k = 0; k < K; ++k)
        acc += static_cast<double>(ta ? A[k * lda + i] : A[i * lda + k]) *
               static_cast<double>(tb ? B[j * ldb + k] : B[k * ldb + j]);
      const double c0 = beta == T(0) ? 0.0 : static_cast<double>(beta) * C[i * ldc + j];
      expect[i * ldc + j] = static_cast<T>(alpha * acc + c0);
    }
  if constexpr (std::is_same_v<T, float>) {
    if (portable) {
      native::gemm_f32_isa(native::GemmIsa::portable, ta, tb, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta,
                           C.data(), ldc);
    } else {
      native::gemm<T>(ta, tb, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta, C.data(), ldc);
    }
  } else {
    native::gemm<T>(ta, tb, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta, C.data(), ldc);
  }
  const double tol = (std::is_same_v<T, float> ? 2e-5 : 1e-12) * static_cast<double>(K + 1);
  int failures = 0;
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      const double got = C[i * ldc + j], want = expect[i * ldc + j];
      if (!(std::abs(got - want) <= tol) && ++failures <= 3)
        ADD_FAILURE() << "M" << M << " N" << N << " K" << K << " ta" << ta << " tb" << tb << " alpha" << alpha
                      << " beta" << beta << " at (" << i << "," << j << "): " << got << " vs " << want;
    }
  // The padding columns of C are never written.
  if (beta != T(0)) {
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = N; j < ldc; ++j) ASSERT_EQ(C[i * ldc + j], expect[i * ldc + j]);
  }
}

TEST(Gemm, OddSizesAllTransposes) {
  const int64_t sizes[] = {1, 7, 33, 65, 130};
  uint32_t seed = 1;
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (int64_t m : sizes)
        for (int64_t n : sizes)
          for (int64_t k : {int64_t{1}, int64_t{33}, int64_t{130}}) {
            check_gemm<float>(ta, tb, m, n, k, 1.f, 0.f, seed++);
            if ((m + n) % 2 == 0) check_gemm<double>(ta, tb, m, n, k, 1.0, 0.0, seed++);
          }
}

TEST(Gemm, AlphaBeta) {
  uint32_t seed = 100;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      check_gemm<float>(ta, tb, 65, 33, 7, 0.7f, 1.3f, seed++);
      check_gemm<float>(ta, tb, 7, 130, 65, -2.f, 1.f, seed++);
      check_gemm<double>(ta, tb, 33, 65, 130, 0.7, 1.3, seed++);
      check_gemm<double>(ta, tb, 7, 1, 33, 0.5, 0.0, seed++);
    }
}

// Crosses every cache-block boundary (KC = 256, MC = 128, NC = 1024) and the threaded split.
TEST(Gemm, BeyondBlockSizes) {
  check_gemm<float>(false, false, 150, 1100, 300, 1.f, 0.5f, 7);
  check_gemm<float>(true, true, 300, 70, 520, 0.5f, 0.f, 8);
}

// The portable (non-AVX-512) micro-kernel, forced, so it is tested on AVX-512 machines too.
TEST(Gemm, PortableMicroKernel) {
  uint32_t seed = 500;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      check_gemm<float>(ta, tb, 65, 130, 33, 1.f, 0.f, seed++, true);
      check_gemm<float>(ta, tb, 7, 33, 300, 0.7f, 1.3f, seed++, true);
    }
}

TEST(Gemm, ZeroDepthScalesC) {
  std::vector<float> c = {1, 2, 3, 4};
  native::gemm<float>(false, false, 2, 2, 0, 1.f, nullptr, 1, nullptr, 2, 2.f, c.data(), 2);
  EXPECT_EQ(c, (std::vector<float>{2, 4, 6, 8}));
  native::gemm<float>(false, false, 2, 2, 0, 1.f, nullptr, 1, nullptr, 2, 0.f, c.data(), 2);
  EXPECT_EQ(c, (std::vector<float>{0, 0, 0, 0}));
}

}  // namespace
}  // namespace edgetrain
