// Shared pieces of the CLI verbs: data-set specs, byte sizes, the progress bar, JSON reports.
#pragma once
#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/bytes.hpp"
#include "data/dataset.hpp"
#include "runtime/plan.hpp"
#include "runtime/model.hpp"

namespace edgetrain::cli {

struct DataSpec {
  std::string spec = "fashion-mnist";  // fashion-mnist[:DIR] | idx:IMAGES,LABELS | cifar10:DIR | cifar100:DIR | folder:DIR
  std::string test_spec;               // same syntax; default: the spec's own test split where it has one
  std::string classes;                 // subset: comma-separated names or indices
  bool keep_labels = false;            // subset keeps the original labels (default: remapped 0..k-1)
};

struct DataSplits {
  std::shared_ptr<const data::Dataset> train, test;  // test may be null
};

// input_chw is used by image folders (resize target); ignored otherwise.
DataSplits open_data(const DataSpec& spec, const Shape& input_chw);
void add_data_options(CLI::App& app, DataSpec& spec);

std::size_t parse_bytes(const std::string& text);  // "512M", "2G", "1000000"
Shape parse_chw(const std::string& text);            // "3x32x32"

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

nlohmann::json plan_json(const Plan& plan);
void print_plan(const Plan& plan);
// Writes a JSON report atomically when path is not empty.
void write_json(const std::string& path, const nlohmann::json& report);

}  // namespace edgetrain::cli
