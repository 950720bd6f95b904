#include "io/tensor_file.hpp"

#include <gtest/gtest.h>

#include "io/atomic_file.hpp"
#include "test_dir.hpp"

namespace edgetrain::io {
namespace {

using testing::contains;
using testing::error_of;
using testing::TempDir;

TEST(TensorFile, RoundTripFromFileAndFromBytes) {
  TempDir dir;
  const std::string path = dir.path() + "/t.ett";
  const float x[] = {1.5f, -2.f, 0.f, 4.f, 5.f, 6.f};
  const int32_t labels[] = {3, 1};
  write_tensor_file(path, {make_record("x", Shape{2, 3}, x), make_record("labels", Shape{2}, labels)});
  for (const auto& records : {read_tensor_file(path), parse_tensor_file(read_file(path), path)}) {
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[0].shape, (Shape{2, 3}));
    EXPECT_EQ(records[0].floats(), std::vector<float>(x, x + 6));
    ASSERT_NE(find_record(records, "labels"), nullptr);
    EXPECT_EQ(find_record(records, "labels")->as<int32_t>()[0], 3);
  }
}

TEST(TensorFile, EveryPrefixFailsWithAnErrorNamingTheFile) {
  TempDir dir;
  const std::string path = dir.path() + "/t.ett";
  const float x[] = {1.f, 2.f};
  write_tensor_file(path, {make_record("x", Shape{2}, x)});
  const std::string bytes = read_file(path);
  for (size_t n = 0; n < bytes.size(); ++n)
    EXPECT_TRUE(
        contains(error_of([&] { parse_tensor_file(std::string_view(bytes).substr(0, n), "cut.ett"); }), "cut.ett"))
        << n;
}

}  // namespace
}  // namespace edgetrain::io
