// Public options -> internal configurations, and internal results -> public ones.
#pragma once
#include <string>
#include <vector>

#include "compile/compile.hpp"
#include "core/shape.hpp"
#include "edgetrain/options.hpp"
#include "edgetrain/training_session.hpp"
#include "graph/trainable.hpp"
#include "optim/optimizer_config.hpp"
#include "optim/schedule.hpp"

namespace edgetrain::api {

std::string backend_name(Backend b);  // "auto" | "onednn" | "native" | "ref"
BackendChoice to_internal(Backend b);
Backend backend_from_name(const std::string& name);
// Sets the engine fields (backend, planner, layouts, fusion, Winograd) of `o`.
void apply_engine(CompileOptions& o, const EngineOptions& engine);
// The element type of activations a precision compiles to (muppet: its first regime, fx8).
DType activation_type(Precision precision);
optim::OptimizerConfig to_internal(const OptimizerOptions& o);
optim::ScheduleConfig to_internal(const ScheduleOptions& s);
TrainableSpec to_internal(const Trainable& t);
Trainable from_internal(const TrainableSpec& t);
Optimizer from_internal(optim::OptimizerKind k);
Schedule from_internal(optim::ScheduleKind k);
std::string_view name_of(Optimizer k);  // "sgd" | "adam" | "adamw"
std::string_view name_of(Schedule k);   // "constant" | "step" | "cosine"
MemoryBreakdown to_public(const PlanBreakdown& b);
PlanSummary summarize(const Plan& plan);
// The training step's compile options.
CompileOptions training_compile_options(const TrainingOptions& o);
// Inference plans read the model's weights row-major, so sessions over one model never convert its
// bytes while another reads them.
CompileOptions inference_compile_options(const EngineOptions& engine, int64_t batch);

std::vector<int64_t> dims(const Shape& s);
// A {C, H, W} shape; Error naming `what` otherwise.
Shape chw_shape(const std::vector<int64_t>& chw, const char* what);

}  // namespace edgetrain::api
