// Row-major GEMM: C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C, op = transpose when trans_* is set.
// A is M x K (or K x M when trans_a) with row stride lda; B is K x N (or N x K when trans_b) with row
// stride ldb. beta == 0 never reads C (it may hold NaN). Parallel with OpenMP when the problem is big
// enough and the caller is not already inside a parallel region.
//
// The float path is cache blocked (KC x NC panels of B, MC x KC blocks of A, both packed into per-thread
// buffers allocated once per thread) around an 8 x 32 register tile. The micro-kernel is picked at run
// time: an AVX-512 one when the CPU has AVX-512F, otherwise a portable one compiled as target clones
// (AVX2 + FMA, SSE2 baseline). No -march flags are needed. The double path is a plain loop (tests and
// gradient checks).
#pragma once
#include <cstddef>
#include <cstdint>

namespace edgetrain::native {

template <class T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
          const T* B, int64_t ldb, T beta, T* C, int64_t ldc);

extern template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t,
                                 const float*, int64_t, float, float*, int64_t);
extern template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t,
                                  const double*, int64_t, double, double*, int64_t);

// The float path with an explicit micro-kernel choice, for tests and benchmarks of the portable kernel
// on machines that have AVX-512 (gemm<float> always uses GemmIsa::best).
enum class GemmIsa { best, portable };

// Bytes of the packing buffers each thread that runs the float GEMM allocates once and keeps (the
// memory plan accounts them as persistent kernel workspace).
std::size_t gemm_pack_bytes_per_thread();
// Makes every OpenMP worker's packing buffers now (they are otherwise made on a thread's first
// GEMM), so the memory the plan counts is resident before the first step.
void reserve_gemm_pack_buffers();
void gemm_f32_isa(GemmIsa isa, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                  const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

}  // namespace edgetrain::native
