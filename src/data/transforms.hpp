// Per-sample augmentation of CHW float samples: random crop with zero padding (same output size),
// random horizontal flip, then per-channel normalisation (x - mean) / std. Crop and flip act on the
// [0, 1] pixels, so padding is 0 before normalisation (torchvision's RandomCrop -> Normalize order).
#pragma once
#include <cstdint>
#include <vector>

#include "core/shape.hpp"

namespace edgetrain::data {

struct Augment {
  std::vector<float> mean, std;  // per channel (or one value for all); empty = no normalisation
  int crop_padding = 0;          // pad by this many zeros on each side, crop back at random
  bool horizontal_flip = false;  // mirror with probability 1/2
};

// The random choices for one sample.
struct AugmentDraw {
  int crop_y = 0, crop_x = 0;  // top-left of the crop window in the padded image, [0, 2 * padding]
  bool flip = false;
};

// Throws Error when `augment` does not fit samples of `sample_shape` ({C, H, W}).
void validate_augment(const Augment& augment, const Shape& sample_shape);

// True when apply_augment would change anything.
bool augment_active(const Augment& augment);

// The draw for key (a pure function of augment and key).
AugmentDraw draw_augment(const Augment& augment, uint64_t key);

// Applies `draw` to one sample in place. sample, scratch: C*H*W floats.
void apply_augment(const Augment& augment, const Shape& sample_shape, const AugmentDraw& draw,
                   float* sample, float* scratch);

}  // namespace edgetrain::data
