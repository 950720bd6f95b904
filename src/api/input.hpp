// Caller batches into a plan's input buffer, normalised with the model's mean/std on the way.
#pragma once
#include <cstdint>

#include "runtime/network.hpp"

namespace edgetrain::api {

// Copies n images [n, C, H, W] from src to dst, as (x - mean[c]) / std[c] when `normalize` and the
// network has a normalisation (one value or one per channel), else as they are. Allocates nothing.
void copy_input(const Network& net, bool normalize, const float* src, int64_t n, float* dst);

}  // namespace edgetrain::api
