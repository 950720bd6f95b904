// What an `edgetrain train` process holds beyond its training step (the plan, the process around it,
// the caller's batch): the data set in memory, the loader's ring of prepared batches, and the two
// moments that add more at the end of every epoch — evaluation (an inference plan and its batches)
// and checkpointing (copies of every tensor and the serialised file). `edgetrain predict --data`
// adds these to the step's prediction; train.cpp uses the same constants.
#pragma once
#include <cstddef>
#include <cstdint>

#include "common.hpp"
#include "runtime/plan.hpp"

namespace edgetrain::cli {

inline constexpr int64_t kEvalBatch = 256;  // evaluate() batch of the train verb

struct TrainProcessMemory {
  std::size_t data = 0;              // the train and test splits, as stored (u8 pixels, i32 labels)
  std::size_t loader = 0;            // the loader's ring and the trainer's batch
  std::size_t evaluation = 0;        // while evaluating: inference arena, its loader and batch
  std::size_t checkpoint = 0;        // while saving: tensor copies and the file's bytes
  std::size_t peak_extra() const { return data + loader + (evaluation > checkpoint ? evaluation : checkpoint); }
};

// `eval_plan` is the inference plan train compiles for evaluation (kEvalBatch, or the test size).
TrainProcessMemory train_process_memory(const Plan& train_plan, const Plan* eval_plan, const DataSplits& data);

}  // namespace edgetrain::cli
