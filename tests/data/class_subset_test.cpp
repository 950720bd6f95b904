#include <gtest/gtest.h>

#include "data/byte_dataset.hpp"
#include "data/dataset.hpp"
#include "test_files.hpp"

namespace edgetrain::data {
namespace {

using namespace test_util;

// 8 samples of shape [1, 1, 1], pixel = i, label = i % 4, classes a b c d.
std::shared_ptr<const Dataset> four_classes() {
  std::vector<uint8_t> pixels;
  std::vector<int32_t> labels;
  for (int i = 0; i < 8; ++i) {
    pixels.push_back(static_cast<uint8_t>(i));
    labels.push_back(i % 4);
  }
  return std::make_shared<ByteDataset>(Shape{1, 1, 1}, pixels, labels,
                                       std::vector<std::string>{"a", "b", "c", "d"});
}

TEST(ClassSubset, RemapInGivenOrder) {
  auto sub = class_subset(four_classes(), {"d", "1"}, true);  // by name and by index
  ASSERT_EQ(sub->size(), 4);
  EXPECT_EQ(sub->class_names(), (std::vector<std::string>{"d", "b"}));
  const int32_t want_labels[] = {1, 0, 1, 0};  // samples 1(b) 3(d) 5(b) 7(d)
  const float want_pixels[] = {1, 3, 5, 7};
  for (int64_t i = 0; i < 4; ++i) {
    EXPECT_EQ(sub->label(i), want_labels[i]);
    float x = -1;
    sub->read(i, &x);
    EXPECT_EQ(x, want_pixels[i] / 255.0f);
  }
}

TEST(ClassSubset, KeepOriginalLabels) {
  auto sub = class_subset(four_classes(), {"c", "a"}, false);
  ASSERT_EQ(sub->size(), 4);
  EXPECT_EQ(sub->class_names().size(), 4u);
  EXPECT_EQ(sub->label(0), 0);
  EXPECT_EQ(sub->label(1), 2);
  EXPECT_EQ(sub->label(2), 0);
  EXPECT_EQ(sub->label(3), 2);
}

TEST(ClassSubset, Errors) {
  std::string e = error_of([] { class_subset(four_classes(), {"a", "zebra"}, true); });
  EXPECT_CONTAINS(e, "unknown class 'zebra'");
  EXPECT_CONTAINS(e, "a (0), b (1), c (2), d (3)");
  e = error_of([] { class_subset(four_classes(), {"7"}, true); });
  EXPECT_CONTAINS(e, "unknown class '7'");
  e = error_of([] { class_subset(four_classes(), {"a", "0"}, true); });
  EXPECT_CONTAINS(e, "listed twice");
  e = error_of([] { class_subset(four_classes(), {}, true); });
  EXPECT_CONTAINS(e, "no classes");
}

}  // namespace
}  // namespace edgetrain::data
