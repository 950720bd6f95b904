// class_subset: a view of the samples of some classes of a base dataset.
#include <algorithm>

#include "core/check.hpp"
#include "data/dataset.hpp"

namespace edgetrain::data {
namespace {

class SubsetDataset final : public Dataset {
 public:
  SubsetDataset(std::shared_ptr<const Dataset> base, std::vector<int64_t> indices,
                std::vector<int32_t> labels, std::vector<std::string> names)
      : base_(std::move(base)),
        indices_(std::move(indices)),
        labels_(std::move(labels)),
        names_(std::move(names)) {}

  int64_t size() const override { return static_cast<int64_t>(indices_.size()); }
  Shape sample_shape() const override { return base_->sample_shape(); }
  const std::vector<std::string>& class_names() const override { return names_; }
  int32_t label(int64_t i) const override {
    check(i);
    return labels_[static_cast<size_t>(i)];
  }
  void read(int64_t i, float* dst) const override {
    check(i);
    base_->read(indices_[static_cast<size_t>(i)], dst);
  }
  std::size_t resident_bytes() const override {  // the whole base stays loaded
    return base_->resident_bytes() + indices_.size() * sizeof(int64_t) + labels_.size() * sizeof(int32_t);
  }

 private:
  void check(int64_t i) const {
    ET_REQUIRE(i >= 0 && i < size(), "class subset: sample index {} out of range [0, {})", i,
               size());
  }
  std::shared_ptr<const Dataset> base_;
  std::vector<int64_t> indices_;  // subset sample -> base sample
  std::vector<int32_t> labels_;   // subset sample -> label (remapped or original)
  std::vector<std::string> names_;
};

bool is_index(const std::string& s) {
  return !s.empty() && s.size() <= 9 && std::all_of(s.begin(), s.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
}

// Class index of `entry`: an exact class name first, else a decimal index.
int32_t resolve_class(const std::vector<std::string>& names, const std::string& entry) {
  auto it = std::find(names.begin(), names.end(), entry);
  if (it != names.end()) return static_cast<int32_t>(it - names.begin());
  if (is_index(entry)) {
    const int64_t k = std::stoll(entry);
    if (k < static_cast<int64_t>(names.size())) return static_cast<int32_t>(k);
  }
  std::string valid;
  for (size_t k = 0; k < names.size(); ++k)
    valid += fmt::format("{}{} ({})", k ? ", " : "", names[k], k);
  fail("class subset: unknown class '{}'; valid classes (name or index): {}", entry, valid);
}

}  // namespace

std::unique_ptr<Dataset> class_subset(std::shared_ptr<const Dataset> base,
                                      const std::vector<std::string>& classes, bool remap_labels) {
  ET_REQUIRE(base != nullptr, "class_subset: base dataset is null");
  ET_REQUIRE(!classes.empty(), "class_subset: no classes given; name at least one class");
  const std::vector<std::string>& names = base->class_names();
  std::vector<int32_t> new_label(names.size(), -1);  // base label -> subset label, -1 = excluded
  std::vector<std::string> subset_names;
  for (const std::string& entry : classes) {
    const int32_t k = resolve_class(names, entry);
    ET_REQUIRE(new_label[static_cast<size_t>(k)] < 0,
               "class subset: class '{}' ({}) is listed twice; list each class once", names[k], k);
    new_label[static_cast<size_t>(k)] = static_cast<int32_t>(subset_names.size());
    subset_names.push_back(names[static_cast<size_t>(k)]);
  }
  std::vector<int64_t> indices;
  std::vector<int32_t> labels;
  for (int64_t i = 0; i < base->size(); ++i) {
    const int32_t l = base->label(i);
    ET_ASSERT(l >= 0 && static_cast<size_t>(l) < new_label.size());
    if (new_label[static_cast<size_t>(l)] < 0) continue;
    indices.push_back(i);
    labels.push_back(remap_labels ? new_label[static_cast<size_t>(l)] : l);
  }
  ET_REQUIRE(!indices.empty(), "class subset: the chosen classes have no samples in the dataset");
  std::vector<std::string> out_names = remap_labels ? std::move(subset_names) : names;
  return std::make_unique<SubsetDataset>(std::move(base), std::move(indices), std::move(labels),
                                         std::move(out_names));
}

}  // namespace edgetrain::data
