// GEMM throughput of the reference float path: square sizes and a few conv-shaped problems.
// Reports GFLOPS (2*M*N*K per iteration) as a counter.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "kernels/native/gemm.hpp"

namespace {

void run_gemm(benchmark::State& state, bool ta, bool tb, bool portable = false) {
  const int64_t M = state.range(0), N = state.range(1), K = state.range(2);
  std::vector<float> a(static_cast<size_t>(M * K)), b(static_cast<size_t>(K * N)), c(static_cast<size_t>(M * N));
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  for (float& x : a) x = u(rng);
  for (float& x : b) x = u(rng);
  for (auto _ : state) {
    edgetrain::native::gemm_f32_isa(portable ? edgetrain::native::GemmIsa::portable : edgetrain::native::GemmIsa::best,
                                    ta, tb, M, N, K, 1.f, a.data(), ta ? M : K, b.data(), tb ? K : N, 0.f, c.data(), N);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  state.counters["GFLOPS"] = benchmark::Counter(2.0 * M * N * K * state.iterations(), benchmark::Counter::kIsRate,
                                                benchmark::Counter::kIs1000);
}

void BM_gemm_nn(benchmark::State& s) { run_gemm(s, false, false); }
void BM_gemm_nt(benchmark::State& s) { run_gemm(s, false, true); }
void BM_gemm_tn(benchmark::State& s) { run_gemm(s, true, false); }
// The micro-kernel non-AVX-512 CPUs get (AVX2 + FMA clone where available).
void BM_gemm_nn_portable(benchmark::State& s) { run_gemm(s, false, false, true); }

BENCHMARK(BM_gemm_nn)
    ->Args({128, 128, 128})
    ->Args({256, 256, 256})
    ->Args({512, 512, 512})
    ->Args({1024, 1024, 1024})
    ->Args({64, 3136, 576})  // conv 3x3 64->64 at 56x56 (fwd, per image)
    ->Args({32, 12544, 27})  // first MobileNetV2 conv at 112x112
    ->Args({96, 3136, 16})   // 1x1 expand
    ->UseRealTime();
BENCHMARK(BM_gemm_nt)->Args({512, 512, 512})->Args({64, 576, 3136})->UseRealTime();  // conv dW
BENCHMARK(BM_gemm_nn_portable)->Args({512, 512, 512})->UseRealTime();
BENCHMARK(BM_gemm_tn)->Args({512, 512, 512})->Args({576, 3136, 64})->UseRealTime();  // conv dX

}  // namespace

BENCHMARK_MAIN();
