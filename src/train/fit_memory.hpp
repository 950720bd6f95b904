// What a fit() over a data set holds beyond its training step (the plan, the process around it, the
// caller's batch): the data sets in memory, the loader's ring of prepared batches, and the two
// moments that add more at the end of every epoch — evaluation (an inference plan and its batches)
// and checkpointing (copies of every tensor and the serialised file). The predictor adds these to a
// step's prediction (Predictor::estimate_fit).
#pragma once
#include <cstddef>
#include <cstdint>

#include "data/dataset.hpp"
#include "runtime/plan.hpp"

namespace edgetrain {

struct FitMemory {
  std::size_t data = 0;        // the train and test sets, as stored (u8 pixels, i32 labels)
  std::size_t loader = 0;      // the loader's ring and the trainer's batch
  std::size_t evaluation = 0;  // while evaluating: inference arena, its loader and batch
  std::size_t checkpoint = 0;  // while saving: tensor copies and the file's bytes
  std::size_t peak_extra() const { return data + loader + (evaluation > checkpoint ? evaluation : checkpoint); }
};

// `eval_plan` is the inference plan the per-epoch evaluation compiles (null: no test set).
FitMemory fit_memory(const Plan& train_plan, const Plan* eval_plan, const data::Dataset& train,
                     const data::Dataset* test);

}  // namespace edgetrain
