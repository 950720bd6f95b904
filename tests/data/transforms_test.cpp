#include <gtest/gtest.h>

#include "data/transforms.hpp"
#include "test_files.hpp"

namespace edgetrain::data {
namespace {

using namespace test_util;

// [1, 2, 3] image:  1 2 3 / 4 5 6
std::vector<float> tiny() { return {1, 2, 3, 4, 5, 6}; }

TEST(Transforms, FlipMirrorsRows) {
  Augment a;
  a.horizontal_flip = true;
  std::vector<float> x = tiny(), scratch(6);
  apply_augment(a, Shape{1, 2, 3}, AugmentDraw{0, 0, true}, x.data(), scratch.data());
  EXPECT_EQ(x, (std::vector<float>{3, 2, 1, 6, 5, 4}));
}

TEST(Transforms, CropShiftsWithZeroPadding) {
  Augment a;
  a.crop_padding = 1;
  std::vector<float> x = tiny(), scratch(6);
  // window at (0, 2) of the padded 4x5 image: out(y, x) = in(y - 1, x + 1)
  apply_augment(a, Shape{1, 2, 3}, AugmentDraw{0, 2, false}, x.data(), scratch.data());
  EXPECT_EQ(x, (std::vector<float>{0, 0, 0, 2, 3, 0}));
  // centre window is the identity
  x = tiny();
  apply_augment(a, Shape{1, 2, 3}, AugmentDraw{1, 1, false}, x.data(), scratch.data());
  EXPECT_EQ(x, tiny());
  // crop then flip: out(y, x) = in(y + 1, 2 - x - 1)
  x = tiny();
  apply_augment(a, Shape{1, 2, 3}, AugmentDraw{2, 0, true}, x.data(), scratch.data());
  EXPECT_EQ(x, (std::vector<float>{5, 4, 0, 0, 0, 0}));
}

TEST(Transforms, NormalisePerChannel) {
  Augment a;
  a.mean = {1.0f, 10.0f};
  a.std = {2.0f, 4.0f};
  std::vector<float> x = {1, 3, 10, 18}, scratch(4);  // [2, 1, 2]
  apply_augment(a, Shape{2, 1, 2}, AugmentDraw{}, x.data(), scratch.data());
  EXPECT_EQ(x, (std::vector<float>{0, 1, 0, 2}));
}

TEST(Transforms, DrawsAreDeterministicAndInRange) {
  Augment a;
  a.crop_padding = 2;
  a.horizontal_flip = true;
  int flips = 0;
  bool seen_min = false, seen_max = false;
  for (uint64_t key = 0; key < 2000; ++key) {
    AugmentDraw d = draw_augment(a, key), e = draw_augment(a, key);
    EXPECT_EQ(d.crop_y, e.crop_y);
    EXPECT_EQ(d.crop_x, e.crop_x);
    EXPECT_EQ(d.flip, e.flip);
    ASSERT_TRUE(d.crop_y >= 0 && d.crop_y <= 4 && d.crop_x >= 0 && d.crop_x <= 4);
    seen_min |= d.crop_x == 0;
    seen_max |= d.crop_x == 4;
    flips += d.flip;
  }
  EXPECT_TRUE(seen_min && seen_max);
  EXPECT_GT(flips, 850);
  EXPECT_LT(flips, 1150);
  a.horizontal_flip = false;
  for (uint64_t key = 0; key < 100; ++key) EXPECT_FALSE(draw_augment(a, key).flip);
}

TEST(Transforms, Validation) {
  Augment a;
  a.mean = {0.5f};
  std::string e = error_of([&] { validate_augment(a, Shape{3, 4, 4}); });
  EXPECT_CONTAINS(e, "1 mean values but 0 std values");
  a.std = {0.0f};
  e = error_of([&] { validate_augment(a, Shape{3, 4, 4}); });
  EXPECT_CONTAINS(e, "std must be positive");
  a.mean = {0.1f, 0.2f};
  a.std = {1.0f, 1.0f};
  e = error_of([&] { validate_augment(a, Shape{3, 4, 4}); });
  EXPECT_CONTAINS(e, "2 mean/std values for 3-channel samples");
  a = Augment{};
  a.crop_padding = -1;
  e = error_of([&] { validate_augment(a, Shape{3, 4, 4}); });
  EXPECT_CONTAINS(e, "crop padding -1");
}

}  // namespace
}  // namespace edgetrain::data
