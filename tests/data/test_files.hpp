// Helpers for data tests: a temporary directory and writers for small synthetic dataset files.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

// Checks that the string `str` contains `sub`, printing str otherwise.
#define EXPECT_CONTAINS(str, sub) \
  EXPECT_NE(std::string(str).find(sub), std::string::npos) << "message: " << (str)

namespace edgetrain::data::test_util {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string path(const std::string& name) const { return (root_ / name).string(); }
  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path root_;
};

// Deterministic test pixel of sample i, byte k.
inline uint8_t test_pixel(int64_t i, int64_t k) { return static_cast<uint8_t>((i * 7 + k * 3) % 256); }

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes, bool gz);
// IDX images [n, h, w] with test_pixel values; labels [n].
std::vector<uint8_t> idx_images(int n, int h, int w);
std::vector<uint8_t> idx_labels(const std::vector<uint8_t>& labels);
// CIFAR records: label byte(s) then 3072 test_pixel bytes of sample first_index + r.
std::vector<uint8_t> cifar_records(const std::vector<std::vector<uint8_t>>& label_bytes,
                                   int64_t first_index);
void write_text(const std::string& path, const std::string& text);
// PNG or BMP (by extension) of [h, w, c] interleaved pixels.
void write_image(const std::string& path, int h, int w, int c, const std::vector<uint8_t>& hwc);

// The message of the edgetrain::Error thrown by f, or "" when f does not throw.
std::string error_of(const std::function<void()>& f);

}  // namespace edgetrain::data::test_util
