#include "io/checkpoint_file.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "edgetrain/error.hpp"
#include "io/atomic_file.hpp"
#include "test_dir.hpp"

namespace edgetrain::io {
namespace {

using testing::contains;
using testing::error_of;
using testing::TempDir;

constexpr size_t kHeader = 24;

CheckpointData sample() {
  CheckpointData c;
  c.meta = {{"step", 1234},
            {"epoch", 3},
            {"optimizer", {{"type", "sgd"}, {"lr", 0.01}, {"momentum", 0.9}}},
            {"note", "ünïcødé"}};
  c.tensors.push_back({"scalar", Shape{}, {3.5f}});
  c.tensors.push_back({"fc.bias", Shape{4}, {1.f, -2.f, 0.f, std::numeric_limits<float>::infinity()}});
  NamedTensor w{"conv1.weight", Shape{2, 3, 2, 2}, {}};
  for (int i = 0; i < 24; ++i) w.data.push_back(0.25f * static_cast<float>(i) - 3.f);
  c.tensors.push_back(w);
  c.tensors.push_back({"empty", Shape{0, 5}, {}});
  c.tensors.push_back({"empty1d", Shape{0}, {}});
  return c;
}

void put_u32(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
void put_u64(std::string& s, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) s[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
void append_u32(std::string& s, uint32_t v) {
  s.resize(s.size() + 4);
  put_u32(s, s.size() - 4, v);
}
void append_u64(std::string& s, uint64_t v) {
  s.resize(s.size() + 8);
  put_u64(s, s.size() - 8, v);
}

// A file with a valid header and checksum around an arbitrary payload.
std::string wrap_payload(const std::string& payload) {
  std::string f("EDGETRN\0", 8);
  append_u32(f, kCheckpointVersion);
  append_u32(f, 0);
  append_u64(f, payload.size());
  f += payload;
  append_u64(f, fnv1a64(payload));
  return f;
}

TEST(Checkpoint, RoundTrip) {
  TempDir dir;
  const std::string path = dir.file("model.etck");
  const CheckpointData in = sample();
  write_checkpoint(path, in);
  const CheckpointData out = read_checkpoint(path);
  EXPECT_EQ(out.meta, in.meta);
  ASSERT_EQ(out.tensors.size(), in.tensors.size());
  for (size_t i = 0; i < in.tensors.size(); ++i) {
    EXPECT_EQ(out.tensors[i].name, in.tensors[i].name);
    EXPECT_EQ(out.tensors[i].shape, in.tensors[i].shape) << in.tensors[i].name;
    ASSERT_EQ(out.tensors[i].data.size(), in.tensors[i].data.size());
    if (!in.tensors[i].data.empty()) {
      EXPECT_EQ(0, std::memcmp(out.tensors[i].data.data(), in.tensors[i].data.data(),
                               in.tensors[i].data.size() * sizeof(float)));
    }
  }
  EXPECT_EQ(out.tensors[0].shape.rank(), 0);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"model.etck"});
}

TEST(Checkpoint, ParsesBytesInMemoryAsTheFile) {
  TempDir dir;
  const std::string path = dir.path() + "/a.ckpt";
  write_checkpoint(path, sample());
  const CheckpointData from_file = read_checkpoint(path);
  const CheckpointData from_bytes = parse_checkpoint(read_file(path), "in-memory.ckpt");
  EXPECT_EQ(from_bytes.meta, from_file.meta);
  ASSERT_EQ(from_bytes.tensors.size(), from_file.tensors.size());
  for (size_t i = 0; i < from_file.tensors.size(); ++i) {
    EXPECT_EQ(from_bytes.tensors[i].name, from_file.tensors[i].name);
    EXPECT_EQ(from_bytes.tensors[i].shape, from_file.tensors[i].shape);
    EXPECT_EQ(std::memcmp(from_bytes.tensors[i].data.data(), from_file.tensors[i].data.data(),
                          from_file.tensors[i].data.size() * sizeof(float)),
              0);
  }
  EXPECT_TRUE(contains(error_of([&] { parse_checkpoint("EDGETRN", "in-memory.ckpt"); }), "in-memory.ckpt"));
}

TEST(Checkpoint, NaNBitsPreserved) {
  TempDir dir;
  CheckpointData in;
  in.tensors.push_back({"n", Shape{2}, {std::nanf("0x123"), -0.0f}});
  write_checkpoint(dir.file("c"), in);
  const CheckpointData out = read_checkpoint(dir.file("c"));
  EXPECT_EQ(0, std::memcmp(out.tensors[0].data.data(), in.tensors[0].data.data(), 8));
  EXPECT_TRUE(out.meta.is_null());
}

TEST(Checkpoint, EmptyCheckpoint) {
  TempDir dir;
  write_checkpoint(dir.file("c"), CheckpointData{});
  const CheckpointData out = read_checkpoint(dir.file("c"));
  EXPECT_TRUE(out.tensors.empty());
}

TEST(Checkpoint, LayoutIsAsDocumented) {
  TempDir dir;
  CheckpointData in;
  in.meta = {{"a", 1}};
  in.tensors.push_back({"w", Shape{2}, {1.f, 2.f}});
  write_checkpoint(dir.file("c"), in);
  const std::string f = read_file(dir.file("c"));
  std::string payload;
  const std::string meta = R"({"a":1})";
  append_u64(payload, meta.size());
  payload += meta;
  append_u64(payload, 1);
  append_u32(payload, 1);
  payload += "w";
  append_u32(payload, 1);
  append_u64(payload, 2);
  const float vals[2] = {1.f, 2.f};
  payload.append(reinterpret_cast<const char*>(vals), sizeof vals);  // little-endian host
  EXPECT_EQ(f, wrap_payload(payload));
}

TEST(Checkpoint, FindTensor) {
  const CheckpointData c = sample();
  const NamedTensor* t = find_tensor(c, "conv1.weight");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->shape, (Shape{2, 3, 2, 2}));
  EXPECT_EQ(find_tensor(c, "nope"), nullptr);
}

TEST(Checkpoint, OverwriteReplaces) {
  TempDir dir;
  const std::string path = dir.file("c");
  write_checkpoint(path, sample());
  CheckpointData small;
  small.meta = {{"step", 1}};
  write_checkpoint(path, small);
  EXPECT_EQ(read_checkpoint(path).meta["step"], 1);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"c"});
}

TEST(Checkpoint, MissingFile) {
  TempDir dir;
  const std::string path = dir.file("absent.etck");
  const std::string msg = error_of([&] { (void)read_checkpoint(path); });
  EXPECT_PRED2(contains, msg, path);
  EXPECT_PRED2(contains, msg, "No such file");
}

TEST(Checkpoint, TruncatedAtSeveralPoints) {
  TempDir dir;
  const std::string good = dir.file("good");
  write_checkpoint(good, sample());
  const std::string full = read_file(good);
  for (size_t len : {size_t{0}, size_t{4}, size_t{8}, size_t{12}, size_t{23}, kHeader, kHeader + 3, full.size() / 2,
                     full.size() - 9, full.size() - 8, full.size() - 1}) {
    const std::string path = dir.file("cut");
    write_file_atomic(path, std::string_view(full).substr(0, len));
    const std::string msg = error_of([&] { (void)read_checkpoint(path); });
    EXPECT_PRED2(contains, msg, "truncated") << "len " << len;
    EXPECT_PRED2(contains, msg, path);
  }
}

TEST(Checkpoint, EveryPrefixFailsCleanly) {
  TempDir dir;
  write_checkpoint(dir.file("good"), sample());
  const std::string full = read_file(dir.file("good"));
  for (size_t len = 0; len < full.size(); ++len) {
    write_file_atomic(dir.file("cut"), std::string_view(full).substr(0, len));
    EXPECT_THROW((void)read_checkpoint(dir.file("cut")), Error) << "len " << len;
  }
}

TEST(Checkpoint, FlippedPayloadByteIsCorrupt) {
  TempDir dir;
  write_checkpoint(dir.file("good"), sample());
  const std::string full = read_file(dir.file("good"));
  for (size_t at : {kHeader, kHeader + 10, full.size() / 2, full.size() - 9, full.size() - 1}) {
    std::string bad = full;
    bad[at] = static_cast<char>(bad[at] ^ 0x10);
    write_file_atomic(dir.file("bad"), bad);
    const std::string msg = error_of([&] { (void)read_checkpoint(dir.file("bad")); });
    EXPECT_PRED2(contains, msg, "corrupt") << "at " << at;
    EXPECT_PRED2(contains, msg, dir.file("bad"));
  }
}

TEST(Checkpoint, TrailingGarbageIsCorrupt) {
  TempDir dir;
  write_checkpoint(dir.file("good"), sample());
  write_file_atomic(dir.file("bad"), read_file(dir.file("good")) + "xx");
  EXPECT_PRED2(contains, error_of([&] { (void)read_checkpoint(dir.file("bad")); }), "corrupt");
}

TEST(Checkpoint, WrongMagic) {
  TempDir dir;
  write_checkpoint(dir.file("good"), sample());
  std::string f = read_file(dir.file("good"));
  f[0] = 'X';
  write_file_atomic(dir.file("bad"), f);
  EXPECT_PRED2(contains, error_of([&] { (void)read_checkpoint(dir.file("bad")); }), "not an edgetrain checkpoint");
  write_file_atomic(dir.file("text"), "{\"this is\": \"json, not a checkpoint at all\"}");
  EXPECT_PRED2(contains, error_of([&] { (void)read_checkpoint(dir.file("text")); }), "not an edgetrain checkpoint");
}

TEST(Checkpoint, VersionBumped) {
  TempDir dir;
  write_checkpoint(dir.file("good"), sample());
  std::string f = read_file(dir.file("good"));
  put_u32(f, 8, kCheckpointVersion + 1);
  write_file_atomic(dir.file("v2"), f);
  const std::string msg = error_of([&] { (void)read_checkpoint(dir.file("v2")); });
  EXPECT_PRED2(contains, msg, "written by format version 2, this build reads 1");
  EXPECT_PRED2(contains, msg, dir.file("v2"));
}

TEST(Checkpoint, HugePayloadSizeIsTruncatedNotAllocated) {
  TempDir dir;
  write_checkpoint(dir.file("good"), sample());
  std::string f = read_file(dir.file("good"));
  put_u64(f, 16, ~uint64_t{0});
  write_file_atomic(dir.file("bad"), f);
  EXPECT_PRED2(contains, error_of([&] { (void)read_checkpoint(dir.file("bad")); }), "truncated");
}

// Payloads with a valid checksum but inconsistent contents.
// A checkpoint whose payload does not add up: read_checkpoint must say "inconsistent" and the path.
struct InconsistentCheckpoint {
  TempDir dir;
  std::string path = dir.file("bad");
  std::string meta = [] {  // an empty JSON object as metadata
    std::string m;
    append_u64(m, 2);
    return m + "{}";
  }();
  void expect(const std::string& payload, const char* what) const {
    write_file_atomic(path, wrap_payload(payload));
    const std::string msg = error_of([&] { (void)read_checkpoint(path); });
    EXPECT_PRED2(contains, msg, "inconsistent") << what;
    EXPECT_PRED2(contains, msg, path) << what;
  }
};

TEST(Checkpoint, InconsistentSizes) {
  const InconsistentCheckpoint c;
  const auto expect_inconsistent = [&](const std::string& payload, const char* what) { c.expect(payload, what); };
  const std::string& meta = c.meta;
  expect_inconsistent("", "empty payload");
  {
    std::string p;
    append_u64(p, ~uint64_t{0});
    expect_inconsistent(p, "huge meta length");
  }
  {
    std::string p;
    append_u64(p, 3);
    p += "{{{";
    append_u64(p, 0);
    expect_inconsistent(p, "bad json");
  }
  {
    std::string p = meta;
    append_u64(p, uint64_t{1} << 60);
    expect_inconsistent(p, "huge tensor count");
  }
  {
    std::string p = meta;
    append_u64(p, 1);
    append_u32(p, 0xFFFFFFFFu);
    expect_inconsistent(p, "huge name length");
  }
  {
    std::string p = meta;
    append_u64(p, 1);
    append_u32(p, 1);
    p += "w";
    append_u32(p, 0xFFFFFFFFu);
    expect_inconsistent(p, "huge rank");
  }
  {
    std::string p = meta;
    append_u64(p, 1);
    append_u32(p, 1);
    p += "w";
    append_u32(p, 2);
    append_u64(p, uint64_t{1} << 40);
    append_u64(p, uint64_t{1} << 40);
    expect_inconsistent(p, "huge dims (overflowing numel)");
  }
}

TEST(Checkpoint, InconsistentTensorRecords) {
  const InconsistentCheckpoint c;
  const auto expect_inconsistent = [&](const std::string& payload, const char* what) { c.expect(payload, what); };
  const std::string& meta = c.meta;
  {
    std::string p = meta;
    append_u64(p, 1);
    append_u32(p, 1);
    p += "w";
    append_u32(p, 3);
    append_u64(p, uint64_t{1} << 40);
    append_u64(p, uint64_t{1} << 40);
    append_u64(p, 0);
    expect_inconsistent(p, "huge dims times zero");
  }
  {
    std::string p = meta;
    append_u64(p, 1);
    append_u32(p, 1);
    p += "w";
    append_u32(p, 1);
    append_u64(p, ~uint64_t{0});  // -1
    expect_inconsistent(p, "negative dim");
  }
  {
    std::string p = meta;
    append_u64(p, 1);
    append_u32(p, 1);
    p += "w";
    append_u32(p, 1);
    append_u64(p, 3);
    append_u32(p, 0);
    append_u32(p, 0);  // 8 bytes of data, 12 needed
    expect_inconsistent(p, "numel vs bytes left");
  }
  {
    std::string p = meta;
    append_u64(p, 1);
    append_u32(p, 1);
    p += "w";
    append_u32(p, 1);
    append_u64(p, 1);
    append_u32(p, 0);
    append_u32(p, 0);  // 4 extra bytes
    expect_inconsistent(p, "unused bytes");
  }
  {
    std::string p = meta;
    append_u64(p, 2);
    for (int i = 0; i < 2; ++i) {
      append_u32(p, 1);
      p += "w";
      append_u32(p, 0);
      append_u32(p, 0);
    }
    expect_inconsistent(p, "duplicate names");
  }
}

// Random mutations with a recomputed checksum must either load or throw Error, never crash
// (run under ASan/UBSan via -DEDGETRAIN_SANITIZE=ON).
TEST(Checkpoint, MutatedPayloadsNeverCrash) {
  TempDir dir;
  write_checkpoint(dir.file("good"), sample());
  const std::string full = read_file(dir.file("good"));
  const std::string payload = full.substr(kHeader, full.size() - kHeader - 8);
  std::mt19937 rng(42);
  for (int iter = 0; iter < 300; ++iter) {
    std::string p = payload;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) p[rng() % p.size()] = static_cast<char>(rng());
    write_file_atomic(dir.file("m"), wrap_payload(p));
    try {
      (void)read_checkpoint(dir.file("m"));
    } catch (const Error&) {
    }
  }
}

TEST(Checkpoint, WriteRejectsBadInput) {
  TempDir dir;
  {
    CheckpointData c;
    c.tensors.push_back({"w", Shape{2, 2}, {1.f, 2.f, 3.f}});
    const std::string msg = error_of([&] { write_checkpoint(dir.file("c"), c); });
    EXPECT_PRED2(contains, msg, "'w'");
    EXPECT_PRED2(contains, msg, "[2x2]");
  }
  {
    CheckpointData c;
    c.tensors.push_back({"w", Shape{1}, {1.f}});
    c.tensors.push_back({"w", Shape{1}, {2.f}});
    EXPECT_PRED2(contains, error_of([&] { write_checkpoint(dir.file("c"), c); }), "twice");
  }
  {
    CheckpointData c;
    c.tensors.push_back({"", Shape{1}, {1.f}});
    EXPECT_THROW(write_checkpoint(dir.file("c"), c), Error);
  }
  {
    CheckpointData c;
    c.meta = std::string("\xff\xfe bad utf8");
    EXPECT_PRED2(contains, error_of([&] { write_checkpoint(dir.file("c"), c); }), "UTF-8");
  }
  EXPECT_TRUE(dir.entries().empty());
}

TEST(Checkpoint, WriteIntoMissingDirectoryLeavesNothing) {
  TempDir dir;
  EXPECT_THROW(write_checkpoint(dir.file("missing/c"), sample()), Error);
  EXPECT_TRUE(dir.entries().empty());
}

}  // namespace
}  // namespace edgetrain::io
