// open_image_folder: root/<class>/<image files>, decoded eagerly into a ByteDataset.
#include <algorithm>
#include <filesystem>

#include "core/check.hpp"
#include "data/byte_dataset.hpp"
#include "data/dataset.hpp"
#include "data/image_decode.hpp"
#include "data/resize.hpp"

namespace edgetrain::data {
namespace {

namespace fs = std::filesystem;

bool hidden(const fs::path& p) { return p.filename().string().starts_with("."); }

// Sorted entries of dir that are directories (want_dirs) or regular files, hidden ones skipped.
std::vector<fs::path> sorted_entries(const fs::path& dir, bool want_dirs) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    if (hidden(e.path())) continue;
    if (want_dirs ? e.is_directory() : e.is_regular_file()) out.push_back(e.path());
  }
  ET_REQUIRE(!ec, "{}: cannot list directory ({})", dir.string(), ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::unique_ptr<Dataset> open_image_folder(const std::string& root, int height, int width,
                                           int channels) {
  ET_REQUIRE(height > 0 && width > 0, "open_image_folder({}): size {}x{} must be positive", root,
             height, width);
  ET_REQUIRE(channels == 1 || channels == 3,
             "open_image_folder({}): channels is {}; use 1 (grey) or 3 (RGB)", root, channels);
  std::error_code ec;
  ET_REQUIRE(fs::is_directory(root, ec),
             "image folder {}: not a directory; expected a folder with one sub-folder per class",
             root);
  const std::vector<fs::path> class_dirs = sorted_entries(root, true);
  ET_REQUIRE(!class_dirs.empty(),
             "image folder {}: no class sub-folders; put each class's images in {}/<class name>/",
             root, root);

  const Shape shape{channels, height, width};
  const size_t numel = static_cast<size_t>(shape.numel());
  std::vector<uint8_t> pixels;  // [N, C, H, W]
  std::vector<int32_t> labels;  // [N]
  std::vector<std::string> names;
  for (const fs::path& dir : class_dirs) {
    const std::vector<fs::path> files = sorted_entries(dir, false);
    ET_REQUIRE(!files.empty(),
               "image folder {}: class folder {} has no images; add images or remove the folder",
               root, dir.string());
    const int32_t label = static_cast<int32_t>(names.size());
    names.push_back(dir.filename().string());
    for (const fs::path& file : files) {
      const DecodedImage img = decode_image(file.string(), channels);
      const size_t base = pixels.size();
      pixels.resize(base + numel);
      resize_bilinear_hwc_to_chw(img.pixels.data(), img.height, img.width, channels,
                                 pixels.data() + base, height, width);
      labels.push_back(label);
    }
  }
  return std::make_unique<ByteDataset>(shape, std::move(pixels), std::move(labels),
                                       std::move(names));
}

}  // namespace edgetrain::data
