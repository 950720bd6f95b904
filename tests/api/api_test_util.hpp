// Small models and in-memory data for the public API tests (public headers only).
#pragma once
#include <edgetrain/edgetrain.hpp>

#include <cstdint>
#include <random>
#include <vector>

namespace edgetrain::api_test {

// Images [n, 1, 28, 28] in [0, 1] whose class (0..3) is a bright quadrant, and their labels.
struct Batch {
  int64_t n = 0;
  std::vector<float> images;
  std::vector<int32_t> labels;
};

inline Batch quadrant_batch(int64_t n, uint64_t seed) {
  Batch b;
  b.n = n;
  b.images.resize(static_cast<size_t>(n * 28 * 28));
  b.labels.resize(static_cast<size_t>(n));
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> noise(0.f, 0.3f);
  for (int64_t i = 0; i < n; ++i) {
    const int32_t label = static_cast<int32_t>(rng() % 4);
    b.labels[static_cast<size_t>(i)] = label;
    for (int y = 0; y < 28; ++y)
      for (int x = 0; x < 28; ++x) {
        const bool lit = (y < 14) == (label < 2) && (x < 14) == (label % 2 == 0);
        b.images[static_cast<size_t>(i * 784 + y * 28 + x)] = noise(rng) + (lit ? 0.7f : 0.f);
      }
  }
  return b;
}

inline Model small_model(uint64_t seed = 1) {
  ModelOptions o;
  o.num_classes = 4;
  o.seed = seed;
  Model m = Model::zoo("fmnist-cnn", o);
  m.set_normalization({0.3f}, {0.3f});
  return m;
}

inline Dataset quadrant_dataset(int64_t n, uint64_t seed) {
  const Batch b = quadrant_batch(n, seed);
  return Dataset::from_arrays(b.images.data(), b.labels.data(), n, {1, 28, 28});
}

}  // namespace edgetrain::api_test
