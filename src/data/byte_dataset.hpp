// ByteDataset: an in-memory dataset of u8 CHW samples; the storage behind IDX, CIFAR and image
// folders. read() maps byte b to b / 255.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.hpp"

namespace edgetrain::data {

class ByteDataset final : public Dataset {
 public:
  // pixels: [N, C, H, W] u8; labels: [N], each < class_names.size().
  ByteDataset(Shape sample_shape, std::vector<uint8_t> pixels, std::vector<int32_t> labels,
              std::vector<std::string> class_names);

  int64_t size() const override { return static_cast<int64_t>(labels_.size()); }
  Shape sample_shape() const override { return shape_; }
  const std::vector<std::string>& class_names() const override { return names_; }
  int32_t label(int64_t i) const override;
  void read(int64_t i, float* dst) const override;
  std::size_t resident_bytes() const override {
    return pixels_.size() + labels_.size() * sizeof(int32_t);
  }

 private:
  Shape shape_;
  int64_t sample_numel_;
  std::vector<uint8_t> pixels_;
  std::vector<int32_t> labels_;
  std::vector<std::string> names_;
  std::array<float, 256> to_float_;  // b -> b / 255, exact
};

// "0".."count-1".
std::vector<std::string> numbered_class_names(int64_t count);

}  // namespace edgetrain::data
