// open_cifar: CIFAR-10 / CIFAR-100 binary batches. Record layout: label byte(s), then 3072 pixel
// bytes [3, 32, 32] (R plane, G plane, B plane), which is already CHW.
#include <cstring>
#include <filesystem>

#include "core/check.hpp"
#include "data/byte_dataset.hpp"
#include "data/dataset.hpp"
#include "data/file_read.hpp"

namespace edgetrain::data {
namespace {

constexpr int64_t kPixels = 3 * 32 * 32;

std::vector<std::string> class_names_for(const std::string& first_file, const char* names_file,
                                         int64_t count) {
  namespace fs = std::filesystem;
  const std::string path = (fs::path(first_file).parent_path() / names_file).string();
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return numbered_class_names(count);
  std::vector<std::string> names = read_nonempty_lines(path);
  ET_REQUIRE(static_cast<int64_t>(names.size()) == count,
             "{}: has {} class names, expected {} (one per line); fix or remove the file", path,
             names.size(), count);
  return names;
}

// The CIFAR layout of one kind of batch.
struct CifarFormat {
  CifarFormat(bool hundred, bool coarse)
      : cifar100(hundred),
        coarse_labels(coarse),
        kind(hundred ? "CIFAR-100" : "CIFAR-10"),
        label_bytes(hundred ? 2 : 1),
        record(label_bytes + kPixels),
        num_classes(!hundred ? 10 : coarse ? 20 : 100),
        label_offset(hundred && !coarse ? 1 : 0) {  // CIFAR-100: coarse, fine
    ET_REQUIRE(hundred || !coarse,
               "open_cifar: coarse labels exist only in CIFAR-100; pass cifar100=true or "
               "coarse_labels=false");
  }
  bool cifar100, coarse_labels;
  const char* kind;
  int64_t label_bytes, record, num_classes, label_offset;
};

// Appends the records of one batch file's bytes to pixels [N, 3, 32, 32] and labels [N].
void append_records(const std::vector<uint8_t>& bytes, const std::string& path, const CifarFormat& f,
                    std::vector<uint8_t>& pixels, std::vector<int32_t>& labels) {
  const int64_t size = static_cast<int64_t>(bytes.size());
  ET_REQUIRE(size > 0, "{}: empty file; expected {} binary records", path, f.kind);
  ET_REQUIRE(size % f.record == 0,
             "{}: size {} bytes is not a multiple of the {} record size {} ({} label byte(s) + "
             "{} pixel bytes); the file is truncated or not a {} binary batch{}",
             path, size, f.kind, f.record, f.label_bytes, kPixels, f.kind,
             size % (f.cifar100 ? kPixels + 1 : kPixels + 2) == 0
                 ? (f.cifar100 ? " (it looks like CIFAR-10: pass cifar100=false)"
                               : " (it looks like CIFAR-100: pass cifar100=true)")
                 : "");
  const int64_t n = size / f.record;
  const size_t base = pixels.size();
  pixels.resize(base + static_cast<size_t>(n * kPixels));
  for (int64_t r = 0; r < n; ++r) {
    const uint8_t* rec = bytes.data() + r * f.record;
    const int32_t v = rec[f.label_offset];
    ET_REQUIRE(v < f.num_classes,
               "{}: record {} has label {}, not below {} ({}{} labels); the file is corrupt or "
               "not a {} batch",
               path, r, v, f.num_classes, f.kind, f.cifar100 ? (f.coarse_labels ? " coarse" : " fine") : "",
               f.kind);
    labels.push_back(v);
    std::memcpy(pixels.data() + base + static_cast<size_t>(r * kPixels), rec + f.label_bytes, kPixels);
  }
}

}  // namespace

std::unique_ptr<Dataset> open_cifar(const std::vector<std::string>& files, bool cifar100,
                                    bool coarse_labels) {
  ET_REQUIRE(!files.empty(), "open_cifar: no files given; pass the CIFAR binary batch files");
  const CifarFormat format(cifar100, coarse_labels);
  std::vector<uint8_t> pixels;  // [N, 3, 32, 32]
  std::vector<int32_t> labels;  // [N]
  for (const std::string& path : files) append_records(read_binary_file(path), path, format, pixels, labels);
  const char* names_file = !cifar100        ? "batches.meta.txt"
                           : coarse_labels ? "coarse_label_names.txt"
                                           : "fine_label_names.txt";
  return std::make_unique<ByteDataset>(Shape{3, 32, 32}, std::move(pixels), std::move(labels),
                                       class_names_for(files.front(), names_file, format.num_classes));
}

std::unique_ptr<Dataset> parse_cifar(const std::vector<uint8_t>& bytes, const std::string& path, bool cifar100,
                                     bool coarse_labels) {
  const CifarFormat format(cifar100, coarse_labels);
  std::vector<uint8_t> pixels;
  std::vector<int32_t> labels;
  append_records(bytes, path, format, pixels, labels);
  return std::make_unique<ByteDataset>(Shape{3, 32, 32}, std::move(pixels), std::move(labels),
                                       numbered_class_names(format.num_classes));
}

}  // namespace edgetrain::data
