#include "common.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "core/check.hpp"
#include "io/atomic_file.hpp"

namespace edgetrain::cli {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t p = s.find(sep, start);
    if (p == std::string::npos) p = s.size();
    if (p > start) out.push_back(s.substr(start, p - start));
    start = p + 1;
  }
  return out;
}

struct OpenedSpec {
  std::shared_ptr<const data::Dataset> train, test;
};

OpenedSpec open_one(const std::string& spec, const Shape& chw, bool want_test_split) {
  auto colon = spec.find(':');
  std::string kind = spec.substr(0, colon);
  std::string arg = colon == std::string::npos ? "" : spec.substr(colon + 1);
  OpenedSpec o;
  if (kind == "fashion-mnist") {
    std::string dir = arg.empty() ? data::default_fashion_mnist_dir() : arg;
    o.train = data::open_fashion_mnist(dir, true);
    if (want_test_split) o.test = data::open_fashion_mnist(dir, false);
  } else if (kind == "idx") {
    auto files = split(arg, ',');
    ET_REQUIRE(files.size() == 2, "data spec '{}': use idx:IMAGES,LABELS", spec);
    o.train = data::open_idx(files[0], files[1]);
  } else if (kind == "cifar10") {
    std::vector<std::string> train;
    for (int i = 1; i <= 5; ++i) train.push_back((fs::path(arg) / fmt::format("data_batch_{}.bin", i)).string());
    o.train = data::open_cifar(train, false);
    if (want_test_split) o.test = data::open_cifar({(fs::path(arg) / "test_batch.bin").string()}, false);
  } else if (kind == "cifar100") {
    o.train = data::open_cifar({(fs::path(arg) / "train.bin").string()}, true);
    if (want_test_split) o.test = data::open_cifar({(fs::path(arg) / "test.bin").string()}, true);
  } else if (kind == "folder") {
    ET_REQUIRE(!arg.empty(), "data spec '{}': use folder:DIR", spec);
    ET_REQUIRE(chw.rank() == 3, "image folders need an input size (--input CxHxW)");
    o.train = data::open_image_folder(arg, static_cast<int>(chw[1]), static_cast<int>(chw[2]), static_cast<int>(chw[0]));
  } else {
    fail("data spec '{}' not understood: use fashion-mnist[:DIR], idx:IMAGES,LABELS, cifar10:DIR, cifar100:DIR "
         "or folder:DIR",
         spec);
  }
  return o;
}

}  // namespace

void add_data_options(CLI::App& app, DataSpec& spec) {
  app.add_option("--data", spec.spec,
                 "training data: fashion-mnist[:DIR] | idx:IMAGES,LABELS | cifar10:DIR | cifar100:DIR | folder:DIR")
      ->capture_default_str();
  app.add_option("--test-data", spec.test_spec, "test data (same syntax; default: the data set's test split)");
  app.add_option("--classes", spec.classes, "train/test on a class subset: names or indices, comma-separated");
  app.add_flag("--keep-labels", spec.keep_labels, "with --classes: keep the original labels instead of 0..k-1");
}

DataSplits open_data(const DataSpec& spec, const Shape& chw) {
  OpenedSpec o = open_one(spec.spec, chw, spec.test_spec.empty());
  if (!spec.test_spec.empty()) o.test = open_one(spec.test_spec, chw, false).train;
  if (!spec.classes.empty()) {
    auto classes = split(spec.classes, ',');
    o.train = data::class_subset(o.train, classes, !spec.keep_labels);
    if (o.test) o.test = data::class_subset(o.test, classes, !spec.keep_labels);
  }
  return {o.train, o.test};
}


std::size_t parse_bytes(const std::string& t) {
  char* end = nullptr;
  double v = std::strtod(t.c_str(), &end);
  ET_REQUIRE(end != t.c_str() && v > 0, "size '{}' not understood: use e.g. 512M, 2G or a byte count", t);
  std::string unit(end);
  double mult = 1;
  if (unit == "K" || unit == "KiB" || unit == "k") mult = 1024.0;
  else if (unit == "M" || unit == "MiB") mult = 1024.0 * 1024;
  else if (unit == "G" || unit == "GiB") mult = 1024.0 * 1024 * 1024;
  else ET_REQUIRE(unit.empty(), "size '{}' not understood: use e.g. 512M, 2G or a byte count", t);
  return static_cast<std::size_t>(v * mult);
}

Shape parse_chw(const std::string& t) {
  auto parts = split(t, 'x');
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
    std::fprintf(stderr, "\r%s [%s%s] %3d%% %s\033[K", label_.c_str(), std::string(static_cast<size_t>(filled), '#').c_str(),
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

nlohmann::json plan_json(const Plan& plan) {
  const MemoryBreakdown& m = plan.breakdown;
  nlohmann::json kinds = nlohmann::json::object();
  for (int k = 0; k < 6; ++k) kinds[std::string(buffer_kind_name(static_cast<BufferKind>(k)))] = m.by_kind[k];
  int64_t trainable = 0, steps_bwd = 0;
  for (bool t : plan.trainable) trainable += t;
  for (const Step& s : plan.steps) steps_bwd += s.kind == StepKind::kernel && s.pass != Pass::fwd;
  return {{"batch", plan.batch},
          {"training", plan.training},
          {"trainable_tensors", trainable},
          {"steps", plan.steps.size()},
          {"backward_steps", steps_bwd},
          {"weights_bytes", m.weights},
          {"bn_state_bytes", m.state},
          {"optimizer_state_bytes", m.optimizer_state},
          {"planned_requests_bytes", kinds},
          {"arena_bytes", m.arena},
          {"kernel_workspace_bytes", m.kernel_workspace},
          {"peak_bytes", m.total()},
          {"forward_macs", plan.forward_macs},
          {"step_macs", plan.trained_macs}};
}

void print_plan(const Plan& plan) {
  const MemoryBreakdown& m = plan.breakdown;
  auto k = [&](BufferKind kind) { return m.by_kind[static_cast<int>(kind)]; };
  fmt::print("memory plan (batch {}, {}):\n", plan.batch, plan.training ? "training step" : "inference");
  fmt::print("  weights            {:>12}\n", human_bytes(m.weights));
  fmt::print("  BN statistics      {:>12}\n", human_bytes(m.state));
  fmt::print("  optimizer state    {:>12}\n", human_bytes(m.optimizer_state));
  fmt::print("  planned arena      {:>12}   (requested before reuse: activations {}, saved extras {}, "
             "activation grads {}, weight grads {}, workspace {}, input {})\n",
             human_bytes(m.arena), human_bytes(k(BufferKind::activation)), human_bytes(k(BufferKind::saved_aux)),
             human_bytes(k(BufferKind::activation_grad)), human_bytes(k(BufferKind::weight_grad)),
             human_bytes(k(BufferKind::workspace)), human_bytes(k(BufferKind::io)));
  fmt::print("  kernel workspace   {:>12}   (GEMM packing, per thread, persistent)\n", human_bytes(m.kernel_workspace));
  fmt::print("  peak               {:>12}\n", human_bytes(m.total()));
}

void write_json(const std::string& path, const nlohmann::json& report) {
  if (path.empty()) return;
  io::write_file_atomic(path, report.dump(2) + "\n");
}

}  // namespace edgetrain::cli
