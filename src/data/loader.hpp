// BatchLoader: batches of a Dataset prepared on a background thread into a preallocated ring of
// `prefetch` buffers. The order and the augmentation of epoch e are a pure function of
// (seed, epoch), so resuming at an epoch boundary reproduces a run exactly.
//
// Threading: one consumer thread calls start_epoch / next; one worker thread fills the ring.
// After construction, next() neither allocates nor blocks on anything but a ready batch.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "data/dataset.hpp"
#include "data/transforms.hpp"

namespace edgetrain::data {

struct LoaderOptions {
  int64_t batch = 64;
  bool shuffle = true;
  uint64_t seed = 1;
  bool drop_last = false;  // drop the short last batch
  Augment augment;
  int prefetch = 2;  // batches prepared ahead (ring size)
};

class BatchLoader {
 public:
  BatchLoader(std::shared_ptr<const Dataset> dataset, LoaderOptions options);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  // Starts (or restarts, abandoning the current one) epoch `epoch`.
  void start_epoch(int64_t epoch);

  // Copies the next batch into caller memory: images [batch, C, H, W] f32, labels [batch] i32.
  // Returns the number of samples: 0 at the end of the epoch; the last batch may be short unless
  // drop_last. Rethrows an error raised while preparing the batch (until the next start_epoch).
  int64_t next(float* images, int32_t* labels);

  int64_t batches_per_epoch() const { return num_batches_; }
  const Dataset& dataset() const { return *dataset_; }
  const LoaderOptions& options() const { return options_; }

 private:
  struct Slot {
    std::vector<float> images;    // [batch, C, H, W]
    std::vector<int32_t> labels;  // [batch]
    int64_t count = 0;
    bool ready = false;
    std::exception_ptr error;
  };

  void worker_loop();
  // Fills slot with batch b of the current epoch; false when cancelled by start_epoch or stop.
  bool fill(Slot& slot, int64_t b, uint64_t generation);

  std::shared_ptr<const Dataset> dataset_;
  LoaderOptions options_;
  Shape sample_shape_;
  int64_t sample_numel_ = 0;
  int64_t num_batches_ = 0;
  bool augment_ = false;

  // Written by start_epoch while the worker is idle; read by the worker while producing.
  std::vector<int64_t> order_;  // [size] epoch position -> sample index
  uint64_t epoch_key_ = 0;
  std::vector<float> scratch_;  // [C, H, W] worker's augmentation scratch

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Slot> slots_;
  std::atomic<uint64_t> generation_{0};  // bumped by start_epoch: cancels work in flight
  std::atomic<bool> stop_{false};
  bool started_ = false;
  bool producing_ = false;   // worker is filling a slot outside the lock
  int64_t produce_ = 0;      // next batch the worker fills
  int64_t produce_end_ = 0;  // worker stops here (num_batches_, or earlier after an error)
  int64_t consume_ = 0;      // next batch next() returns
  std::thread worker_;
};

}  // namespace edgetrain::data
