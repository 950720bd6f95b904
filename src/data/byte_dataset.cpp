#include "data/byte_dataset.hpp"

#include "core/check.hpp"

namespace edgetrain::data {

ByteDataset::ByteDataset(Shape sample_shape, std::vector<uint8_t> pixels,
                         std::vector<int32_t> labels, std::vector<std::string> class_names)
    : shape_(std::move(sample_shape)),
      sample_numel_(shape_.numel()),
      pixels_(std::move(pixels)),
      labels_(std::move(labels)),
      names_(std::move(class_names)) {
  ET_ASSERT(shape_.rank() == 3);
  ET_ASSERT(static_cast<int64_t>(pixels_.size()) == sample_numel_ * size());
  for (int b = 0; b < 256; ++b) to_float_[static_cast<size_t>(b)] = static_cast<float>(b) / 255.0f;
}

int32_t ByteDataset::label(int64_t i) const {
  ET_REQUIRE(i >= 0 && i < size(), "dataset: sample index {} out of range [0, {})", i, size());
  return labels_[static_cast<size_t>(i)];
}

void ByteDataset::read(int64_t i, float* dst) const {
  ET_REQUIRE(i >= 0 && i < size(), "dataset: sample index {} out of range [0, {})", i, size());
  const uint8_t* src = pixels_.data() + i * sample_numel_;
  for (int64_t k = 0; k < sample_numel_; ++k) dst[k] = to_float_[src[k]];
}

std::vector<std::string> numbered_class_names(int64_t count) {
  std::vector<std::string> names;
  names.reserve(static_cast<size_t>(count));
  for (int64_t k = 0; k < count; ++k) names.push_back(std::to_string(k));
  return names;
}

}  // namespace edgetrain::data
