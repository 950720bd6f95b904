#include <gtest/gtest.h>

#include <filesystem>

#include "data/dataset.hpp"
#include "data/file_read.hpp"
#include "data/image_decode.hpp"
#include "test_files.hpp"

namespace edgetrain::data {
namespace {

using namespace test_util;
namespace fs = std::filesystem;

// [h, w, c] image whose pixel (y, x, ch) = base + 10 * y + 3 * x + ch.
std::vector<uint8_t> ramp(int h, int w, int c, int base) {
  std::vector<uint8_t> v;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int ch = 0; ch < c; ++ch) v.push_back(static_cast<uint8_t>(base + 10 * y + 3 * x + ch));
  return v;
}

TEST(ImageFolder, ReadsClassesInSortedOrder) {
  TempDir dir;
  fs::create_directories(dir.path("dog"));
  fs::create_directories(dir.path("cat"));
  write_image(dir.path("dog/b.png"), 4, 4, 3, ramp(4, 4, 3, 100));
  write_image(dir.path("dog/a.bmp"), 4, 4, 3, ramp(4, 4, 3, 50));
  write_image(dir.path("cat/x.png"), 4, 4, 3, ramp(4, 4, 3, 0));
  write_text(dir.path("cat/.hidden"), "not an image but hidden");
  auto ds = open_image_folder(dir.root().string(), 4, 4, 3);
  ASSERT_EQ(ds->size(), 3);
  EXPECT_EQ(ds->class_names(), (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(ds->label(0), 0);
  EXPECT_EQ(ds->label(1), 1);
  EXPECT_EQ(ds->label(2), 1);
  const int bases[] = {0, 50, 100};  // cat/x, dog/a, dog/b
  std::vector<float> x(48);
  for (int64_t i = 0; i < 3; ++i) {
    ds->read(i, x.data());
    for (int ch = 0; ch < 3; ++ch)
      for (int y = 0; y < 4; ++y)
        for (int xx = 0; xx < 4; ++xx)
          ASSERT_EQ(x[static_cast<size_t>(ch * 16 + y * 4 + xx)],
                    static_cast<float>(bases[i] + 10 * y + 3 * xx + ch) / 255.0f);
  }
}

TEST(ImageFolder, ResizesBilinearAndConvertsToGrey) {
  TempDir dir;
  fs::create_directories(dir.path("only"));
  write_image(dir.path("only/g.png"), 4, 4, 1, ramp(4, 4, 1, 0));  // v = 10y + 3x
  auto ds = open_image_folder(dir.root().string(), 2, 2, 1);
  EXPECT_EQ(ds->sample_shape(), (Shape{1, 2, 2}));
  std::vector<float> x(4);
  ds->read(0, x.data());
  // half-pixel centres: dst (y, x) samples src (2y + 0.5, 2x + 0.5)
  auto want = [](double y, double xx) { return std::lround(10 * y + 3 * xx) / 255.0f; };
  EXPECT_FLOAT_EQ(x[0], want(0.5, 0.5));
  EXPECT_FLOAT_EQ(x[1], want(0.5, 2.5));
  EXPECT_FLOAT_EQ(x[2], want(2.5, 0.5));
  EXPECT_FLOAT_EQ(x[3], want(2.5, 2.5));
  // upsampling a constant stays constant; grey source read as 3 channels replicates
  auto rgb = open_image_folder(dir.root().string(), 7, 5, 3);
  std::vector<float> y(3 * 35);
  rgb->read(0, y.data());
  EXPECT_EQ(y[0], y[35]);
  EXPECT_EQ(y[34], y[69]);
}

TEST(ImageFolder, NonImageFileIsAnError) {
  TempDir dir;
  fs::create_directories(dir.path("a"));
  write_image(dir.path("a/ok.png"), 2, 2, 1, {1, 2, 3, 4});
  write_text(dir.path("a/notes.txt"), "hello");
  std::string e = error_of([&] { open_image_folder(dir.root().string(), 2, 2, 1); });
  EXPECT_CONTAINS(e, dir.path("a/notes.txt") + ": cannot decode image");
}

TEST(ImageFolder, EmptyFoldersAreErrors) {
  TempDir dir;
  std::string e = error_of([&] { open_image_folder(dir.root().string(), 2, 2, 1); });
  EXPECT_CONTAINS(e, "no class sub-folders");
  fs::create_directories(dir.path("a"));
  e = error_of([&] { open_image_folder(dir.root().string(), 2, 2, 1); });
  EXPECT_CONTAINS(e, "has no images");
  e = error_of([&] { open_image_folder(dir.path("missing"), 2, 2, 1); });
  EXPECT_CONTAINS(e, "not a directory");
  e = error_of([&] { open_image_folder(dir.root().string(), 2, 2, 2); });
  EXPECT_CONTAINS(e, "channels is 2");
}

TEST(DecodeImage, FromBytesAsFromTheFile) {
  TempDir dir;
  write_image(dir.path("a.png"), 3, 5, 3, ramp(3, 5, 3, 7));
  const std::vector<uint8_t> bytes = read_binary_file(dir.path("a.png"));
  const DecodedImage a = decode_image(dir.path("a.png"), 3), b = decode_image(bytes.data(), bytes.size(), "a", 3);
  EXPECT_EQ(b.height, 3);
  EXPECT_EQ(b.width, 5);
  EXPECT_EQ(a.pixels, b.pixels);
  EXPECT_EQ(b.pixels, ramp(3, 5, 3, 7));
}

// Found by fuzz/image.cpp: a JPEG whose Huffman table (after the first scan) announces more than 256 codes
// overflowed stb_image v2.27's tables (heap buffer overflow). JPEG is now decoded by libjpeg-turbo, which
// rejects the table.
TEST(DecodeImage, JpegHuffmanTableOfOver256CodesIsAnError) {
  const std::vector<uint8_t> bytes =
      read_binary_file(EDGETRAIN_SOURCE_DIR "/fuzz/corpus/image/regress-jpeg-dht-over-256-codes.jpg");
  for (int channels : {1, 3})
    EXPECT_CONTAINS(error_of([&] { decode_image(bytes.data(), bytes.size(), "dht.jpg", channels); }),
                    "dht.jpg: cannot decode image (JPEG: Bogus Huffman table definition)");
}

// Found by fuzz/image.cpp: a BMP of height 0 decoded to an image of no pixels (then resized from nothing).
TEST(DecodeImage, ImageOfNoPixelsIsAnError) {
  const std::vector<uint8_t> bytes =
      read_binary_file(EDGETRAIN_SOURCE_DIR "/fuzz/corpus/image/regress-bmp-zero-height.bmp");
  EXPECT_CONTAINS(error_of([&] { decode_image(bytes.data(), bytes.size(), "flat.bmp", 3); }),
                  "flat.bmp: the image has no pixels");
  // Found by the ASan + UBSan build's mutations: width 0 and height INT_MIN reached stb_image's abs(INT_MIN).
  TempDir dir;
  write_image(dir.path("a.bmp"), 3, 5, 3, std::vector<uint8_t>(45, 7));
  std::vector<uint8_t> b = read_binary_file(dir.path("a.bmp"));
  const uint8_t header[8] = {0, 0, 0, 0, 0, 0, 0, 0x80};  // width 0, height -2^31 (offsets 18 and 22)
  std::copy(header, header + 8, b.begin() + 18);
  EXPECT_CONTAINS(error_of([&] { decode_image(b.data(), b.size(), "min.bmp", 3); }),
                  "min.bmp: the image has no pixels");
}

// Found by fuzz/image.cpp: a top-down BMP (negative height in its header) passed the pixel limit, and a
// 38-byte file decoded 321 Mpixel (a timeout).
TEST(DecodeImage, TopDownBmpOverThePixelLimitIsAnError) {
  const std::vector<uint8_t> bytes =
      read_binary_file(EDGETRAIN_SOURCE_DIR "/fuzz/corpus/image/regress-bmp-negative-height-over-limit.bmp");
  EXPECT_CONTAINS(error_of([&] { decode_image(bytes.data(), bytes.size(), "big.bmp", 3); }),
                  "big.bmp: the image is 2490369x129 pixels, more than the 67108864 pixels");
  TempDir dir;
  write_image(dir.path("a.bmp"), 3, 5, 3, ramp(3, 5, 3, 0));
  std::vector<uint8_t> top_down = read_binary_file(dir.path("a.bmp"));
  top_down[22] = static_cast<uint8_t>(-3);  // height -3, little-endian at offset 22
  top_down[23] = top_down[24] = top_down[25] = 0xff;
  EXPECT_CONTAINS(error_of([&] { decode_image(top_down.data(), top_down.size(), "td.bmp", 3, 14); }),
                  "td.bmp: the image is 5x3 pixels, more than the 14");
  std::vector<uint8_t> want = ramp(3, 5, 3, 0), got = decode_image(top_down.data(), top_down.size(), "td", 3).pixels;
  for (int y = 0; y < 3; ++y)  // the rows of a bottom-up file read top-down: flipped
    for (int i = 0; i < 15; ++i)
      ASSERT_EQ(got[static_cast<size_t>(y * 15 + i)], want[static_cast<size_t>((2 - y) * 15 + i)]);
}

TEST(DecodeImage, ImageOverThePixelLimitIsAnError) {
  TempDir dir;
  write_image(dir.path("a.png"), 3, 5, 1, ramp(3, 5, 1, 0));
  EXPECT_CONTAINS(error_of([&] { decode_image(dir.path("a.png"), 1, 14); }), "is 5x3 pixels, more than the 14");
  EXPECT_EQ(decode_image(dir.path("a.png"), 1, 15).pixels.size(), 15u);
}

}  // namespace
}  // namespace edgetrain::data
