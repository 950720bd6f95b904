#include "io/tensor_file.hpp"

#include <cstring>

#include "core/check.hpp"
#include "io/atomic_file.hpp"

namespace edgetrain::io {

namespace {

constexpr char kMagic[8] = {'E', 'T', 'T', 'E', 'N', 'S', '0', '1'};

uint32_t code_of(DType t) {
  switch (t) {
    case DType::f32: return 0;
    case DType::i32: return 1;
    default: fail("tensor files hold f32 or i32 tensors, not {}", dtype_info(t).name);
  }
}

DType dtype_of(uint32_t code, const std::string& path) {
  switch (code) {
    case 0: return DType::f32;
    case 1: return DType::i32;
    case 2: fail("{}: i64 tensors are not read by edgetrain; store int32", path);
    default: fail("{}: unknown tensor element type code {} (corrupt file?)", path, code);
  }
}

template <class T> void put(std::string& out, T v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }

class Reader {
 public:
  Reader(const std::string& path, std::string_view bytes) : path_(path), bytes_(bytes) {}
  template <class T> T get() {
    T v;
    std::memcpy(&v, take(sizeof v), sizeof v);
    return v;
  }
  const char* take(size_t n) {
    ET_REQUIRE(n <= bytes_.size() - pos_, "{}: truncated tensor file (needs {} more bytes at offset {})", path_, n, pos_);
    const char* p = bytes_.data() + pos_;
    pos_ += n;
    return p;
  }

 private:
  const std::string& path_;
  std::string_view bytes_;
  size_t pos_ = 0;
};

template <class T> TensorRecord record_of(std::string name, const Shape& shape, const T* data, DType dtype) {
  TensorRecord r{std::move(name), dtype, shape, {}};
  r.bytes.resize(static_cast<size_t>(shape.numel()) * sizeof(T));
  if (!r.bytes.empty()) std::memcpy(r.bytes.data(), data, r.bytes.size());
  return r;
}

}  // namespace

std::vector<float> TensorRecord::floats() const {
  ET_REQUIRE(dtype == DType::f32, "tensor '{}' holds {}, not f32", name, dtype_info(dtype).name);
  return std::vector<float>(as<float>(), as<float>() + shape.numel());
}

TensorRecord make_record(std::string name, const Shape& shape, const float* data) {
  return record_of(std::move(name), shape, data, DType::f32);
}
TensorRecord make_record(std::string name, const Shape& shape, const int32_t* data) {
  return record_of(std::move(name), shape, data, DType::i32);
}

void write_tensor_file(const std::string& path, const std::vector<TensorRecord>& tensors) {
  std::string out(kMagic, sizeof kMagic);
  put<uint32_t>(out, static_cast<uint32_t>(tensors.size()));
  for (const TensorRecord& t : tensors) {
    ET_REQUIRE(t.bytes.size() == static_cast<size_t>(t.shape.numel()) * dtype_info(t.dtype).size,
               "tensor '{}': {} bytes for shape {}", t.name, t.bytes.size(), t.shape.str());
    put<uint32_t>(out, static_cast<uint32_t>(t.name.size()));
    out += t.name;
    put<uint32_t>(out, code_of(t.dtype));
    put<uint32_t>(out, static_cast<uint32_t>(t.shape.rank()));
    for (int64_t d : t.shape.dims()) put<int64_t>(out, d);
    out.append(reinterpret_cast<const char*>(t.bytes.data()), t.bytes.size());
  }
  write_file_atomic(path, out);
}

std::vector<TensorRecord> read_tensor_file(const std::string& path) { return parse_tensor_file(read_file(path), path); }

std::vector<TensorRecord> parse_tensor_file(std::string_view bytes, const std::string& path) {
  Reader in(path, bytes);
  ET_REQUIRE(bytes.size() >= sizeof kMagic && std::memcmp(in.take(sizeof kMagic), kMagic, sizeof kMagic) == 0,
             "{}: not a tensor file (bad magic)", path);
  const uint32_t count = in.get<uint32_t>();
  std::vector<TensorRecord> out;
  for (uint32_t i = 0; i < count; ++i) {
    TensorRecord t;
    const uint32_t len = in.get<uint32_t>();
    t.name.assign(in.take(len), len);
    t.dtype = dtype_of(in.get<uint32_t>(), path);
    const uint32_t rank = in.get<uint32_t>();
    ET_REQUIRE(rank <= 8, "{}: tensor '{}' has rank {} (corrupt file?)", path, t.name, rank);
    std::vector<int64_t> dims(rank);
    int64_t total = 1;
    for (auto& d : dims) {
      d = in.get<int64_t>();
      ET_REQUIRE(d >= 0 && d < (int64_t{1} << 40), "{}: tensor '{}' has dimension {}", path, t.name, d);
      ET_REQUIRE(d == 0 || total <= (int64_t{1} << 40) / d, "{}: tensor '{}' is impossibly large", path, t.name);
      total *= d;
    }
    t.shape = Shape(dims);
    const size_t n = static_cast<size_t>(t.shape.numel()) * dtype_info(t.dtype).size;
    const char* p = in.take(n);
    t.bytes.assign(p, p + n);
    out.push_back(std::move(t));
  }
  return out;
}

const TensorRecord* find_record(const std::vector<TensorRecord>& tensors, const std::string& name) {
  for (const TensorRecord& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

}  // namespace edgetrain::io
