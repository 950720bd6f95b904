// Float images and labels the application owns, copied in or borrowed.
#include <algorithm>
#include <cstring>

#include "core/check.hpp"
#include "data/byte_dataset.hpp"
#include "data/dataset.hpp"

namespace edgetrain::data {

namespace {

class ArrayDataset final : public Dataset {
 public:
  ArrayDataset(const float* images, const int32_t* labels, int64_t n, Shape chw, std::vector<std::string> names,
               bool copy)
      : shape_(std::move(chw)), sample_numel_(shape_.numel()), n_(n), names_(std::move(names)) {
    if (copy) {
      images_copy_.assign(images, images + n * sample_numel_);
      labels_copy_.assign(labels, labels + n);
      images = images_copy_.data();
      labels = labels_copy_.data();
    }
    images_ = images;
    labels_ = labels;
  }
  int64_t size() const override { return n_; }
  Shape sample_shape() const override { return shape_; }
  const std::vector<std::string>& class_names() const override { return names_; }
  int32_t label(int64_t i) const override { return labels_[i]; }
  void read(int64_t i, float* dst) const override {
    std::memcpy(dst, images_ + i * sample_numel_, static_cast<size_t>(sample_numel_) * sizeof(float));
  }
  std::size_t resident_bytes() const override {
    return (images_copy_.size() * sizeof(float)) + labels_copy_.size() * sizeof(int32_t);
  }

 private:
  Shape shape_;
  int64_t sample_numel_;
  int64_t n_;
  std::vector<std::string> names_;
  std::vector<float> images_copy_;
  std::vector<int32_t> labels_copy_;
  const float* images_ = nullptr;
  const int32_t* labels_ = nullptr;
};

}  // namespace

std::unique_ptr<Dataset> from_arrays(const float* images, const int32_t* labels, int64_t n, const Shape& chw,
                                     std::vector<std::string> class_names, bool copy) {
  ET_REQUIRE(n > 0 && images && labels, "an array data set needs n > 0 images and labels, got n = {}", n);
  ET_REQUIRE(chw.rank() == 3 && chw.numel() > 0, "array images must be {{C, H, W}}, got {}", chw.str());
  int32_t max_label = 0;
  for (int64_t i = 0; i < n; ++i) {
    ET_REQUIRE(labels[i] >= 0, "label {} of sample {} is negative", labels[i], i);
    max_label = std::max(max_label, labels[i]);
  }
  if (class_names.empty()) class_names = numbered_class_names(max_label + 1);
  ET_REQUIRE(max_label < static_cast<int32_t>(class_names.size()),
             "label {} is outside the {} class names given", max_label, class_names.size());
  return std::make_unique<ArrayDataset>(images, labels, n, chw, std::move(class_names), copy);
}

}  // namespace edgetrain::data
