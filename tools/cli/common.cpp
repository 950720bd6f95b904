#include "common.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "api/handles.hpp"
#include "core/check.hpp"
#include "io/atomic_file.hpp"

namespace edgetrain::cli {

namespace fs = std::filesystem;

void add_data_options(CLI::App& app, DataSpec& spec) {
  app.add_option("--data", spec.spec,
                 "training data: fashion-mnist[:DIR] | idx:IMAGES,LABELS | cifar10:DIR | cifar100:DIR | folder:DIR")
      ->capture_default_str();
  app.add_option("--test-data", spec.test_spec, "test data (same syntax; default: the data set's test split)");
  app.add_option("--classes", spec.classes, "train/test on a class subset: names or indices, comma-separated");
  app.add_flag("--keep-labels", spec.keep_labels, "with --classes: keep the original labels instead of 0..k-1");
}

void add_precision_option(CLI::App& app, std::string& precision) {
  app.add_option(
         "--precision", precision,
         "activations and gradients: f32, bf16, fx8, fx12, fx14, fx16 (dynamic fixed point), or muppet (fx8 up to "
         "f32 by MuPPET's policy; train only). Weights, optimizer state and loss stay f32")
      ->capture_default_str();
}

Datasets open_datasets(const DataSpec& spec, const Shape& chw) {
  DataOptions o;
  if (chw.rank() == 3) o.input_chw = chw.dims();
  if (!spec.classes.empty()) o.classes = data::split_list(spec.classes, ',');
  o.remap_labels = !spec.keep_labels;
  Datasets d{Dataset::open(spec.spec, o), std::nullopt};
  if (!spec.test_spec.empty())
    d.test = Dataset::open(spec.test_spec, o);
  else if (Dataset::has_test_split(spec.spec))
    d.test = Dataset::open(spec.spec, o, true);
  return d;
}

DataSplits open_data(const DataSpec& spec, const Shape& chw) {
  Datasets d = open_datasets(spec, chw);
  return {d.train.handle().set, d.test ? d.test->handle().set : nullptr};
}

Shape parse_chw(const std::string& t) {
  auto parts = data::split_list(t, 'x');
  ET_REQUIRE(parts.size() == 3, "input size '{}' not understood: use CxHxW, e.g. 3x32x32", t);
  std::vector<int64_t> d;
  for (auto& p : parts) {
    char* end = nullptr;
    long v = std::strtol(p.c_str(), &end, 10);
    ET_REQUIRE(*end == '\0' && v > 0, "input size '{}' not understood: use CxHxW, e.g. 3x32x32", t);
    d.push_back(v);
  }
  return Shape(d);
}

Progress::Progress(std::string label, int64_t total) : label_(std::move(label)), total_(total), tty_(isatty(2)) {}

void Progress::update(int64_t done, const std::string& status) {
  if (total_ <= 0) return;
  if (tty_) {
    const int width = 30;
    int filled = static_cast<int>(width * done / total_);
    std::fprintf(stderr, "\r%s [%s%s] %3d%% %s\033[K", label_.c_str(),
                 std::string(static_cast<size_t>(filled), '#').c_str(),
                 std::string(static_cast<size_t>(width - filled), '.').c_str(), static_cast<int>(100 * done / total_),
                 status.c_str());
  } else {
    int quarter = static_cast<int>(4 * done / total_);
    if (quarter != last_quarter_ && quarter > 0) {
      std::fprintf(stderr, "%s %3d%% %s\n", label_.c_str(), 25 * quarter, status.c_str());
      last_quarter_ = quarter;
    }
  }
}

void Progress::finish() {
  if (tty_) std::fprintf(stderr, "\r\033[K");
}

nlohmann::json plan_json(const PlanSummary& plan) {
  const MemoryBreakdown& m = plan.memory;
  const nlohmann::json kinds = {{"io", m.io},
                                {"activations", m.activations},
                                {"saved_aux", m.saved},
                                {"activation_grads", m.activation_grads},
                                {"weight_grads", m.weight_grads},
                                {"workspace", m.workspace}};
  return {{"batch", plan.batch},
          {"training", plan.training},
          {"trainable_tensors", plan.trainable_tensors},
          {"steps", plan.steps},
          {"backward_steps", plan.backward_steps},
          {"weights_bytes", m.weights},
          {"bn_state_bytes", m.bn_state},
          {"optimizer_state_bytes", m.optimizer_state},
          {"planned_requests_bytes", kinds},
          {"arena_bytes", m.arena},
          {"kernel_workspace_bytes", m.kernel_workspace},
          {"peak_bytes", m.total},
          {"forward_macs", plan.forward_macs},
          {"step_macs", plan.step_macs}};
}

void print_plan(const PlanSummary& plan) {
  const MemoryBreakdown& m = plan.memory;
  fmt::print("memory plan (batch {}, {}):\n", plan.batch, plan.training ? "training step" : "inference");
  fmt::print("  weights            {:>12}\n", format_bytes(m.weights));
  fmt::print("  BN statistics      {:>12}\n", format_bytes(m.bn_state));
  fmt::print("  optimizer state    {:>12}\n", format_bytes(m.optimizer_state));
  fmt::print(
      "  planned arena      {:>12}   (requested before reuse: activations {}, saved extras {}, "
      "activation grads {}, weight grads {}, workspace {}, input {})\n",
      format_bytes(m.arena), format_bytes(m.activations), format_bytes(m.saved), format_bytes(m.activation_grads),
      format_bytes(m.weight_grads), format_bytes(m.workspace), format_bytes(m.io));
  fmt::print("  kernel workspace   {:>12}   (GEMM packing, per thread, persistent)\n",
             format_bytes(m.kernel_workspace));
  fmt::print("  peak               {:>12}\n", format_bytes(m.total));
}

double level_between(const Model& before, const Model& after) {
  return 1.0 - static_cast<double>(after.parameter_count()) / static_cast<double>(before.parameter_count());
}

std::string shape_text(const std::vector<int64_t>& dims) { return fmt::format("[{}]", fmt::join(dims, "x")); }

void write_json(const std::string& path, const nlohmann::json& report) {
  if (path.empty()) return;
  write_text(path, report.dump(2) + "\n");
}

void write_text(const std::string& path, const std::string& text) { io::write_file_atomic(path, text); }

PruneCriterion parse_prune_criterion(const std::string& name) {
  if (name == "l1") return PruneCriterion::l1;
  if (name == "random") return PruneCriterion::random;
  if (name == "activation") return PruneCriterion::activation;
  if (name == "apoz") return PruneCriterion::apoz;
  if (name == "taylor") return PruneCriterion::taylor;
  fail("unknown pruning criterion '{}' (l1, random, activation, apoz, taylor)", name);
}

std::vector<std::string> split_list(const std::string& text, char separator) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(separator, start), text.size());
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace edgetrain::cli
