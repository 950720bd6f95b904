// Channel counts that are not multiples of 16 (pruned networks) round up to 16 in scratch, so oneDNN's
// blocked JIT kernels (and edgetrain's blocked loops) take problems oneDNN 2.6 otherwise runs with its
// GEMM-based convolution, or naive: a convolution's bwd_data and bwd_weights with an input-channel
// tail (oneDNN has no JIT for them even given a padded nChw16c layout; a pruned ResNet-20's 7 -> 32
// channel bwd_data took 2x its unpruned 32 -> 32 twin). The padded channels are zero in the data and
// the filter, so they add nothing; their gradients are dropped. A tensor that is already blocked16 with
// padding lanes (core/layout.hpp) is used as it is: its padding lanes meet the filter's zeros.
#pragma once
#include <cstdint>

#include "core/layout.hpp"

namespace edgetrain::onednn::channel_padding {

// NCHW [N, C, S] -> nChw16c [N, blocked_channels(C)/16, S, 16], the extra channels zero.
void to_padded_blocked(const float* in, int64_t N, int64_t C, int64_t S, float* out);
// nChw16c [N, blocked_channels(C)/16, S, 16] -> NCHW [N, C, S]: the first C channels.
void from_padded_blocked(const float* in, int64_t N, int64_t C, int64_t S, float* out);

// A filter [OC, IC, taps] -> [OC, blocked_channels(IC), taps] (row-major), zero for the extra input channels.
// `offsets` (OC * IC * taps, or null: row-major) gives where each row-major element of w is: a
// blocked weight layout (core/param_layout.hpp).
void pad_filter_inputs(const float* w, const int64_t* offsets, int64_t OC, int64_t IC, int64_t taps, float* out);
// [OC, blocked_channels(IC), taps] -> [OC, IC, taps] at `offsets` (or row-major): the real input channels.
void unpad_filter_inputs(const float* padded_w, const int64_t* offsets, int64_t OC, int64_t IC, int64_t taps,
                         float* out);

}  // namespace edgetrain::onednn::channel_padding
