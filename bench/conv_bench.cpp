// conv_bench: Google Benchmark of the Conv2d kernels — fwd, bwd_data, bwd_weights — over the distinct
// conv layer shapes of ResNet-18 and MobileNetV2 (224x224, batch 8), for every kernel implementation
// in the selection table that accepts the problem. Reports GFLOPS (2 x forward MACs per execution;
// each of the three passes performs the same number of MACs) as a counter.
//
//   conv_bench [--threads N] [--batch N] [google benchmark flags, e.g. --benchmark_filter=resnet18]
//
// Benchmark names: conv/<net>/<layer>/<pass>/<impl>/<problem>. The layer is the first zoo node
// with that problem; a shape shared by both nets is listed once, under the first net. A backend
// whose row declines a problem (select_kernel falls through to a later row) is not listed for it.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/aligned_buffer.hpp"
#include "edgetrain/error.hpp"
#include "kernels/kernel.hpp"
#include "kernels/registry.hpp"
#include "models/zoo.hpp"
#include "ops/op.hpp"

namespace {

using namespace edgetrain;

struct ConvCase {
  std::string net, layer, problem;
  Conv2dAttrs attrs;
  Shape src, dst;
};

std::vector<ConvCase> collect(int64_t batch) {
  std::vector<ConvCase> cases;
  std::set<std::string> seen;
  for (const char* net : {"resnet18", "mobilenet_v2"}) {
    models::ZooOptions zo;
    zo.num_classes = 10;
    zo.input = Shape{3, 224, 224};
    Graph g = models::build_model(net, zo);
    g.infer_shapes(batch);
    for (const Node& n : g.nodes) {
      if (!is<Conv2dAttrs>(n.attrs)) continue;
      std::vector<Shape> src;
      for (int v : n.inputs) src.push_back(g.values[static_cast<size_t>(v)].shape);
      const Shape dst = g.values[static_cast<size_t>(n.output)].shape;
      const auto& a = std::get<Conv2dAttrs>(n.attrs);
      std::string p = problem_string(n.attrs, src, dst) + (a.bias ? "_bias" : "");
      if (!seen.insert(p).second) continue;
      cases.push_back({net, n.name, p, a, src[0], dst});
    }
  }
  return cases;
}

// One benchmark: the kernel and every buffer any pass may touch (all slots filled; each pass uses its own).
struct Fixture {
  std::unique_ptr<Kernel> kernel;
  std::vector<AlignedBuffer> bufs;
  KernelArgs args;
  int64_t macs = 0;

  TensorView make(const Shape& s, std::mt19937& rng) {
    AlignedBuffer b(static_cast<size_t>(s.numel()) * sizeof(float));
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    float* f = reinterpret_cast<float*>(b.data());
    for (int64_t i = 0; i < s.numel(); ++i) f[i] = u(rng);
    TensorView v(b.data(), s, DType::f32);
    bufs.push_back(std::move(b));
    return v;
  }
};

std::unique_ptr<Kernel> make_kernel(const ConvCase& c, Pass pass, std::string_view impl) {
  KernelProblem prob;
  prob.attrs = c.attrs;
  prob.pass = pass;
  prob.src = {c.src};
  prob.dst = c.dst;
  prob.dtype = DType::f32;
  prob.training = true;
  std::unique_ptr<Kernel> k;
  try {
    k = select_kernel(prob, parse_backend_choice(impl));
  } catch (const Error&) {
    return nullptr;  // this backend is not usable here
  }
  if (!k || k->impl_name() != impl) return nullptr;  // declined: fell through to a later row
  return k;
}

// The buffers of one benchmark at a time (Google Benchmark calls a benchmark's function several
// times; the fixture is kept while the same benchmark runs and rebuilt for the next one).
std::shared_ptr<Fixture> fixture_for(const ConvCase& c, Pass pass, std::string_view impl) {
  static std::shared_ptr<Fixture> current;
  static std::string current_key;
  const std::string key = c.problem + "/" + std::string(pass_name(pass)) + "/" + std::string(impl);
  if (current && current_key == key) return current;
  current.reset();
  auto f = std::make_shared<Fixture>();
  f->kernel = make_kernel(c, pass, impl);
  if (!f->kernel) return nullptr;
  std::mt19937 rng(7);
  const std::vector<Shape> src{c.src};
  f->macs = forward_macs(c.attrs, src, c.dst);
  f->args.src.push_back(f->make(c.src, rng));
  f->args.dst = f->make(c.dst, rng);
  f->args.diff_dst = f->make(c.dst, rng);
  f->args.diff_src.push_back(f->make(c.src, rng));
  for (const ParamSpec& ps : param_specs(c.attrs)) {
    f->args.weights.push_back(f->make(ps.shape, rng));
    f->args.diff_weights.push_back(f->make(ps.shape, rng));
  }
  if (std::size_t bytes = f->kernel->scratch_bytes(); bytes > 0) {
    AlignedBuffer b(bytes);
    f->args.scratch = TensorView(b.data(), Shape{static_cast<int64_t>(bytes)}, DType::u8);
    f->bufs.push_back(std::move(b));
  }
  current = f;
  current_key = key;
  return f;
}

void run(benchmark::State& state, ConvCase c, Pass pass, std::string impl) {
  std::shared_ptr<Fixture> f = fixture_for(c, pass, impl);
  if (!f) {
    state.SkipWithError("kernel not available");
    return;
  }
  for (auto _ : state) {
    f->kernel->execute(f->args);
    benchmark::ClobberMemory();
  }
  state.counters["GFLOPS"] =
      benchmark::Counter(2.0 * static_cast<double>(f->macs) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
  state.counters["reorders"] = f->kernel->reorders();
}

int take_int_flag(int& argc, char** argv, const char* name, int fallback) {
  int value = fallback;
  const size_t len = std::strlen(name);
  for (int i = 1; i < argc; ++i) {
    int consumed = 0;
    if (std::strcmp(argv[i], name) == 0 && i + 1 < argc) {
      value = std::atoi(argv[i + 1]);
      consumed = 2;
    } else if (std::strncmp(argv[i], name, len) == 0 && argv[i][len] == '=') {
      value = std::atoi(argv[i] + len + 1);
      consumed = 1;
    }
    if (consumed) {
      for (int j = i; j + consumed < argc; ++j) argv[j] = argv[j + consumed];
      argc -= consumed;
      --i;
    }
  }
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = take_int_flag(argc, argv, "--threads", 2);
  const int batch = take_int_flag(argc, argv, "--batch", 8);
  if (threads <= 0 || batch <= 0) {
    std::fprintf(stderr, "conv_bench: --threads and --batch must be positive\n");
    return 2;
  }
  omp_set_num_threads(threads);
  benchmark::AddCustomContext("threads", std::to_string(threads));
  benchmark::AddCustomContext("batch", std::to_string(batch));

  std::string backends;
  for (const ConvCase& c : collect(batch)) {
    for (Pass pass : {Pass::fwd, Pass::bwd_data, Pass::bwd_weights}) {
      for (const KernelImpl& impl : kernel_impls()) {
        const std::string_view impl_name = backend_name(impl.backend);
        if (!make_kernel(c, pass, impl_name)) continue;
        const std::string name = "conv/" + c.net + "/" + c.layer + "/" + std::string(pass_name(pass)) + "/" +
                                 std::string(impl_name) + "/" + c.problem;
        benchmark::RegisterBenchmark(name.c_str(), run, c, pass, std::string(impl_name))
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
      }
    }
  }
  for (const KernelImpl& impl : kernel_impls()) {
    if (!backends.empty()) backends += ',';
    backends.append(backend_name(impl.backend));
  }
  benchmark::AddCustomContext("kernel_impls", backends);

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
