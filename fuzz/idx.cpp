// MNIST-family IDX images and labels from bytes. Input: a u32 (little-endian) length L, then L bytes of
// the images file, then the labels file. The data set that comes back is read at both ends.
#include <algorithm>
#include <vector>

#include "data/dataset.hpp"
#include "fuzz/fuzz_target.hpp"

namespace edgetrain::fuzz {

void fuzz_one(const uint8_t* data, size_t size) {
  if (size < 4) return;
  const uint32_t len = uint32_t{data[0]} | uint32_t{data[1]} << 8 | uint32_t{data[2]} << 16 | uint32_t{data[3]} << 24;
  const size_t split = 4 + std::min<size_t>(len, size - 4);
  std::vector<uint8_t> images(data + 4, data + split), labels(data + split, data + size);
  const auto ds = data::parse_idx(std::move(images), std::move(labels), {}, "images.idx", "labels.idx");
  std::vector<float> sample(static_cast<size_t>(ds->sample_shape().numel()));
  for (int64_t i : {int64_t{0}, ds->size() - 1}) {
    ds->read(i, sample.data());
    (void)ds->label(i);
  }
}

}  // namespace edgetrain::fuzz
