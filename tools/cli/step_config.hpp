// The training configuration that plan, bench and predict describe: a model, a batch size, what
// trains, the optimizer and the kernels — turned into TrainingOptions or CompileOptions.
#pragma once
#include <CLI/CLI.hpp>
#include <string>

#include "compile/compile.hpp"
#include "edgetrain/training_session.hpp"
#include "model_spec.hpp"

namespace edgetrain::cli {

struct StepConfig {
  ModelSpec model;
  int64_t batch = 32;
  std::string trainable = "all";
  std::string optimizer = "sgd";
  bool freeze_bn = false;
  std::string backend = "auto";
  std::string precision = "f32";
};

void add_step_options(CLI::App& app, StepConfig& c);
// The configuration as the public API takes it (predict) and as the compiler does (bench).
TrainingOptions training_options(const StepConfig& c, int64_t batch);
CompileOptions compile_options(const StepConfig& c, int64_t batch);

}  // namespace edgetrain::cli
