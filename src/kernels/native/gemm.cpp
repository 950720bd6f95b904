// Blocked, packed GEMM (see gemm.hpp). Loop order (Goto/BLIS): jc over NC columns, pc over KC depth
// (pack a KC x NC panel of B), ic over MC rows (pack an MC x KC block of A), then MR x NR micro-tiles.
#include "kernels/native/gemm.hpp"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "core/aligned_buffer.hpp"

namespace edgetrain::native {
namespace {

constexpr int kMR = 8;          // micro-tile rows (broadcast A values)
constexpr int kNR = 32;         // micro-tile columns (two 16-float vectors)
constexpr int64_t kKC = 256;    // depth of a packed panel (B sliver kKC x kNR = 32 KiB stays in L1)
constexpr int64_t kMC = 128;    // rows of a packed A block (128 KiB, L2)
constexpr int64_t kNC = 1024;   // columns of a packed B panel (1 MiB, L2/L3)
static_assert(kMC % kMR == 0 && kNC % kNR == 0);

// Both micro-kernels compute acc = Ap (kc x kMR, packed) * Bp (kc x kNR, packed) and then
// C[0:mr, 0:nr] = alpha * acc + beta * C (beta == 0: C is not read).
using MicroKernel = void (*)(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, float alpha,
                             float beta, int mr, int nr);

// Portable kernel: plain loops over a local accumulator tile that GCC auto-vectorises for each clone
// (AVX2 + FMA, or the SSE2 baseline), the clone picked at load time.
__attribute__((target_clones("arch=x86-64-v3", "default"))) void micro_kernel_portable(
    int64_t kc, const float* __restrict ap, const float* __restrict bp, float* __restrict c, int64_t ldc,
    float alpha, float beta, int mr, int nr) {
  float acc[kMR][kNR] = {};
  for (int64_t k = 0; k < kc; ++k) {
#pragma GCC unroll 8
    for (int i = 0; i < kMR; ++i) {
      const float a = ap[i];
#pragma GCC unroll 32
      for (int j = 0; j < kNR; ++j) acc[i][j] += a * bp[j];
    }
    ap += kMR;
    bp += kNR;
  }
  for (int i = 0; i < mr; ++i) {
    float* row = c + i * ldc;
    if (beta == 0.f)
      for (int j = 0; j < nr; ++j) row[j] = alpha * acc[i][j];
    else
      for (int j = 0; j < nr; ++j) row[j] = alpha * acc[i][j] + beta * row[j];
  }
}

// AVX-512 kernel: the same tile held in 16 zmm accumulators, written with GCC vector extensions (no
// intrinsics). ~30% faster than the auto-vectorised loops on Zen 4; only ever called when the CPU has
// AVX-512F (generic 64-byte vectors are lowered through memory on narrower ISAs).
typedef float v16 __attribute__((vector_size(64)));
typedef float v16u __attribute__((vector_size(64), aligned(4)));

__attribute__((target("avx512f"))) void micro_kernel_avx512(int64_t kc, const float* __restrict ap,
                                                            const float* __restrict bp, float* __restrict c,
                                                            int64_t ldc, float alpha, float beta, int mr, int nr) {
  v16 acc[kMR][2];
#pragma GCC unroll 8
  for (int i = 0; i < kMR; ++i) acc[i][0] = acc[i][1] = v16{};
  for (int64_t k = 0; k < kc; ++k) {
    const v16 b0 = *reinterpret_cast<const v16*>(bp);  // packed panels are 64-byte aligned
    const v16 b1 = *reinterpret_cast<const v16*>(bp + 16);
#pragma GCC unroll 8
    for (int i = 0; i < kMR; ++i) {
      const float a = ap[i];
      acc[i][0] += a * b0;
      acc[i][1] += a * b1;
    }
    ap += kMR;
    bp += kNR;
  }
  if (mr == kMR && nr == kNR) {
#pragma GCC unroll 8
    for (int i = 0; i < kMR; ++i) {
      v16u* row = reinterpret_cast<v16u*>(c + i * ldc);
      if (beta == 0.f) {
        row[0] = alpha * acc[i][0];
        row[1] = alpha * acc[i][1];
      } else {
        row[0] = alpha * acc[i][0] + beta * row[0];
        row[1] = alpha * acc[i][1] + beta * row[1];
      }
    }
    return;
  }
  alignas(64) float tmp[kMR][kNR];
  std::memcpy(tmp, acc, sizeof tmp);
  for (int i = 0; i < mr; ++i) {
    float* row = c + i * ldc;
    if (beta == 0.f)
      for (int j = 0; j < nr; ++j) row[j] = alpha * tmp[i][j];
    else
      for (int j = 0; j < nr; ++j) row[j] = alpha * tmp[i][j] + beta * row[j];
  }
}

MicroKernel select_micro_kernel(GemmIsa isa) {
  static const bool has_avx512 = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") != 0;
  }();
  return isa == GemmIsa::best && has_avx512 ? &micro_kernel_avx512 : &micro_kernel_portable;
}

// Pack rows [0, mc) x depth [0, kc) of op(A) into slivers of kMR rows: dst[s][k][i], zero padded.
void pack_a(bool trans, const float* a, int64_t lda, int64_t mc, int64_t kc, float* __restrict dst) {
  for (int64_t i0 = 0; i0 < mc; i0 += kMR) {
    const int mr = static_cast<int>(std::min<int64_t>(kMR, mc - i0));
    if (!trans) {
      for (int64_t k = 0; k < kc; ++k) {
        float* d = dst + k * kMR;
        int i = 0;
        for (; i < mr; ++i) d[i] = a[(i0 + i) * lda + k];
        for (; i < kMR; ++i) d[i] = 0.f;
      }
    } else {  // op(A)(i, k) = a[k * lda + i]: rows of a are contiguous along i
      for (int64_t k = 0; k < kc; ++k) {
        float* d = dst + k * kMR;
        const float* s = a + k * lda + i0;
        int i = 0;
        for (; i < mr; ++i) d[i] = s[i];
        for (; i < kMR; ++i) d[i] = 0.f;
      }
    }
    dst += kc * kMR;
  }
}

// Pack depth [0, kc) x columns [0, nc) of op(B) into slivers of kNR columns: dst[s][k][j], zero padded.
void pack_b(bool trans, const float* b, int64_t ldb, int64_t kc, int64_t nc, float* __restrict dst) {
  for (int64_t j0 = 0; j0 < nc; j0 += kNR) {
    const int nr = static_cast<int>(std::min<int64_t>(kNR, nc - j0));
    if (!trans) {
      for (int64_t k = 0; k < kc; ++k) {
        float* d = dst + k * kNR;
        const float* s = b + k * ldb + j0;
        int j = 0;
        for (; j < nr; ++j) d[j] = s[j];
        for (; j < kNR; ++j) d[j] = 0.f;
      }
    } else {  // op(B)(k, j) = b[j * ldb + k]
      for (int64_t k = 0; k < kc; ++k) {
        float* d = dst + k * kNR;
        int j = 0;
        for (; j < nr; ++j) d[j] = b[(j0 + j) * ldb + k];
        for (; j < kNR; ++j) d[j] = 0.f;
      }
    }
    dst += kc * kNR;
  }
}

}  // namespace

std::size_t gemm_pack_bytes_per_thread() {
  return static_cast<std::size_t>(kMC * kKC + kKC * kNC) * sizeof(float);
}

namespace {

// Per-thread packing buffers, allocated on a thread's first call and reused afterwards.
struct PackBuffers {
  AlignedBuffer bytes{gemm_pack_bytes_per_thread()};
  float* a() const { return reinterpret_cast<float*>(bytes.data()); }
  float* b() const { return a() + kMC * kKC; }
};
PackBuffers& thread_buffers() {
  thread_local PackBuffers buffers;
  return buffers;
}

}  // namespace

void reserve_gemm_pack_buffers() {
#pragma omp parallel
  thread_buffers();
}

namespace {

// Single-threaded blocked GEMM on one rectangle of C.
void gemm_f32_serial(MicroKernel micro_kernel, bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha,
                     const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  PackBuffers& buf = thread_buffers();
  float* pa = buf.a();
  float* pb = buf.b();
  for (int64_t jc = 0; jc < N; jc += kNC) {
    const int64_t nc = std::min(kNC, N - jc);
    for (int64_t pc = 0; pc < K; pc += kKC) {
      const int64_t kc = std::min(kKC, K - pc);
      const float beta_eff = pc == 0 ? beta : 1.f;
      pack_b(tb, tb ? B + jc * ldb + pc : B + pc * ldb + jc, ldb, kc, nc, pb);
      for (int64_t ic = 0; ic < M; ic += kMC) {
        const int64_t mc = std::min(kMC, M - ic);
        pack_a(ta, ta ? A + pc * lda + ic : A + ic * lda + pc, lda, mc, kc, pa);
        for (int64_t jr = 0; jr < nc; jr += kNR) {
          const int nr = static_cast<int>(std::min<int64_t>(kNR, nc - jr));
          const float* bs = pb + (jr / kNR) * kc * kNR;
          for (int64_t ir = 0; ir < mc; ir += kMR) {
            const int mr = static_cast<int>(std::min<int64_t>(kMR, mc - ir));
            micro_kernel(kc, pa + (ir / kMR) * kc * kMR, bs, C + (ic + ir) * ldc + jc + jr, ldc, alpha,
                         beta_eff, mr, nr);
          }
        }
      }
    }
  }
}

template <class T>
void scale_c(int64_t M, int64_t N, T beta, T* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) C[i * ldc + j] = beta == T(0) ? T(0) : beta * C[i * ldc + j];
}

void gemm_f32(GemmIsa isa, bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
              int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  const MicroKernel micro = select_micro_kernel(isa);
  int nt = omp_in_parallel() ? 1 : omp_get_max_threads();
  // Below ~64^3 multiply-adds per thread the fork/join costs more than it saves.
  const double work = static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
  nt = static_cast<int>(std::min<double>(nt, std::max(1.0, work / (64.0 * 64 * 64))));
  const bool split_n = N >= M;
  const int64_t unit = split_n ? kNR : kMR;
  const int64_t extent = split_n ? N : M;
  nt = static_cast<int>(std::min<int64_t>(nt, (extent + unit - 1) / unit));
  if (nt <= 1) {
    gemm_f32_serial(micro, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  // Each thread owns a band of C's columns (or rows) and runs the serial blocked GEMM on it.
  const int64_t units = (extent + unit - 1) / unit;
#pragma omp parallel num_threads(nt)
  {
    const int t = omp_get_thread_num();
    const int n_threads = omp_get_num_threads();
    const int64_t u0 = units * t / n_threads, u1 = units * (t + 1) / n_threads;
    const int64_t lo = u0 * unit, hi = std::min(extent, u1 * unit);
    if (hi > lo) {
      if (split_n)
        gemm_f32_serial(micro, ta, tb, M, hi - lo, K, alpha, A, lda, tb ? B + lo * ldb : B + lo, ldb, beta, C + lo,
                        ldc);
      else
        gemm_f32_serial(micro, ta, tb, hi - lo, N, K, alpha, ta ? A + lo : A + lo * lda, lda, B, ldb, beta,
                        C + lo * ldc, ldc);
    }
  }
}

void gemm_f64(bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha, const double* A, int64_t lda,
              const double* B, int64_t ldb, double beta, double* C, int64_t ldc) {
  const bool par = !omp_in_parallel() && static_cast<double>(M) * N * K > 1e6;
#pragma omp parallel for if (par) schedule(static)
  for (int64_t i = 0; i < M; ++i) {
    double* c = C + i * ldc;
    for (int64_t j = 0; j < N; ++j) c[j] = beta == 0.0 ? 0.0 : beta * c[j];
    for (int64_t k = 0; k < K; ++k) {
      const double a = alpha * (ta ? A[k * lda + i] : A[i * lda + k]);
      if (!tb) {
        const double* b = B + k * ldb;
        for (int64_t j = 0; j < N; ++j) c[j] += a * b[j];
      } else {
        for (int64_t j = 0; j < N; ++j) c[j] += a * B[j * ldb + k];
      }
    }
  }
}

}  // namespace

template <class T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
          const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == T(0)) {
    scale_c(M, N, beta, C, ldc);
    return;
  }
  if constexpr (std::is_same_v<T, float>)
    gemm_f32(GemmIsa::best, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  else
    gemm_f64(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void gemm_f32_isa(GemmIsa isa, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                  const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0.f) return scale_c(M, N, beta, C, ldc);
  gemm_f32(isa, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*,
                          int64_t, float, float*, int64_t);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t,
                           const double*, int64_t, double, double*, int64_t);

}  // namespace edgetrain::native
