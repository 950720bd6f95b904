// open_idx: MNIST-family IDX files (unsigned-byte images [N, H, W] and labels [N]), raw or gzip.
#include <algorithm>

#include "core/check.hpp"
#include "data/byte_dataset.hpp"
#include "data/dataset.hpp"
#include "data/file_read.hpp"

namespace edgetrain::data {
namespace {

constexpr uint32_t kImageMagic = 0x00000803;  // u8, 3 dims
constexpr uint32_t kLabelMagic = 0x00000801;  // u8, 1 dim

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// Checks size and magic of an IDX header of `header_bytes`.
void check_idx(const std::vector<uint8_t>& bytes, const std::string& path, uint32_t magic, size_t header_bytes,
               const char* what) {
  ET_REQUIRE(bytes.size() >= 4,
             "{}: only {} bytes, too short for an IDX file; the file is truncated or empty", path,
             bytes.size());
  uint32_t got = be32(bytes.data());
  ET_REQUIRE(got == magic,
             "{}: bad magic 0x{:08x} (expected 0x{:08x}, an IDX {} file){}", path, got, magic, what,
             got == (magic == kImageMagic ? kLabelMagic : kImageMagic)
                 ? "; the images and labels files look swapped"
                 : "; check that this is an uncompressed or gzipped IDX file");
  ET_REQUIRE(bytes.size() >= header_bytes,
             "{}: only {} bytes, too short for an IDX {} header ({} bytes); the file is truncated",
             path, bytes.size(), what, header_bytes);
}

void check_payload(const std::string& path, size_t have, uint64_t want, const std::string& what) {
  ET_REQUIRE(have >= want,
             "{}: truncated: the header announces {} ({} bytes) but only {} bytes follow; the "
             "file is incomplete, download it again",
             path, what, want, have);
  ET_REQUIRE(have == want,
             "{}: {} trailing bytes after {} ({} bytes); this is not a valid IDX file", path,
             have - want, what, want);
}

}  // namespace

std::unique_ptr<Dataset> open_idx(const std::string& images, const std::string& labels,
                                  std::vector<std::string> class_names) {
  std::vector<uint8_t> img = read_maybe_gz_file(images);
  std::vector<uint8_t> lab = read_maybe_gz_file(labels);
  return parse_idx(std::move(img), std::move(lab), std::move(class_names), images, labels);
}

std::unique_ptr<Dataset> parse_idx(std::vector<uint8_t> img, std::vector<uint8_t> lab,
                                   std::vector<std::string> class_names, const std::string& images,
                                   const std::string& labels) {
  // images: magic, N, H, W (big-endian u32), then [N, H, W] u8
  check_idx(img, images, kImageMagic, 16, "image");
  const uint32_t n = be32(&img[4]), rows = be32(&img[8]), cols = be32(&img[12]);
  ET_REQUIRE(n > 0, "{}: contains no images", images);
  ET_REQUIRE(rows > 0 && cols > 0 && rows <= 65536 && cols <= 65536,
             "{}: implausible image size {}x{} in the IDX header; the file is corrupt", images,
             rows, cols);
  check_payload(images, img.size() - 16, uint64_t{n} * rows * cols,
                fmt::format("{} images of {}x{}", n, rows, cols));
  img.erase(img.begin(), img.begin() + 16);

  // labels: magic, N, then [N] u8
  check_idx(lab, labels, kLabelMagic, 8, "label");
  const uint32_t m = be32(&lab[4]);
  check_payload(labels, lab.size() - 8, m, fmt::format("{} labels", m));
  ET_REQUIRE(m == n,
             "{} has {} images but {} has {} labels; pass the images and labels of the same split "
             "(e.g. train-images with train-labels)",
             images, n, labels, m);

  std::vector<int32_t> label_values(lab.begin() + 8, lab.end());
  const int32_t max_label = *std::max_element(label_values.begin(), label_values.end());
  if (class_names.empty()) {
    class_names = numbered_class_names(max_label + 1);
  } else {
    for (size_t i = 0; i < label_values.size(); ++i)
      ET_REQUIRE(label_values[i] < static_cast<int32_t>(class_names.size()),
                 "{}: label {} of sample {} is not below the number of class names ({}); pass at "
                 "least {} class names",
                 labels, label_values[i], i, class_names.size(), max_label + 1);
  }
  return std::make_unique<ByteDataset>(
      Shape{1, static_cast<int64_t>(rows), static_cast<int64_t>(cols)}, std::move(img),
      std::move(label_values), std::move(class_names));
}

}  // namespace edgetrain::data
