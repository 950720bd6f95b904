#include <gtest/gtest.h>

#include <filesystem>

#include "data/dataset.hpp"
#include "test_files.hpp"

namespace edgetrain::data {
namespace {

using namespace test_util;

void expect_sample(const Dataset& ds, int64_t i, int64_t numel) {
  std::vector<float> x(static_cast<size_t>(numel));
  ds.read(i, x.data());
  for (int64_t k = 0; k < numel; ++k)
    ASSERT_EQ(x[static_cast<size_t>(k)], static_cast<float>(test_pixel(i, k)) / 255.0f) << i << "," << k;
}

class IdxTest : public ::testing::TestWithParam<bool> {};

TEST_P(IdxTest, ReadsImagesAndLabels) {
  const bool gz = GetParam();
  TempDir dir;
  write_bytes(dir.path("img"), idx_images(5, 3, 4), gz);
  write_bytes(dir.path("lab"), idx_labels({2, 0, 1, 2, 0}), gz);
  auto ds = open_idx(dir.path("img"), dir.path("lab"));
  EXPECT_EQ(ds->size(), 5);
  EXPECT_EQ(ds->sample_shape(), (Shape{1, 3, 4}));
  EXPECT_EQ(ds->class_names(), (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(ds->label(0), 2);
  EXPECT_EQ(ds->label(3), 2);
  EXPECT_EQ(ds->label(4), 0);
  for (int64_t i = 0; i < 5; ++i) expect_sample(*ds, i, 12);
}
INSTANTIATE_TEST_SUITE_P(RawAndGz, IdxTest, ::testing::Values(false, true));

TEST(Idx, ExplicitClassNames) {
  TempDir dir;
  write_bytes(dir.path("img"), idx_images(2, 2, 2), false);
  write_bytes(dir.path("lab"), idx_labels({1, 0}), false);
  auto ds = open_idx(dir.path("img"), dir.path("lab"), {"a", "b", "c"});
  EXPECT_EQ(ds->class_names().size(), 3u);
  std::string e = error_of([&] { open_idx(dir.path("img"), dir.path("lab"), {"a"}); });
  EXPECT_CONTAINS(e, "label 1 of sample 0");
}

TEST(Idx, MissingFile) {
  TempDir dir;
  write_bytes(dir.path("lab"), idx_labels({1}), false);
  std::string e = error_of([&] { open_idx(dir.path("nope"), dir.path("lab")); });
  EXPECT_CONTAINS(e, dir.path("nope"));
  EXPECT_CONTAINS(e, "cannot open");
}

TEST(Idx, WrongMagicNamesFileAndSwap) {
  TempDir dir;
  write_bytes(dir.path("img"), idx_images(2, 2, 2), false);
  write_bytes(dir.path("lab"), idx_labels({1, 0}), true);
  std::string e = error_of([&] { open_idx(dir.path("lab"), dir.path("img")); });
  EXPECT_CONTAINS(e, dir.path("lab") + ": bad magic 0x00000801 (expected 0x00000803");
  EXPECT_CONTAINS(e, "swapped");
  write_bytes(dir.path("junk"), std::vector<uint8_t>(64, 0xAB), false);
  e = error_of([&] { open_idx(dir.path("junk"), dir.path("lab")); });
  EXPECT_CONTAINS(e, "bad magic 0xabababab");
}

TEST(Idx, Truncated) {
  TempDir dir;
  std::vector<uint8_t> img = idx_images(4, 3, 3);
  img.erase(img.end() - 5, img.end());
  write_bytes(dir.path("img.gz"), img, true);
  write_bytes(dir.path("lab"), idx_labels({1, 0, 1, 1}), false);
  std::string e = error_of([&] { open_idx(dir.path("img.gz"), dir.path("lab")); });
  EXPECT_CONTAINS(e, dir.path("img.gz") + ": truncated");
  // header cut short
  write_bytes(dir.path("short"), {0, 0, 8, 3, 0}, false);
  e = error_of([&] { open_idx(dir.path("short"), dir.path("lab")); });
  EXPECT_CONTAINS(e, "too short for an IDX image header");
}

TEST(Idx, CorruptGzipStream) {
  TempDir dir;
  write_bytes(dir.path("img.gz"), idx_images(50, 28, 28), true);
  auto size = std::filesystem::file_size(dir.path("img.gz"));
  std::filesystem::resize_file(dir.path("img.gz"), size / 2);
  write_bytes(dir.path("lab"), idx_labels(std::vector<uint8_t>(50, 1)), false);
  std::string e = error_of([&] { open_idx(dir.path("img.gz"), dir.path("lab")); });
  EXPECT_CONTAINS(e, dir.path("img.gz"));
  EXPECT_FALSE(e.empty());
}

TEST(Idx, LabelCountMismatch) {
  TempDir dir;
  write_bytes(dir.path("img"), idx_images(3, 2, 2), false);
  write_bytes(dir.path("lab"), idx_labels({1, 0}), false);
  std::string e = error_of([&] { open_idx(dir.path("img"), dir.path("lab")); });
  EXPECT_CONTAINS(e, "has 3 images but");
  EXPECT_CONTAINS(e, "has 2 labels");
}

TEST(FashionMnist, SyntheticDir) {
  TempDir dir;
  write_bytes(dir.path("t10k-images-idx3-ubyte.gz"), idx_images(4, 28, 28), true);
  write_bytes(dir.path("t10k-labels-idx1-ubyte"), idx_labels({9, 0, 3, 5}), false);
  auto ds = open_fashion_mnist(dir.root().string(), false);
  EXPECT_EQ(ds->size(), 4);
  EXPECT_EQ(ds->class_names().at(9), "Ankle boot");
  EXPECT_EQ(ds->class_names().at(0), "T-shirt/top");
  std::string e = error_of([&] { open_fashion_mnist(dir.root().string(), true); });
  EXPECT_CONTAINS(e, "train-images-idx3-ubyte");
  EXPECT_CONTAINS(e, "dataset-fashion-mnist");
}

TEST(Idx, ParsesBytesInMemory) {
  auto ds = parse_idx(idx_images(3, 2, 4), idx_labels({2, 0, 1}), {}, "imgs", "labs");
  ASSERT_EQ(ds->size(), 3);
  EXPECT_EQ(ds->sample_shape(), (Shape{1, 2, 4}));
  EXPECT_EQ(ds->label(0), 2);
  EXPECT_CONTAINS(error_of([] { parse_idx(idx_labels({1}), idx_labels({1}), {}, "imgs", "labs"); }), "imgs");
}

TEST(FashionMnist, SystemDataset) {
  const std::string dir = default_fashion_mnist_dir();
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << dir << " not installed";
  auto train = open_fashion_mnist(dir, true);
  auto test = open_fashion_mnist(dir, false);
  EXPECT_EQ(train->size(), 60000);
  EXPECT_EQ(test->size(), 10000);
  EXPECT_EQ(train->class_names().size(), 10u);
  EXPECT_EQ(train->sample_shape(), (Shape{1, 28, 28}));
  std::vector<float> x(28 * 28);
  train->read(59999, x.data());
  for (float v : x) ASSERT_TRUE(v >= 0.0f && v <= 1.0f);
}

}  // namespace
}  // namespace edgetrain::data
