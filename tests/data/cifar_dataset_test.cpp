#include <gtest/gtest.h>

#include "data/dataset.hpp"
#include "test_files.hpp"

namespace edgetrain::data {
namespace {

using namespace test_util;

TEST(Cifar, Cifar10TwoFilesWithNames) {
  TempDir dir;
  write_bytes(dir.path("data_batch_1.bin"), cifar_records({{3}, {9}, {0}}, 0), false);
  write_bytes(dir.path("data_batch_2.bin"), cifar_records({{7}, {1}}, 3), false);
  write_text(dir.path("batches.meta.txt"),
             "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n");
  auto ds = open_cifar({dir.path("data_batch_1.bin"), dir.path("data_batch_2.bin")}, false);
  ASSERT_EQ(ds->size(), 5);
  EXPECT_EQ(ds->sample_shape(), (Shape{3, 32, 32}));
  EXPECT_EQ(ds->class_names().at(3), "cat");
  const std::vector<int32_t> want = {3, 9, 0, 7, 1};
  std::vector<float> x(3072);
  for (int64_t i = 0; i < 5; ++i) {
    EXPECT_EQ(ds->label(i), want[static_cast<size_t>(i)]);
    ds->read(i, x.data());
    for (int k = 0; k < 3072; ++k)
      ASSERT_EQ(x[static_cast<size_t>(k)], static_cast<float>(test_pixel(i, k)) / 255.0f);
  }
}

TEST(Cifar, Cifar100FineAndCoarse) {
  TempDir dir;
  write_bytes(dir.path("train.bin"), cifar_records({{19, 99}, {4, 30}}, 0), false);
  auto fine = open_cifar({dir.path("train.bin")}, true);
  EXPECT_EQ(fine->label(0), 99);
  EXPECT_EQ(fine->label(1), 30);
  EXPECT_EQ(fine->class_names().size(), 100u);
  EXPECT_EQ(fine->class_names()[42], "42");
  auto coarse = open_cifar({dir.path("train.bin")}, true, true);
  EXPECT_EQ(coarse->label(0), 19);
  EXPECT_EQ(coarse->class_names().size(), 20u);
}

TEST(Cifar, Errors) {
  TempDir dir;
  std::vector<uint8_t> rec = cifar_records({{1}, {2}}, 0);
  rec.pop_back();
  write_bytes(dir.path("bad.bin"), rec, false);
  std::string e = error_of([&] { open_cifar({dir.path("bad.bin")}, false); });
  EXPECT_CONTAINS(e, dir.path("bad.bin") + ": size 6145 bytes is not a multiple");
  // a CIFAR-100 file read as CIFAR-10 is detected by size
  write_bytes(dir.path("c100.bin"), cifar_records({{1, 2}, {3, 4}, {5, 6}}, 0), false);
  e = error_of([&] { open_cifar({dir.path("c100.bin")}, false); });
  EXPECT_CONTAINS(e, "cifar100=true");
  // label out of range
  write_bytes(dir.path("lab.bin"), cifar_records({{12}}, 0), false);
  e = error_of([&] { open_cifar({dir.path("lab.bin")}, false); });
  EXPECT_CONTAINS(e, "record 0 has label 12");
  e = error_of([&] { open_cifar({dir.path("missing.bin")}, false); });
  EXPECT_CONTAINS(e, dir.path("missing.bin") + ": cannot open");
  e = error_of([&] { open_cifar({}, false); });
  EXPECT_CONTAINS(e, "no files");
  // wrong number of class names
  write_bytes(dir.path("ok.bin"), cifar_records({{1}}, 0), false);
  write_text(dir.path("batches.meta.txt"), "a\nb\n");
  e = error_of([&] { open_cifar({dir.path("ok.bin")}, false); });
  EXPECT_CONTAINS(e, "batches.meta.txt: has 2 class names, expected 10");
}

TEST(Cifar, ParsesBytesInMemory) {
  auto ds = parse_cifar(cifar_records({{4, 17}, {19, 99}}, 0), "batch.bin", true, true);
  ASSERT_EQ(ds->size(), 2);
  EXPECT_EQ(ds->label(1), 19);
  EXPECT_EQ(ds->class_names().size(), 20u);
  EXPECT_CONTAINS(error_of([] { parse_cifar({1, 2, 3}, "batch.bin", false); }), "batch.bin");
}

}  // namespace
}  // namespace edgetrain::data
