#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "core/check.hpp"
#include "data/loader.hpp"
#include "test_files.hpp"

namespace edgetrain::data {
namespace {

using namespace test_util;

// Sample i is a [1, 2, 3] image whose pixels are i + k / 100; label i % 10. Optionally fails on one
// sample or sleeps per read.
class CountingDataset final : public Dataset {
 public:
  explicit CountingDataset(int64_t n, int64_t fail_at = -1, int sleep_us = 0)
      : n_(n), fail_at_(fail_at), sleep_us_(sleep_us), names_(10) {}
  int64_t size() const override { return n_; }
  Shape sample_shape() const override { return Shape{1, 2, 3}; }
  const std::vector<std::string>& class_names() const override { return names_; }
  int32_t label(int64_t i) const override { return static_cast<int32_t>(i % 10); }
  void read(int64_t i, float* dst) const override {
    if (sleep_us_) std::this_thread::sleep_for(std::chrono::microseconds(sleep_us_));
    if (i == fail_at_) fail("sample {} is broken", i);
    for (int k = 0; k < 6; ++k) dst[k] = static_cast<float>(i) + static_cast<float>(k) / 100.0f;
    reads++;
  }
  mutable std::atomic<int64_t> reads{0};

 private:
  int64_t n_, fail_at_;
  int sleep_us_;
  std::vector<std::string> names_;
};

struct Epoch {
  std::vector<int64_t> ids;          // sample ids in order
  std::vector<int64_t> batch_sizes;
  std::vector<float> pixels;         // all images, concatenated
};

// check_labels: pixels are unaugmented, so the id read from them must match the label.
Epoch run_epoch(BatchLoader& loader, int64_t epoch, bool check_labels = true) {
  loader.start_epoch(epoch);
  const int64_t b = loader.options().batch;
  std::vector<float> images(static_cast<size_t>(b * 6));
  std::vector<int32_t> labels(static_cast<size_t>(b));
  Epoch out;
  for (;;) {
    const int64_t n = loader.next(images.data(), labels.data());
    if (n == 0) break;
    out.batch_sizes.push_back(n);
    for (int64_t j = 0; j < n; ++j) {
      const int64_t id = static_cast<int64_t>(images[static_cast<size_t>(j * 6)]);
      out.ids.push_back(id);
      if (check_labels) {
        EXPECT_EQ(labels[static_cast<size_t>(j)], id % 10);
      }
    }
    out.pixels.insert(out.pixels.end(), images.begin(), images.begin() + n * 6);
  }
  EXPECT_EQ(loader.next(images.data(), labels.data()), 0);  // stays at the end
  return out;
}

LoaderOptions opts(int64_t batch, uint64_t seed = 1) {
  LoaderOptions o;
  o.batch = batch;
  o.seed = seed;
  return o;
}

TEST(Loader, EverySampleOncePerEpochWithShortLastBatch) {
  auto ds = std::make_shared<CountingDataset>(103);
  BatchLoader loader(ds, opts(10));
  EXPECT_EQ(loader.batches_per_epoch(), 11);
  Epoch e = run_epoch(loader, 0);
  ASSERT_EQ(e.batch_sizes.size(), 11u);
  EXPECT_EQ(e.batch_sizes.back(), 3);
  std::set<int64_t> ids(e.ids.begin(), e.ids.end());
  EXPECT_EQ(ids.size(), 103u);
  EXPECT_EQ(*ids.begin(), 0);
  EXPECT_EQ(*ids.rbegin(), 102);
  std::vector<int64_t> identity(103);
  for (int64_t i = 0; i < 103; ++i) identity[static_cast<size_t>(i)] = i;
  EXPECT_NE(e.ids, identity);  // shuffled
}

TEST(Loader, DropLastAndNoShuffle) {
  auto ds = std::make_shared<CountingDataset>(103);
  LoaderOptions o = opts(10);
  o.drop_last = true;
  o.shuffle = false;
  BatchLoader loader(ds, o);
  EXPECT_EQ(loader.batches_per_epoch(), 10);
  Epoch e = run_epoch(loader, 3);
  EXPECT_EQ(e.batch_sizes, std::vector<int64_t>(10, 10));
  for (int64_t i = 0; i < 100; ++i) EXPECT_EQ(e.ids[static_cast<size_t>(i)], i);
}

TEST(Loader, OrderIsAPureFunctionOfSeedAndEpoch) {
  auto ds = std::make_shared<CountingDataset>(57);
  BatchLoader a(ds, opts(8)), b(ds, opts(8)), c(ds, opts(8, 2));
  Epoch a0 = run_epoch(a, 0), a1 = run_epoch(a, 1), a2 = run_epoch(a, 2);
  Epoch b2 = run_epoch(b, 2);  // resume at epoch 2 directly
  EXPECT_EQ(a2.ids, b2.ids);
  EXPECT_NE(a0.ids, a1.ids);
  EXPECT_NE(a1.ids, a2.ids);
  EXPECT_EQ(run_epoch(b, 0).ids, a0.ids);
  EXPECT_NE(run_epoch(c, 0).ids, a0.ids);  // different seed
}

TEST(Loader, AugmentationIsDeterministic) {
  auto ds = std::make_shared<CountingDataset>(40);
  LoaderOptions o = opts(7);
  o.augment.crop_padding = 1;
  o.augment.horizontal_flip = true;
  o.augment.mean = {0.5f};
  o.augment.std = {2.0f};
  o.shuffle = false;  // ids then are known, pixels carry the augmentation
  BatchLoader a(ds, o), b(ds, o);
  Epoch a0 = run_epoch(a, 0, false), a1 = run_epoch(a, 1, false), b1 = run_epoch(b, 1, false),
        b0 = run_epoch(b, 0, false);
  EXPECT_EQ(a0.pixels, b0.pixels);
  EXPECT_EQ(a1.pixels, b1.pixels);
  EXPECT_NE(a0.pixels, a1.pixels);
  // every output pixel is a normalised input pixel of its own sample or normalised zero padding
  for (size_t s = 0; s < 40; ++s)
    for (size_t k = 0; k < 6; ++k) {
      const float v = a0.pixels[s * 6 + k] * 2.0f + 0.5f;  // undo normalisation
      const bool padding = std::abs(v) < 1e-5f;
      const bool own = std::abs(v - static_cast<float>(s)) < 0.06f;
      EXPECT_TRUE(padding || own) << s << "," << k << ": " << v;
    }
}

TEST(Loader, BackgroundErrorsAreRethrown) {
  auto ds = std::make_shared<CountingDataset>(50, /*fail_at=*/25);
  LoaderOptions o = opts(10);
  o.shuffle = false;
  BatchLoader loader(ds, o);
  loader.start_epoch(0);
  std::vector<float> images(60);
  std::vector<int32_t> labels(10);
  EXPECT_EQ(loader.next(images.data(), labels.data()), 10);
  EXPECT_EQ(loader.next(images.data(), labels.data()), 10);
  std::string e = error_of([&] { loader.next(images.data(), labels.data()); });
  EXPECT_CONTAINS(e, "sample 25 is broken");
  e = error_of([&] { loader.next(images.data(), labels.data()); });  // sticky
  EXPECT_CONTAINS(e, "sample 25 is broken");
  loader.start_epoch(1);  // a new epoch starts clean
  EXPECT_EQ(loader.next(images.data(), labels.data()), 10);
}

TEST(Loader, RestartAndDestroyMidEpoch) {
  auto ds = std::make_shared<CountingDataset>(400, -1, /*sleep_us=*/200);
  LoaderOptions o = opts(16);
  o.prefetch = 3;
  std::vector<float> images(16 * 6);
  std::vector<int32_t> labels(16);
  {
    BatchLoader loader(ds, o);
    loader.start_epoch(0);
    EXPECT_EQ(loader.next(images.data(), labels.data()), 16);
    loader.start_epoch(0);  // restart abandons the rest of the epoch
    int64_t total = 0;
    for (int64_t n; (n = loader.next(images.data(), labels.data())) > 0;) total += n;
    EXPECT_EQ(total, 400);
    loader.start_epoch(1);
    EXPECT_EQ(loader.next(images.data(), labels.data()), 16);
    // destroyed here with the worker busy
  }
  {
    BatchLoader idle(ds, o);  // destroyed before any epoch
  }
  const auto t0 = std::chrono::steady_clock::now();
  {
    BatchLoader loader(ds, o);
    loader.start_epoch(5);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
}

TEST(Loader, UsageErrors) {
  auto ds = std::make_shared<CountingDataset>(5);
  std::string e = error_of([&] { BatchLoader l(ds, opts(0)); });
  EXPECT_CONTAINS(e, "batch size 0");
  LoaderOptions o = opts(10);
  o.drop_last = true;
  e = error_of([&] { BatchLoader l(ds, o); });
  EXPECT_CONTAINS(e, "fewer than one batch");
  o = opts(2);
  o.augment.mean = {1, 2};
  o.augment.std = {1, 2};
  e = error_of([&] { BatchLoader l(ds, o); });
  EXPECT_CONTAINS(e, "1-channel");
  BatchLoader loader(ds, opts(2));
  std::vector<float> images(12);
  std::vector<int32_t> labels(2);
  e = error_of([&] { loader.next(images.data(), labels.data()); });
  EXPECT_CONTAINS(e, "call start_epoch");
}

}  // namespace
}  // namespace edgetrain::data
