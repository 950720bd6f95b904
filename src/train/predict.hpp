// Inference on caller memory: the logits of a batch of (already normalised) images.
#pragma once
#include <string>
#include <vector>

#include "kernels/backend.hpp"
#include "runtime/network.hpp"

namespace edgetrain {

// Logits [n, K], row-major, of n images [n, C, H, W] in inference mode (BatchNorm on running
// statistics, Dropout off).
std::vector<float> predict_logits(const Network& model, const float* images, int64_t n,
                                  BackendChoice backend = std::nullopt);

}  // namespace edgetrain
