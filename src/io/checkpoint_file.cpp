#include "io/checkpoint_file.hpp"

#include <bit>
#include <cstring>
#include <limits>
#include <unordered_set>

#include "core/check.hpp"
#include "io/atomic_file.hpp"

namespace edgetrain::io {
namespace {

constexpr char kMagic[8] = {'E', 'D', 'G', 'E', 'T', 'R', 'N', '\0'};
constexpr size_t kHeaderBytes = 8 + 4 + 4 + 8;
constexpr size_t kTrailerBytes = 8;

// ---- writing -------------------------------------------------------------------------------

void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void put_floats(std::string& out, const std::vector<float>& data) {
  if constexpr (std::endian::native == std::endian::little) {
    out.append(reinterpret_cast<const char*>(data.data()), data.size() * sizeof(float));
  } else {
    for (float f : data) put_u32(out, std::bit_cast<uint32_t>(f));
  }
}

// ---- reading -------------------------------------------------------------------------------

uint32_t get_u32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}
uint64_t get_u64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

// Bounds-checked cursor over the (checksum-verified) payload. Every size read from the file is
// checked against the bytes left before anything is allocated.
class Reader {
 public:
  Reader(const std::string& path, std::string_view bytes) : path_(path), bytes_(bytes) {}

  size_t left() const { return bytes_.size() - pos_; }
  bool done() const { return pos_ == bytes_.size(); }

  void need(uint64_t n, std::string_view what) const {
    if (n > left())
      fail(
          "checkpoint '{}' is inconsistent: {} needs {} bytes but only {} remain in the payload "
          "(the file was written by a broken writer; re-create it)",
          path_, what, n, left());
  }
  uint32_t u32(std::string_view what) {
    need(4, what);
    const uint32_t v = get_u32(bytes_.data() + pos_);
    pos_ += 4;
    return v;
  }
  uint64_t u64(std::string_view what) {
    need(8, what);
    const uint64_t v = get_u64(bytes_.data() + pos_);
    pos_ += 8;
    return v;
  }
  std::string_view take(uint64_t n, std::string_view what) {
    need(n, what);
    std::string_view s = bytes_.substr(pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return s;
  }

 private:
  const std::string& path_;
  std::string_view bytes_;
  size_t pos_ = 0;
};

}  // namespace

uint64_t fnv1a64(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

void write_checkpoint(const std::string& path, const CheckpointData& ckpt) {
  std::string meta;
  try {
    meta = ckpt.meta.dump();
  } catch (const nlohmann::json::exception& e) {
    fail(
        "cannot write checkpoint '{}': metadata is not serialisable JSON: {} (strings must be "
        "valid UTF-8)",
        path, e.what());
  }

  std::string payload;
  size_t reserve = 8 + meta.size() + 8;
  std::unordered_set<std::string_view> names;
  for (const NamedTensor& t : ckpt.tensors) {
    ET_REQUIRE(!t.name.empty(), "cannot write checkpoint '{}': a tensor has an empty name (name it)", path);
    ET_REQUIRE(names.insert(t.name).second,
               "cannot write checkpoint '{}': tensor name '{}' appears twice (names must be unique)", path, t.name);
    ET_REQUIRE(t.name.size() <= std::numeric_limits<uint32_t>::max(),
               "cannot write checkpoint '{}': tensor name is too long", path);
    for (int64_t d : t.shape.dims())
      ET_REQUIRE(d >= 0, "cannot write checkpoint '{}': tensor '{}' has negative dim in shape {}", path, t.name,
                 t.shape.str());
    ET_REQUIRE(static_cast<uint64_t>(t.shape.numel()) == t.data.size(),
               "cannot write checkpoint '{}': tensor '{}' has shape {} ({} elements) but {} values "
               "(fix the shape or the data)",
               path, t.name, t.shape.str(), t.shape.numel(), t.data.size());
    reserve += 8 + t.name.size() + 8 * t.shape.dims().size() + 4 * t.data.size();
  }
  payload.reserve(reserve);

  put_u64(payload, meta.size());
  payload += meta;
  put_u64(payload, ckpt.tensors.size());
  for (const NamedTensor& t : ckpt.tensors) {
    put_u32(payload, static_cast<uint32_t>(t.name.size()));
    payload += t.name;
    put_u32(payload, static_cast<uint32_t>(t.shape.rank()));
    for (int64_t d : t.shape.dims()) put_u64(payload, static_cast<uint64_t>(d));
    put_floats(payload, t.data);
  }

  std::string file;
  file.reserve(kHeaderBytes + payload.size() + kTrailerBytes);
  file.append(kMagic, sizeof kMagic);
  put_u32(file, kCheckpointVersion);
  put_u32(file, 0);  // flags
  put_u64(file, payload.size());
  file += payload;
  put_u64(file, fnv1a64(payload));

  write_file_atomic(path, file);
}

CheckpointData read_checkpoint(const std::string& path) {
  std::string file;
  try {
    file = read_file(path);
  } catch (const Error& e) {
    fail("cannot load checkpoint: {}", e.what());
  }
  return parse_checkpoint(file, path);
}

namespace {

// The payload of a checkpoint file after checking its header, size and checksum.
std::string_view checked_payload(std::string_view file, const std::string& path) {
  ET_REQUIRE(file.size() >= kHeaderBytes,
             "checkpoint '{}' is truncated or not a checkpoint: {} bytes, shorter than the {}-byte "
             "header (the write was interrupted or the file was cut; use an earlier checkpoint)",
             path, file.size(), kHeaderBytes);
  ET_REQUIRE(std::memcmp(file.data(), kMagic, sizeof kMagic) == 0,
             "'{}' is not an edgetrain checkpoint (bad magic bytes; pass a file written by "
             "edgetrain, e.g. by `edgetrain train`)",
             path);
  const uint32_t version = get_u32(file.data() + 8);
  ET_REQUIRE(version == kCheckpointVersion,
             "checkpoint '{}' was written by format version {}, this build reads {} (use a matching "
             "edgetrain build to load or convert it)",
             path, version, kCheckpointVersion);
  // flags (file.data() + 12) are reserved; version 1 writes 0 and ignores them.
  const uint64_t payload_size = get_u64(file.data() + 16);
  const uint64_t body = file.size() - kHeaderBytes;
  ET_REQUIRE(body >= kTrailerBytes && payload_size <= body - kTrailerBytes,
             "checkpoint '{}' is truncated: header says {} payload bytes plus an {}-byte checksum "
             "but the file has {} bytes after the header (the write was interrupted or the file "
             "was cut; use an earlier checkpoint)",
             path, payload_size, kTrailerBytes, body);
  ET_REQUIRE(payload_size == body - kTrailerBytes,
             "checkpoint '{}' is corrupt: {} unexpected trailing bytes after the checksum (the file "
             "was modified; use an earlier checkpoint)",
             path, body - kTrailerBytes - payload_size);

  const std::string_view payload(file.data() + kHeaderBytes, static_cast<size_t>(payload_size));
  const uint64_t stored = get_u64(file.data() + kHeaderBytes + payload_size);
  const uint64_t actual = fnv1a64(payload);
  ET_REQUIRE(stored == actual,
             "checkpoint '{}' is corrupt: checksum mismatch (stored {:016x}, computed {:016x}; the "
             "file was damaged on disk or in transfer; use an earlier checkpoint)",
             path, stored, actual);

  return payload;
}

// Tensor #i: its name (non-empty, not in `names` yet), shape and f32 data.
NamedTensor read_tensor(Reader& r, const std::string& path, uint64_t i, std::unordered_set<std::string>& names) {
  NamedTensor t;
  const uint32_t name_len = r.u32("tensor name length");
  t.name = std::string(r.take(name_len, "tensor name"));
  ET_REQUIRE(!t.name.empty() && names.insert(t.name).second,
             "checkpoint '{}' is inconsistent: tensor #{} has an empty or duplicate name '{}' "
             "(re-create the file)",
             path, i, t.name);
  const uint32_t rank = r.u32("tensor rank");
  r.need(uint64_t{rank} * 8, fmt::format("dims of tensor '{}'", t.name));
  std::vector<int64_t> dims(rank);
  // Product of the non-zero dims, clamped: it must fit in the bytes left, which also keeps
  // Shape::numel() free of overflow for shapes like [huge, huge, 0].
  const uint64_t cap = r.left() / 4;
  uint64_t nonzero_prod = 1;
  bool has_zero = false;
  bool too_big = false;
  for (uint32_t k = 0; k < rank; ++k) {
    const uint64_t d = r.u64("tensor dim");
    ET_REQUIRE(d <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()),
               "checkpoint '{}' is inconsistent: tensor '{}' has a negative dim (re-create the "
               "file)",
               path, t.name);
    dims[k] = static_cast<int64_t>(d);
    if (d == 0)
      has_zero = true;
    else if (nonzero_prod > cap / d)
      too_big = true;
    else
      nonzero_prod *= d;
  }
  t.shape = Shape(std::move(dims));
  ET_REQUIRE(!too_big && nonzero_prod <= cap,
             "checkpoint '{}' is inconsistent: tensor '{}' has shape {} but only {} payload bytes "
             "remain (re-create the file)",
             path, t.name, t.shape.str(), r.left());
  const uint64_t numel = has_zero ? 0 : nonzero_prod;
  const std::string_view raw = r.take(numel * sizeof(float), "tensor data");
  t.data.resize(static_cast<size_t>(numel));
  if constexpr (std::endian::native == std::endian::little) {
    if (numel) std::memcpy(t.data.data(), raw.data(), raw.size());
  } else {
    for (size_t k = 0; k < t.data.size(); ++k) t.data[k] = std::bit_cast<float>(get_u32(raw.data() + 4 * k));
  }
  return t;
}

}  // namespace

CheckpointData parse_checkpoint(std::string_view file, const std::string& path) {
  Reader r(path, checked_payload(file, path));
  CheckpointData out;
  const uint64_t meta_len = r.u64("metadata length");
  const std::string_view meta = r.take(meta_len, "metadata");
  try {
    out.meta = nlohmann::json::parse(meta);
  } catch (const nlohmann::json::exception& e) {
    fail("checkpoint '{}' is inconsistent: metadata is not valid JSON: {} (re-create the file)", path, e.what());
  }

  const uint64_t count = r.u64("tensor count");
  // Each tensor takes at least 8 bytes (name length + rank), so this bounds the reserve.
  ET_REQUIRE(count <= r.left() / 8,
             "checkpoint '{}' is inconsistent: claims {} tensors but only {} payload bytes remain "
             "(re-create the file)",
             path, count, r.left());
  out.tensors.reserve(static_cast<size_t>(count));
  std::unordered_set<std::string> names;
  for (uint64_t i = 0; i < count; ++i) {
    out.tensors.push_back(read_tensor(r, path, i, names));
  }
  ET_REQUIRE(r.done(),
             "checkpoint '{}' is inconsistent: {} unused bytes after the last tensor (re-create the "
             "file)",
             path, r.left());
  return out;
}

const NamedTensor* find_tensor(const CheckpointData& ckpt, std::string_view name) {
  for (const NamedTensor& t : ckpt.tensors)
    if (t.name == name) return &t;
  return nullptr;
}

}  // namespace edgetrain::io
