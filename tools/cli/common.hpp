// Shared pieces of the CLI verbs: data-set specs, byte sizes, the progress bar, JSON reports.
#pragma once
#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/bytes.hpp"
#include "data/dataset.hpp"
#include "edgetrain/data.hpp"
#include "edgetrain/model.hpp"
#include "edgetrain/options.hpp"

namespace edgetrain::cli {

struct DataSpec {
  std::string spec =
      "fashion-mnist";       // fashion-mnist[:DIR] | idx:IMAGES,LABELS | cifar10:DIR | cifar100:DIR | folder:DIR
  std::string test_spec;     // same syntax; default: the spec's own test split where it has one
  std::string classes;       // subset: comma-separated names or indices
  bool keep_labels = false;  // subset keeps the original labels (default: remapped 0..k-1)
};

// The training data and the test data (the --test-data spec, else the spec's own test split, else none).
struct Datasets {
  Dataset train;
  std::optional<Dataset> test;
};
// input_chw is used by image folders (resize target); ignored otherwise.
Datasets open_datasets(const DataSpec& spec, const Shape& input_chw);

struct DataSplits {
  std::shared_ptr<const data::Dataset> train, test;  // test may be null
};
// The same as internal data sets (for the verbs that still work on the internals).
DataSplits open_data(const DataSpec& spec, const Shape& input_chw);
void add_data_options(CLI::App& app, DataSpec& spec);
// --precision: the element type of activations and gradients (f32 | bf16; see edgetrain::Precision).
void add_precision_option(CLI::App& app, std::string& precision);

Shape parse_chw(const std::string& text);  // "3x32x32"

// One line redrawn in place on a terminal; on a pipe, one line per quarter.
class Progress {
 public:
  Progress(std::string label, int64_t total);
  void update(int64_t done, const std::string& status);
  void finish();

 private:
  std::string label_;
  int64_t total_;
  bool tty_;
  int last_quarter_ = -1;
};

nlohmann::json plan_json(const PlanSummary& plan);
void print_plan(const PlanSummary& plan);
// The pruning level `after` reached from `before`: the share of the parameters removed.
double level_between(const Model& before, const Model& after);
// "[1x28x28]"-style text of a shape.
std::string shape_text(const std::vector<int64_t>& dims);
// "l1", "random", "activation", "apoz", "taylor"; Error otherwise.
PruneCriterion parse_prune_criterion(const std::string& name);
// "a,b,c" -> {"a", "b", "c"} (empty items dropped).
std::vector<std::string> split_list(const std::string& text, char separator = ',');
// Writes a JSON report atomically when path is not empty.
void write_json(const std::string& path, const nlohmann::json& report);
// Writes a text file atomically.
void write_text(const std::string& path, const std::string& text);

}  // namespace edgetrain::cli
