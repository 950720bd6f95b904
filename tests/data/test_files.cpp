#include "test_files.hpp"

#include <unistd.h>
#include <zlib.h>

#include <fstream>
#include <stdexcept>

#include "edgetrain/error.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

namespace edgetrain::data::test_util {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "edgetrain-data-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  root_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(root_, ec);
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes, bool gz) {
  if (gz) {
    gzFile f = gzopen(path.c_str(), "wb");
    if (!f) throw std::runtime_error("gzopen " + path);
    if (!bytes.empty()) gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
  } else {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
}

namespace {
void put_be32(std::vector<uint8_t>& v, uint32_t x) {
  for (int s = 24; s >= 0; s -= 8) v.push_back(static_cast<uint8_t>(x >> s));
}
}  // namespace

std::vector<uint8_t> idx_images(int n, int h, int w) {
  std::vector<uint8_t> v;
  put_be32(v, 0x803);
  put_be32(v, static_cast<uint32_t>(n));
  put_be32(v, static_cast<uint32_t>(h));
  put_be32(v, static_cast<uint32_t>(w));
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < h * w; ++k) v.push_back(test_pixel(i, k));
  return v;
}

std::vector<uint8_t> idx_labels(const std::vector<uint8_t>& labels) {
  std::vector<uint8_t> v;
  put_be32(v, 0x801);
  put_be32(v, static_cast<uint32_t>(labels.size()));
  v.insert(v.end(), labels.begin(), labels.end());
  return v;
}

std::vector<uint8_t> cifar_records(const std::vector<std::vector<uint8_t>>& label_bytes,
                                   int64_t first_index) {
  std::vector<uint8_t> v;
  for (size_t r = 0; r < label_bytes.size(); ++r) {
    v.insert(v.end(), label_bytes[r].begin(), label_bytes[r].end());
    for (int k = 0; k < 3072; ++k) v.push_back(test_pixel(first_index + static_cast<int64_t>(r), k));
  }
  return v;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

void write_image(const std::string& path, int h, int w, int c, const std::vector<uint8_t>& hwc) {
  int ok = path.ends_with(".bmp") ? stbi_write_bmp(path.c_str(), w, h, c, hwc.data())
                                  : stbi_write_png(path.c_str(), w, h, c, hwc.data(), w * c);
  if (!ok) throw std::runtime_error("cannot write " + path);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const edgetrain::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace edgetrain::data::test_util
