// Counter-based randomness for the data pipeline: every draw is a pure function of its key, so
// shuffles and augmentations reproduce exactly across runs, thread counts and platforms
// (std::shuffle and std distributions are implementation-defined, so they are not used).
#pragma once
#include <cstdint>

namespace edgetrain::data {

// SplitMix64 finaliser: a strong 64-bit mix.
inline uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Key of a child stream, e.g. derive_key(derive_key(seed, epoch), position).
inline uint64_t derive_key(uint64_t key, uint64_t child) { return mix64(key ^ mix64(child)); }

// SplitMix64 generator.
class Rng {
 public:
  explicit Rng(uint64_t key) : state_(key) {}
  uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ull;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n), n > 0 (multiply-high; bias below 2^-40 for n < 2^24).
  uint64_t below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }

 private:
  uint64_t state_;
};

}  // namespace edgetrain::data
