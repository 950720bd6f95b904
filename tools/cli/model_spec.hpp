// The model a verb works on: a zoo architecture, an ONNX file (--model file.onnx) or a checkpoint.
#pragma once
#include <CLI/CLI.hpp>
#include <string>

#include "edgetrain/model.hpp"
#include "runtime/network.hpp"

namespace edgetrain::cli {

struct ModelSpec {
  std::string arch = "fmnist-cnn";
  std::string checkpoint;  // load this instead of building arch
  std::string input;       // CxHxW; default: the data's sample shape, else the architecture's own
  double width_mult = 1.0;
  int64_t num_classes = 0;  // 0: from the data, else 10
};

bool is_onnx_file(const std::string& arch);
void add_model_options(CLI::App& app, ModelSpec& spec);
// The input shape: --input, else data_chw when given (rank 3), else the architecture's default.
Shape model_input(const ModelSpec& spec, const Shape& data_chw);
// The model of the spec through the public API: a checkpoint, an ONNX file (re-targeted when
// --num-classes differs) or a zoo architecture with num_classes outputs (--num-classes, else the
// data's, else 10) at model_input(spec, data_chw).
Model open_api_model(const ModelSpec& spec, int64_t num_classes, const Shape& data_chw, uint64_t seed);
// The same as an internal network (for the verbs that still work on the internals).
Network open_model(const ModelSpec& spec, int64_t num_classes, const Shape& data_chw, uint64_t seed);

}  // namespace edgetrain::cli
