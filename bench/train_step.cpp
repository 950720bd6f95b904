// train_step: times edgetrain's compiled training step on random data, the counterpart of the PyTorch
// peer ../shared/peers/torch_train_step.py. Prints ONE JSON line.
//
//   train_step NET|FILE.onnx RES BATCH [--threads N] [--steps S] [--warmup W] [--trainable SPEC]
//              [--backend auto|onednn|ref] [--classes K]
//
// The model is the zoo's NET with input CxRESxRES (C = the architecture's channels: 3, or 1 for
// fmnist-cnn / lenet5), K classes, SGD (lr 0.01, momentum 0.9), cross-entropy. Images are N(0, 1)
// and labels uniform, from a fixed seed. An ONNX file (a training or preserve-mode export: BatchNorm not
// folded) is imported as it is, with its own class count; RES must be its input size. W warm-up steps, then S timed
// steps; the median is reported.
//
// Memory: peak_rss_bytes is the whole process's VmHWM at the end — what the PyTorch peer reports
// (ru_maxrss of the whole interpreter) — and planned_peak_bytes is the plan's breakdown.total().
// FLOPs: train_gflops counts 2 x plan.trained_macs (the fwd, bwd_data and bwd_weights MACs of the
// step as the plan runs them: frozen layers and the input's gradient are skipped); train_gflops_3x
// uses the peers' convention, 3 x forward FLOPs.
//
// A backend that cannot be used (unknown / not built in) gives a JSON line with "error" and exit 3.
#include <omp.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "edgetrain/error.hpp"
#include "environment.hpp"
#include "graph/trainable.hpp"
#include "io/model_io.hpp"
#include "io/onnx/onnx_model.hpp"
#include "models/zoo.hpp"
#include "train/rss.hpp"
#include "train/trainer.hpp"

namespace {

using namespace edgetrain;

struct Args {
  std::string net;
  int64_t res = 0, batch = 0;
  int threads = 2, steps = 8, warmup = 2;
  std::string trainable = "all", backend = "auto";
  int64_t classes = 10;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "train_step: %s\nusage: train_step NET|FILE.onnx RES BATCH [--threads N] [--steps S] [--warmup W] "
               "[--trainable SPEC] [--backend auto|onednn|ref] [--classes K]\n",
               why);
  std::exit(2);
}

int64_t to_int(const std::string& s, const char* what) {
  try {
    size_t used = 0;
    long long v = std::stoll(s, &used);
    if (used != s.size() || v <= 0) throw std::invalid_argument(s);
    return v;
  } catch (const std::exception&) {
    std::string why = std::string("bad ") + what + ": '" + s + "'";
    usage(why.c_str());
  }
}

Args parse(int argc, char** argv) {
  Args a;
  std::vector<std::string> pos;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage((k + " needs a value").c_str());
      return argv[++i];
    };
    if (k == "--threads")
      a.threads = static_cast<int>(to_int(value(), "--threads"));
    else if (k == "--steps")
      a.steps = static_cast<int>(to_int(value(), "--steps"));
    else if (k == "--warmup") {
      std::string v = value();
      a.warmup = v == "0" ? 0 : static_cast<int>(to_int(v, "--warmup"));
    } else if (k == "--trainable")
      a.trainable = value();
    else if (k == "--backend")
      a.backend = value();
    else if (k == "--classes")
      a.classes = to_int(value(), "--classes");
    else if (k == "-h" || k == "--help")
      usage("help");
    else if (k.starts_with("--"))
      usage(("unknown option " + k).c_str());
    else
      pos.push_back(k);
  }
  if (pos.size() != 3) usage("expected NET RES BATCH");
  a.net = pos[0];
  a.res = to_int(pos[1], "RES");
  a.batch = to_int(pos[2], "BATCH");
  return a;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

TrainConfig train_config(const Args& a) {
  TrainConfig tc;
  tc.batch = a.batch;
  tc.optimizer.kind = optim::OptimizerKind::sgd;
  tc.optimizer.lr = 0.01;
  tc.optimizer.momentum = 0.9;
  tc.trainable = parse_trainable(a.trainable);
  tc.backend = parse_backend_choice(a.backend);
  // The comparison switches (EDGETRAIN_WINOGRAD=0, EDGETRAIN_LAYOUT=plain, ...) as the CLI maps them.
  const EngineOptions engine = cli::engine_options(a.backend);
  tc.planner = engine.planner == Planner::no_reuse ? PlannerKind::no_reuse : PlannerKind::greedy_by_size;
  tc.blocked_layouts = engine.blocked_layouts;
  tc.blocked_params = engine.blocked_params;
  tc.fuse_activations = engine.fuse_activations;
  tc.winograd = engine.winograd;
  return tc;
}

// What the plan chose: kernel steps per implementation, layout conversions per step, the share of
// MACs run with Winograd (train_gflops counts every convolution at its direct MAC count), blocked
// values and parameters.
void describe_plan(const Plan& plan, nlohmann::json& out) {
  std::map<std::string, int> impls;
  int reorders = 0;
  int64_t winograd_macs = 0;
  for (const Step& s : plan.steps) {
    if (!s.kernel) continue;
    ++impls[std::string(s.kernel->impl_name())];
    reorders += s.kernel->reorders();
    if (s.kernel->runs_winograd()) winograd_macs += s.macs;
  }
  out["impls"] = impls;
  out["reorders_per_step"] = reorders;
  out["winograd_mac_share"] =
      plan.trained_macs > 0 ? static_cast<double>(winograd_macs) / static_cast<double>(plan.trained_macs) : 0.0;
  out["blocked_values"] = std::count(plan.value_layouts.begin(), plan.value_layouts.end(), Layout::blocked16);
  out["blocked_params"] = std::count_if(plan.param_layouts.begin(), plan.param_layouts.end(),
                                        [](const ParamLayout& l) { return !l.plain(); });
}

// Median and minimum step time over a.steps steps after a.warmup, the batch written straight into the
// step's input buffers before every step as the trainer's loader does (the same batch each time).
float time_steps(const Args& a, int64_t channels, Trainer& trainer, std::vector<double>& ms) {
  const int64_t pixels = a.batch * channels * a.res * a.res;
  auto load_batch = [&] {
    std::mt19937 rng(0);
    std::normal_distribution<float> normal(0.f, 1.f);
    std::uniform_int_distribution<int32_t> label(0, static_cast<int32_t>(a.classes - 1));
    float* images = trainer.input_images();
    int32_t* labels = trainer.input_labels();
    for (int64_t i = 0; i < pixels; ++i) images[i] = normal(rng);
    for (int64_t i = 0; i < a.batch; ++i) labels[i] = label(rng);
  };
  float loss = 0;
  for (int i = 0; i < a.warmup; ++i) {
    load_batch();
    loss = trainer.train_step();
  }
  for (int i = 0; i < a.steps; ++i) {
    load_batch();
    auto t0 = std::chrono::steady_clock::now();
    loss = trainer.train_step();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  return loss;
}

// A zoo architecture built at RES x RES, or an ONNX file (its own input size; RES must agree).
Network open_network(const Args& a) {
  if (!a.net.ends_with(".onnx")) {
    const int64_t channels = models::default_input(a.net)[0];
    return io::make_zoo_model(a.net, a.classes, Shape{channels, a.res, a.res}, 1.0, /*seed=*/1);
  }
  Network model = io::import_onnx(a.net);
  const Shape in = model.graph.input_shape();
  if (in[2] != a.res || in[3] != a.res)
    throw Error(fmt::format("train_step: {} takes {}x{} inputs, not RES {}", a.net, in[2], in[3], a.res));
  return model;
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  omp_set_num_threads(a.threads);

  nlohmann::json out = {{"bench", "train_step"},    {"net", a.net},         {"res", a.res},
                        {"batch", a.batch},         {"threads", a.threads}, {"backend", a.backend},
                        {"trainable", a.trainable}, {"steps", a.steps},     {"warmup", a.warmup}};
  try {
    const std::size_t rss_baseline = current_rss_bytes();
    Network model = open_network(a);
    const int64_t channels = model.graph.input_shape()[1];
    const TrainConfig tc = train_config(a);
    cli::apply_log_environment();
    Trainer trainer(model, tc);
    const Plan& plan = trainer.plan();
    describe_plan(plan, out);
    std::vector<double> ms;
    const float loss = time_steps(a, channels, trainer, ms);
    const double med = median(ms);
    const double sec = med / 1e3;
    out["median_ms"] = med;
    out["min_ms"] = *std::min_element(ms.begin(), ms.end());
    out["img_per_s"] = static_cast<double>(a.batch) / sec;
    out["peak_rss_bytes"] = peak_rss_bytes();
    out["rss_baseline_bytes"] = rss_baseline;
    out["planned_peak_bytes"] = plan.breakdown.total();
    out["planned_arena_bytes"] = plan.breakdown.arena;
    out["forward_macs"] = plan.forward_macs;
    out["trained_macs"] = plan.trained_macs;
    out["train_gflops"] = 2.0 * static_cast<double>(plan.trained_macs) / sec / 1e9;
    out["train_gflops_3x"] = 3.0 * 2.0 * static_cast<double>(plan.forward_macs) / sec / 1e9;
    out["final_loss"] = loss;
  } catch (const Error& e) {
    out["error"] = e.what();
    std::printf("%s\n", out.dump().c_str());
    return 3;
  }
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
