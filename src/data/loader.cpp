#include "data/loader.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "core/check.hpp"
#include "data/rng.hpp"

namespace edgetrain::data {

BatchLoader::BatchLoader(std::shared_ptr<const Dataset> dataset, LoaderOptions options)
    : dataset_(std::move(dataset)), options_(std::move(options)) {
  ET_REQUIRE(dataset_ != nullptr, "BatchLoader: dataset is null");
  const int64_t n = dataset_->size();
  ET_REQUIRE(n > 0, "BatchLoader: the dataset is empty");
  ET_REQUIRE(options_.batch > 0, "BatchLoader: batch size {} must be positive", options_.batch);
  ET_REQUIRE(options_.prefetch > 0, "BatchLoader: prefetch {} must be at least 1",
             options_.prefetch);
  ET_REQUIRE(!options_.drop_last || n >= options_.batch,
             "BatchLoader: the dataset has {} samples, fewer than one batch of {} with drop_last; "
             "use a smaller batch or drop_last = false",
             n, options_.batch);
  sample_shape_ = dataset_->sample_shape();
  ET_REQUIRE(sample_shape_.rank() == 3, "BatchLoader: sample shape {} is not {{C, H, W}}",
             sample_shape_.str());
  validate_augment(options_.augment, sample_shape_);
  augment_ = augment_active(options_.augment);
  sample_numel_ = sample_shape_.numel();
  num_batches_ = options_.drop_last ? n / options_.batch : (n + options_.batch - 1) / options_.batch;

  order_.resize(static_cast<size_t>(n));
  scratch_.resize(static_cast<size_t>(sample_numel_));
  slots_.resize(static_cast<size_t>(options_.prefetch));
  for (Slot& s : slots_) {
    s.images.resize(static_cast<size_t>(options_.batch * sample_numel_));
    s.labels.resize(static_cast<size_t>(options_.batch));
  }
  worker_ = std::thread([this] { worker_loop(); });
}

BatchLoader::~BatchLoader() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

void BatchLoader::start_epoch(int64_t epoch) {
  std::unique_lock lk(mu_);
  ++generation_;  // cancels a batch in flight
  produce_end_ = 0;
  cv_.wait(lk, [&] { return !producing_; });
  // The worker is idle now: order_ and the slots are ours.
  for (Slot& s : slots_) {
    s.ready = false;
    s.error = nullptr;
  }
  epoch_key_ = derive_key(mix64(options_.seed), static_cast<uint64_t>(epoch));
  std::iota(order_.begin(), order_.end(), int64_t{0});
  if (options_.shuffle) {  // Fisher-Yates
    Rng rng(derive_key(epoch_key_, 0x5348554646ull));
    for (size_t i = order_.size() - 1; i > 0; --i) std::swap(order_[i], order_[rng.below(i + 1)]);
  }
  started_ = true;
  produce_ = consume_ = 0;
  produce_end_ = num_batches_;
  lk.unlock();
  cv_.notify_all();
}

int64_t BatchLoader::next(float* images, int32_t* labels) {
  std::unique_lock lk(mu_);
  ET_REQUIRE(started_, "BatchLoader::next: no epoch started; call start_epoch(e) first");
  if (consume_ >= num_batches_) return 0;
  Slot& slot = slots_[static_cast<size_t>(consume_ % options_.prefetch)];
  cv_.wait(lk, [&] { return slot.ready; });
  if (slot.error) std::rethrow_exception(slot.error);
  lk.unlock();  // the worker does not touch a ready slot
  std::memcpy(images, slot.images.data(),
              static_cast<size_t>(slot.count * sample_numel_) * sizeof(float));
  std::memcpy(labels, slot.labels.data(), static_cast<size_t>(slot.count) * sizeof(int32_t));
  const int64_t count = slot.count;
  lk.lock();
  slot.ready = false;
  ++consume_;
  lk.unlock();
  cv_.notify_all();
  return count;
}

void BatchLoader::worker_loop() {
  std::unique_lock lk(mu_);
  for (;;) {
    cv_.wait(lk, [&] {
      return stop_ ||
             (produce_ < produce_end_ &&
              !slots_[static_cast<size_t>(produce_ % options_.prefetch)].ready);
    });
    if (stop_) return;
    const int64_t b = produce_;
    const uint64_t generation = generation_;
    Slot& slot = slots_[static_cast<size_t>(b % options_.prefetch)];
    producing_ = true;
    lk.unlock();
    std::exception_ptr error;
    bool done = false;
    try {
      done = fill(slot, b, generation);
    } catch (...) {
      error = std::current_exception();
      done = true;
    }
    lk.lock();
    producing_ = false;
    if (done && generation == generation_) {
      slot.ready = true;
      slot.error = error;
      ++produce_;
      if (error) produce_end_ = produce_;  // the epoch stops at the failed batch
    }
    cv_.notify_all();
  }
}

bool BatchLoader::fill(Slot& slot, int64_t b, uint64_t generation) {
  const int64_t begin = b * options_.batch;
  const int64_t end = std::min(begin + options_.batch, dataset_->size());
  for (int64_t pos = begin; pos < end; ++pos) {
    if (stop_ || generation_ != generation) return false;
    const int64_t index = order_[static_cast<size_t>(pos)];
    float* dst = slot.images.data() + (pos - begin) * sample_numel_;  // [C, H, W]
    dataset_->read(index, dst);
    slot.labels[static_cast<size_t>(pos - begin)] = dataset_->label(index);
    if (augment_) {
      const AugmentDraw draw =
          draw_augment(options_.augment, derive_key(epoch_key_, static_cast<uint64_t>(pos)));
      apply_augment(options_.augment, sample_shape_, draw, dst, scratch_.data());
    }
  }
  slot.count = end - begin;
  return true;
}

}  // namespace edgetrain::data
