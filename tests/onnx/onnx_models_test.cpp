// Real models through ONNX: torchvision architectures exported by PyTorch 1.13 (fixtures made by
// scripts/make_onnx_fixtures.py into $EDGETRAIN_ONNX_FIXTURES) must import, compute PyTorch's
// forward outputs and parameter gradients, train, and export to a file that re-imports exactly.
// The exported files and edgetrain's outputs are left in $EDGETRAIN_ONNX_EXPORTS for the
// independent consumer check (tests/onnx/check_export.py: onnx.checker and OpenCV's dnn module).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <tuple>

#include "compile/compile.hpp"
#include "io/model_io.hpp"
#include "io/onnx/onnx_model.hpp"
#include "io/tensor_file.hpp"
#include "models/zoo.hpp"
#include "prune/pruner.hpp"
#include "prune/ranking.hpp"
#include "runtime/executor.hpp"
#include "train/predict.hpp"

namespace edgetrain {
namespace {

namespace fs = std::filesystem;

std::string env_dir(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// The oracle backend of a fixture: the reference loops, except where the native backend stands in:
//  - the 224² fixtures (alexnet, vgg11_bn: 15-45 GFLOP per training step, minutes on the plain loops);
//  - googlenet, whose inception5b.branch4 has a BatchNorm output within float32 rounding of a ReLU
//    kink: the reference (every convolution sum in double, so nearer the float64 truth before that
//    point) rounds to the other side there and the gradients below move by 12-19 %, beyond the
//    fixture's bounds (PyTorch's own float32 median error on it is 5.9e-3).
// The reference's numerics are pinned against PyTorch by the other fixtures (the same ops), its
// kernels against the native and oneDNN ones on these shapes by tests/kernels.
bool oracle_is_native(const std::string& arch) { return arch == "alexnet" || arch == "vgg11_bn" || arch == "googlenet"; }
std::string oracle_backend(const std::string& arch) { return oracle_is_native(arch) ? "native" : "ref"; }

struct Fixture {
  std::string arch;
  std::string dir;
  std::vector<io::TensorRecord> ref;
  const io::TensorRecord& at(const std::string& name) const {
    const io::TensorRecord* r = io::find_record(ref, name);
    if (!r) throw std::runtime_error("reference.ett has no tensor " + name);
    return *r;
  }
  int64_t batch() const { return at("input").shape[0]; }
};

Fixture load(const std::string& arch) {
  Fixture f{arch, env_dir("EDGETRAIN_ONNX_FIXTURES") + "/" + arch, {}};
  f.ref = io::read_tensor_file(f.dir + "/reference.ett");
  return f;
}

// Worst |a - b| relative to the reference tensor's largest magnitude (gradients span decades: an
// elementwise relative test would flag float rounding of near-zero entries).
double scaled_error(const float* a, const std::vector<float>& b) {
  double worst = 0, scale = 1e-12;
  for (size_t i = 0; i < b.size(); ++i) {
    worst = std::max(worst, std::abs(static_cast<double>(a[i]) - b[i]));
    scale = std::max(scale, static_cast<double>(std::abs(b[i])));
  }
  return worst / scale;
}

// ||a - b|| / ||b|| (L2), with an absolute floor for tensors whose true gradient is zero (BatchNorm
// biases right before another BatchNorm: only rounding noise remains on both sides).
double relative_l2(const float* a, const std::vector<float>& b, double floor) {
  double diff = 0, norm = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    const double d = static_cast<double>(a[i]) - b[i];
    diff += d * d;
    norm += static_cast<double>(b[i]) * b[i];
  }
  return std::sqrt(diff) / std::max(std::sqrt(norm), floor);
}

// A MatMul weight [in, out] becomes a Linear weight [out, in] on import: reference tensors of that
// shape are transposed for comparison.
std::vector<float> in_edgetrain_layout(const io::TensorRecord& r, const Shape& ours) {
  std::vector<float> v = r.floats();
  if (r.shape == ours || r.shape.rank() != 2 || ours.rank() != 2 || r.shape[0] != ours[1] || r.shape[1] != ours[0])
    return v;
  std::vector<float> t(v.size());
  for (int64_t i = 0; i < r.shape[0]; ++i)
    for (int64_t j = 0; j < r.shape[1]; ++j)
      t[static_cast<size_t>(j * r.shape[0] + i)] = v[static_cast<size_t>(i * r.shape[1] + j)];
  return t;
}

const float* floats_of(const Executor& exec, int buffer) {
  return reinterpret_cast<const float*>(exec.buffer_data(buffer));
}

void expect_logits(const std::vector<float>& got, const io::TensorRecord& want, double tol, const std::string& what) {
  ASSERT_EQ(static_cast<int64_t>(got.size()), want.shape.numel()) << what;
  EXPECT_LE(scaled_error(got.data(), want.floats()), tol) << what;
}

// Relative L2 error of every parameter gradient of a training step (in the buffers "d(<param>)" of a
// no-reuse plan) against the fixture's float64 gradients, in graph parameter order.
std::vector<double> gradient_errors(const Network& m, const Plan& plan, const Executor& exec, const Fixture& f) {
  std::vector<std::vector<float>> want;
  double largest = 0;
  for (const Slot& p : m.graph.params) {
    want.push_back(in_edgetrain_layout(f.at("grad:" + p.name), p.shape));
    double norm = 0;
    for (float v : want.back()) norm += static_cast<double>(v) * v;
    largest = std::max(largest, std::sqrt(norm));
  }
  std::vector<double> errors;
  for (size_t k = 0; k < m.graph.params.size(); ++k) {
    const std::vector<float> grad = exec.param_gradient(static_cast<int>(k));
    errors.push_back(grad.empty() ? INFINITY : relative_l2(grad.data(), want[k], 1e-4 * largest));
  }
  return errors;
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// One training step of the imported model on `input`: the compiled plan, its executor and the model.
struct StepRun {
  Network m;
  Plan plan;
  std::unique_ptr<OptimizerState> opt;
  std::unique_ptr<Executor> exec;
};
std::unique_ptr<StepRun> run_step(const Fixture& f, const std::string& backend, const std::vector<float>& input) {
  auto r = std::make_unique<StepRun>();
  r->m = io::import_onnx(f.dir + "/train.onnx");
  for (Node& n : r->m.graph.nodes)
    if (is<DropoutAttrs>(n.attrs)) n.attrs = DropoutAttrs{0.0};
  CompileOptions o;
  o.backend = parse_backend_choice(backend);
  o.batch = f.batch();
  o.optimizer.lr = 0.0;
  o.optimizer.momentum = 0.0;
  o.planner = PlannerKind::no_reuse;
  r->plan = compile(r->m.graph, o);
  r->opt = std::make_unique<OptimizerState>(r->m.graph, r->plan.trainable, o.optimizer);
  r->exec = std::make_unique<Executor>(r->plan, r->m.params, r->opt.get());
  r->exec->set_learning_rate(0.0);
  r->exec->run(input.data(), f.at("labels").as<int32_t>());
  return r;
}

// How far float32 rounding alone moves the gradients of this fixture: the oracle backend's median
// gradient error on the input scaled by 1 + u, |u| <= 1e-6, the largest over three draws. Near-kink
// activations make some fixtures ill-conditioned at that scale (measured on mobilenet_v2: the
// reference's median error goes from 2.8e-5 on the exact input to 3.4e-3 on a perturbed one, oneDNN's
// between 3.2e-4 and 6.5e-3); on resnet18 it stays near 4e-6.
double rounding_sensitivity(const Fixture& f) {
  const std::vector<float> exact = f.at("input").floats();
  double worst = 0;
  for (unsigned seed = 1; seed <= 3; ++seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1e-6f, 1e-6f);
    std::vector<float> input = exact;
    for (float& v : input) v *= 1.f + u(rng);
    const auto r = run_step(f, oracle_backend(f.arch), input);
    worst = std::max(worst, median_of(gradient_errors(r->m, r->plan, *r->exec, f)));
  }
  return worst;
}

// The bound on a backend's median gradient error: `bound` for the oracle; for another backend whose
// median exceeds it, twice the fixture's rounding sensitivity where that is larger (written to
// *sensitivity).
double widened_for_rounding(const Fixture& f, const std::string& backend, double median, double bound,
                            double* sensitivity) {
  if (backend == oracle_backend(f.arch) || median <= bound) return bound;
  *sensitivity = rounding_sensitivity(f);
  return std::max(bound, 2.0 * *sensitivity);
}

using Param = std::tuple<std::string, std::string>;  // architecture, backend
class OnnxModel : public ::testing::TestWithParam<Param> {
 protected:
  const std::string& arch() const { return std::get<0>(GetParam()); }
  const std::string& backend() const { return std::get<1>(GetParam()); }
};

// BatchNormalization kept (training-mode export): logits with batch statistics, loss, every
// parameter gradient and the running statistics after one step match PyTorch's. Dropout is switched
// off on both sides so that the comparison is deterministic.
TEST_P(OnnxModel, TrainingExportMatchesPyTorchForwardAndGradients) {
  const Fixture f = load(arch());
  const auto run = run_step(f, backend(), f.at("input").floats());
  const Network& m = run->m;
  const Plan& plan = run->plan;
  const Executor& exec = *run->exec;
  EXPECT_NEAR(exec.loss(), f.at("loss").floats()[0], 1e-4 * (1 + std::abs(f.at("loss").floats()[0])));
  const int logits = plan.logits_buffer;
  ASSERT_GE(logits, 0);
  EXPECT_LE(scaled_error(floats_of(exec, logits), f.at("train_logits").floats()), 1e-4) << "train logits";
  // Gradients: float32 against the float64 truth. A deep network has a few activations within
  // float32 rounding of a ReLU kink or of a max-pool tie (measured: resnet18 and mobilenet_v2 have
  // ReLU inputs 3e-7 from 0; googlenet's inception4e sits on such a point); float32 — ours or
  // PyTorch's — may take the other branch there, which moves the gradients of the layers below by
  // up to several percent. The fixture records PyTorch's own float32 error on the same network;
  // edgetrain must be as accurate: median per-tensor error within max(1e-3, 2x PyTorch's), worst
  // within max(0.1, 3x PyTorch's). A backend other than the oracle, whose rounding differs from the
  // oracle's, may also be off by twice the rounding sensitivity of the fixture (see
  // rounding_sensitivity). Tensors whose true gradient is zero (a bias right before a BatchNorm)
  // are measured against 1e-4 of the model's largest gradient norm.
  const std::vector<float> pytorch_error = f.at("pytorch_f32_grad_error").floats();  // median, worst
  double median_bound = std::max(1e-3, 2.0 * pytorch_error[0]);
  const double worst_bound = std::max(0.1, 3.0 * pytorch_error[1]);
  const std::vector<double> errors = gradient_errors(m, plan, exec, f);
  for (size_t k = 0; k < errors.size(); ++k) {
    EXPECT_LE(errors[k], worst_bound) << "gradient of " << m.graph.params[k].name;
    if (std::getenv("EDGETRAIN_TEST_VERBOSE"))
      std::fprintf(stderr, "  %-44s %.2e\n", m.graph.params[k].name.c_str(), errors[k]);
  }
  const double median = median_of(errors);
  double sensitivity = 0;
  median_bound = widened_for_rounding(f, backend(), median, median_bound, &sensitivity);
  EXPECT_LE(median, median_bound) << "median relative gradient error over " << errors.size() << " tensors";
  std::fprintf(stderr, "%s/%s: %zu gradients: median error %.2e, worst %.2e (PyTorch float32: %.2e, %.2e%s)\n",
               arch().c_str(), backend().c_str(), errors.size(), median,
               *std::max_element(errors.begin(), errors.end()), pytorch_error[0], pytorch_error[1],
               sensitivity > 0 ? fmt::format("; rounding sensitivity {:.2e}", sensitivity).c_str() : "");
  for (size_t s = 0; s < m.graph.states.size(); ++s)
    EXPECT_LE(scaled_error(m.params.state(static_cast<int>(s)).as<float>(),
                           f.at("running_after:" + m.graph.states[s].name).floats()),
              1e-4)
        << m.graph.states[s].name;
}

// Every export flavour computes PyTorch's eval-mode output: eval (BN folded by PyTorch), training
// (running statistics as state) and, where present, PRESERVE.
TEST_P(OnnxModel, EveryExportFlavourMatchesPyTorchInference) {
  const Fixture f = load(arch());
  const std::vector<float> input = f.at("input").floats();
  for (const char* file : {"eval.onnx", "train.onnx", "preserve.onnx"}) {
    if (!fs::exists(f.dir + "/" + file)) continue;
    Network m = io::import_onnx(f.dir + "/" + file);
    expect_logits(predict_logits(m, input.data(), f.batch(), parse_backend_choice(backend())), f.at("eval_logits"),
                  1e-4, file);
  }
}

// Training works on the imported graph: a few SGD steps on one batch lower its loss.
TEST_P(OnnxModel, ImportedModelTrains) {
  const Fixture f = load(arch());
  Network m = io::import_onnx(f.dir + "/train.onnx");
  CompileOptions o;
  o.backend = parse_backend_choice(backend());
  o.batch = f.batch();
  o.optimizer.lr = 1e-3;  // vgg11_bn's 120M-parameter classifier on a batch of 2 diverges at 1e-2
  o.optimizer.momentum = 0.9;
  Plan plan = compile(m.graph, o);
  OptimizerState opt(m.graph, plan.trainable, o.optimizer);
  Executor exec(plan, m.params, &opt);
  exec.set_learning_rate(1e-3);
  const std::vector<float> input = f.at("input").floats();
  exec.run(input.data(), f.at("labels").as<int32_t>());
  const float first = exec.loss();
  for (int k = 0; k < 8; ++k) exec.run(input.data(), f.at("labels").as<int32_t>());
  EXPECT_TRUE(std::isfinite(exec.loss()));
  EXPECT_LT(exec.loss(), first);
}

// Export -> re-import reproduces the outputs bit for bit; folding BN changes them only by rounding.
// Leaves the export and edgetrain's own output for the OpenCV check.
TEST_P(OnnxModel, ExportReimportsExactly) {
  const Fixture f = load(arch());
  Network m = io::import_onnx(f.dir + "/train.onnx");
  const std::vector<float> input = f.at("input").floats();
  const std::vector<float> before = predict_logits(m, input.data(), f.batch(), parse_backend_choice(backend()));

  std::string out_dir = env_dir("EDGETRAIN_ONNX_EXPORTS");
  if (out_dir.empty()) out_dir = fs::temp_directory_path().string();
  fs::create_directories(out_dir);
  const std::string exported = out_dir + "/" + arch() + "." + backend() + ".onnx";
  io::export_onnx(m, exported);
  Network back = io::import_onnx(exported);
  EXPECT_EQ(back.graph.params.size(), m.graph.params.size());
  for (size_t p = 0; p < m.graph.params.size(); ++p) EXPECT_EQ(back.graph.params[p].name, m.graph.params[p].name);
  EXPECT_EQ(back.info.class_names, m.info.class_names);
  const std::vector<float> after = predict_logits(back, input.data(), f.batch(), parse_backend_choice(backend()));
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) ASSERT_EQ(after[i], before[i]) << "logit " << i;

  const std::string folded = out_dir + "/" + arch() + "." + backend() + ".folded.onnx";
  io::export_onnx(m, folded, {.fold_batch_norm = true});
  Network f2 = io::import_onnx(folded);
  bool has_bn = false;
  for (const Node& n : f2.graph.nodes) has_bn |= is<BatchNormAttrs>(n.attrs);
  EXPECT_FALSE(has_bn) << "every BatchNorm follows a convolution in these models";
  EXPECT_LE(scaled_error(predict_logits(f2, input.data(), f.batch(), parse_backend_choice(backend())).data(), before),
            1e-5);

  // Opset 10 (Clip with attribute bounds) for runtimes such as OpenCV 4.6.
  const std::string opset10 = out_dir + "/" + arch() + "." + backend() + ".opset10.onnx";
  io::export_onnx(m, opset10, {.opset = 10});
  const std::vector<float> again =
      predict_logits(io::import_onnx(opset10), input.data(), f.batch(), parse_backend_choice(backend()));
  for (size_t i = 0; i < again.size(); ++i) ASSERT_EQ(again[i], before[i]) << "opset 10, logit " << i;

  const Shape in = m.graph.input_shape();
  io::write_tensor_file(out_dir + "/" + arch() + "." + backend() + ".sample.ett",
                        {io::make_record("input", Shape{f.batch(), in[1], in[2], in[3]}, input.data()),
                         io::make_record("logits", Shape{f.batch(), m.graph.num_classes()}, before.data())});
}

// The zoo's builder of the same architecture is the same network: with the export's weights (copied by
// torchvision's names) it computes PyTorch's training loss, logits and gradients, and its inference.
// Dropout and stochastic depth are switched off, as PyTorch's references were made without them.
TEST_P(OnnxModel, ZooBuilderIsTheExportedNetwork) {
  const std::vector<std::string> zoo = models::zoo_names();
  if (std::find(zoo.begin(), zoo.end(), arch()) == zoo.end()) GTEST_SKIP() << arch() << " is not in the zoo";
  const Fixture f = load(arch());
  const Network exported = io::import_onnx(f.dir + "/train.onnx");
  const Shape in = exported.graph.input_shape();
  Network m = io::make_zoo_model(arch(), exported.graph.num_classes(), Shape{in[1], in[2], in[3]}, 1.0, 1);
  ASSERT_EQ(m.graph.params.size(), exported.graph.params.size());
  ASSERT_EQ(m.graph.states.size(), exported.graph.states.size());
  auto index_of = [](const std::vector<Slot>& slots, const std::string& name) {
    for (size_t k = 0; k < slots.size(); ++k)
      if (slots[k].name == name) return static_cast<int>(k);
    return -1;
  };
  auto copy = [](const TensorView& from, const TensorView& to, const std::string& name) {
    ASSERT_EQ(from.shape, to.shape) << name;
    std::copy(from.as<float>(), from.as<float>() + from.numel(), to.as<float>());
  };
  for (size_t p = 0; p < m.graph.params.size(); ++p) {
    const int k = index_of(exported.graph.params, m.graph.params[p].name);
    ASSERT_GE(k, 0) << "the export has no parameter " << m.graph.params[p].name;
    copy(exported.params.param(k), m.params.param(static_cast<int>(p)), m.graph.params[p].name);
  }
  for (size_t s = 0; s < m.graph.states.size(); ++s) {
    const int k = index_of(exported.graph.states, m.graph.states[s].name);
    ASSERT_GE(k, 0) << "the export has no state " << m.graph.states[s].name;
    copy(exported.params.state(k), m.params.state(static_cast<int>(s)), m.graph.states[s].name);
  }
  const std::vector<float> input = f.at("input").floats();
  expect_logits(predict_logits(m, input.data(), f.batch(), parse_backend_choice(backend())), f.at("eval_logits"), 1e-4,
                "eval");

  for (Node& n : m.graph.nodes)
    if (is<DropoutAttrs>(n.attrs)) n.attrs = DropoutAttrs{0.0};
  CompileOptions o;
  o.backend = parse_backend_choice(backend());
  o.batch = f.batch();
  o.optimizer.lr = 0.0;
  o.planner = PlannerKind::no_reuse;
  const Plan plan = compile(m.graph, o);
  OptimizerState opt(m.graph, plan.trainable, o.optimizer);
  Executor exec(plan, m.params, &opt);
  exec.set_learning_rate(0.0);
  exec.run(input.data(), f.at("labels").as<int32_t>());
  EXPECT_NEAR(exec.loss(), f.at("loss").floats()[0], 1e-4 * (1 + std::abs(f.at("loss").floats()[0])));
  EXPECT_LE(scaled_error(floats_of(exec, plan.logits_buffer), f.at("train_logits").floats()), 1e-4);
  const std::vector<float> pytorch_error = f.at("pytorch_f32_grad_error").floats();
  const std::vector<double> errors = gradient_errors(m, plan, exec, f);
  for (size_t k = 0; k < errors.size(); ++k)
    EXPECT_LE(errors[k], std::max(0.1, 3.0 * pytorch_error[1])) << "gradient of " << m.graph.params[k].name;
  const double median = median_of(errors);
  double sensitivity = 0;
  EXPECT_LE(median, widened_for_rounding(f, backend(), median, std::max(1e-3, 2.0 * pytorch_error[0]), &sensitivity));
}

// Structured pruning works on imported graphs too (concat in GoogLeNet and SqueezeNet, depthwise in
// MobileNetV2, flatten blocks in AlexNet / VGG): 30 % of the parameters go, the model trains, exports
// and re-imports to the same outputs.
TEST_P(OnnxModel, ImportedModelPrunesTrainsAndExports) {
  if (backend() != oracle_backend(arch())) GTEST_SKIP() << "backend-independent; run once";
  const Fixture f = load(arch());
  const Network m = io::import_onnx(f.dir + "/train.onnx");
  const prune::ChannelGroups cg = prune::analyse_channels(m.graph);
  const prune::PruningChoice c =
      prune::choose_channels(m, cg, prune::channel_scores(m, cg, prune::Criterion::l1, 1), 0.3);
  EXPECT_GE(c.level(), 0.3);
  EXPECT_LE(static_cast<double>(c.params_before - c.params_after) - 0.3 * static_cast<double>(c.params_before),
            static_cast<double>(prune::largest_channel_cost(m.graph, cg)))
      << "overshoots the level by more than one channel's parameters";
  Network p = prune::apply_pruning(m, cg, c.keep);
  CompileOptions o;
  o.batch = f.batch();
  o.optimizer.lr = 1e-3;
  Plan plan = compile(p.graph, o);
  OptimizerState opt(p.graph, plan.trainable, o.optimizer);
  Executor exec(plan, p.params, &opt);
  exec.set_learning_rate(1e-3);
  const std::vector<float> input = f.at("input").floats();
  exec.run(input.data(), f.at("labels").as<int32_t>());
  EXPECT_TRUE(std::isfinite(exec.loss()));
  const std::string path = fs::temp_directory_path().string() + "/pruned_" + arch() + ".onnx";
  io::export_onnx(p, path);
  const BackendChoice oracle = parse_backend_choice(oracle_backend(arch()));
  EXPECT_EQ(predict_logits(p, input.data(), f.batch(), oracle),
            predict_logits(io::import_onnx(path), input.data(), f.batch(), oracle));
  fs::remove(path);
}

// Every fixture on its oracle backend and on oneDNN.
std::vector<Param> fixtures_and_backends() {
  std::vector<Param> out;
  for (const char* arch : {"resnet18", "mobilenet_v2", "squeezenet1_1", "alexnet", "vgg11_bn", "googlenet", "tiny_ops",
                           "mobilenet_v3_small", "mnasnet0_5", "efficientnet_b0", "shufflenet_v2_x0_5"})
    for (const std::string& backend : {oracle_backend(arch), std::string("onednn")}) out.emplace_back(arch, backend);
  return out;
}

INSTANTIATE_TEST_SUITE_P(Torchvision, OnnxModel, ::testing::ValuesIn(fixtures_and_backends()),
                         [](const auto& p) { return std::get<0>(p.param) + "_" + std::get<1>(p.param); });

}  // namespace
}  // namespace edgetrain
