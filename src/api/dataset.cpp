#include "api/convert.hpp"
#include "api/handles.hpp"
#include "core/check.hpp"
#include "edgetrain/data.hpp"

namespace edgetrain {

Dataset Dataset::open(const std::string& spec, const DataOptions& options, bool test) {
  const Shape chw = options.input_chw.empty() ? Shape{} : api::chw_shape(options.input_chw, "DataOptions::input_chw");
  std::shared_ptr<const data::Dataset> set = data::open_spec(spec, chw, test);
  if (!options.classes.empty()) set = data::class_subset(set, options.classes, options.remap_labels);
  return detail::DatasetHandle::make(std::move(set));
}

bool Dataset::has_test_split(const std::string& spec) { return data::spec_has_test_split(spec); }

Dataset Dataset::from_arrays(const float* images, const int32_t* labels, int64_t n, std::vector<int64_t> chw,
                             std::vector<std::string> class_names) {
  return detail::DatasetHandle::make(
      data::from_arrays(images, labels, n, api::chw_shape(chw, "from_arrays: chw"), std::move(class_names), true));
}

Dataset Dataset::view_arrays(const float* images, const int32_t* labels, int64_t n, std::vector<int64_t> chw,
                             std::vector<std::string> class_names) {
  return detail::DatasetHandle::make(
      data::from_arrays(images, labels, n, api::chw_shape(chw, "view_arrays: chw"), std::move(class_names), false));
}

int64_t Dataset::size() const { return handle_->set->size(); }
std::vector<int64_t> Dataset::sample_shape() const { return handle_->set->sample_shape().dims(); }
const std::vector<std::string>& Dataset::class_names() const { return handle_->set->class_names(); }
int32_t Dataset::label(int64_t i) const {
  ET_REQUIRE(i >= 0 && i < size(), "sample {} is outside the data set's {} samples", i, size());
  return handle_->set->label(i);
}
void Dataset::read(int64_t i, float* dst) const {
  ET_REQUIRE(i >= 0 && i < size(), "sample {} is outside the data set's {} samples", i, size());
  handle_->set->read(i, dst);
}
Dataset Dataset::subset(const std::vector<std::string>& classes, bool remap_labels) const {
  return detail::DatasetHandle::make(data::class_subset(handle_->set, classes, remap_labels));
}
void Dataset::statistics(std::vector<float>& mean, std::vector<float>& std, int64_t max_samples) const {
  data::channel_statistics(*handle_->set, max_samples, mean, std);
}
std::size_t Dataset::resident_bytes() const { return handle_->set->resident_bytes(); }

}  // namespace edgetrain
