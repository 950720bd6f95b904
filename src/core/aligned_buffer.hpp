// AlignedBuffer: an owning, 64-byte aligned, zero-initialised byte block (arenas use it). Blocks of
// 1 MiB and more are mapped straight from the OS and pre-faulted, so they are resident from the
// start (planned memory is real memory) and go back to the OS when freed.
#pragma once
#include <cstddef>

namespace edgetrain {

class AlignedBuffer {
 public:
  static constexpr std::size_t kAlign = 64;
  static constexpr std::size_t kMapThreshold = std::size_t{1} << 20;

  AlignedBuffer() = default;
  explicit AlignedBuffer(std::size_t bytes) { resize(bytes); }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  AlignedBuffer(AlignedBuffer&& o) noexcept;
  AlignedBuffer& operator=(AlignedBuffer&& o) noexcept;
  ~AlignedBuffer() { release(); }

  void resize(std::size_t bytes);  // discards the contents; throws std::bad_alloc
  std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  void release();
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t mapped_ = 0;  // bytes mapped with mmap, 0 when from the heap
};

}  // namespace edgetrain
