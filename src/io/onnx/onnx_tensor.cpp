#include "io/onnx/onnx_tensor.hpp"

#include <cmath>
#include <cstring>

#include "core/check.hpp"

namespace edgetrain::io::onnx_detail {

namespace {

template <class T> std::vector<T> from_raw(const std::string& raw, int64_t n, const std::string& where) {
  ET_REQUIRE(raw.size() == static_cast<size_t>(n) * sizeof(T), "{}: raw data holds {} bytes, the shape needs {}",
             where, raw.size(), static_cast<size_t>(n) * sizeof(T));
  std::vector<T> out(static_cast<size_t>(n));
  if (n > 0) std::memcpy(out.data(), raw.data(), raw.size());
  return out;
}

template <class Out, class Field> std::vector<Out> from_field(const Field& field, int64_t n, const std::string& where) {
  ET_REQUIRE(field.size() == n, "{}: holds {} values, the shape needs {}", where, field.size(), n);
  return std::vector<Out>(field.begin(), field.end());
}

}  // namespace

int64_t Constant::numel() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

double Constant::scalar(const std::string& where) const {
  ET_REQUIRE(numel() == 1, "{}: expected a single value, got a tensor of {} values", where, numel());
  return is_float ? f[0] : static_cast<double>(i[0]);
}

std::vector<int64_t> Constant::ints(const std::string& where) const {
  if (!is_float) return i;
  std::vector<int64_t> out;
  for (float v : f) {
    ET_REQUIRE(std::floor(v) == v, "{}: expected integers, got {}", where, v);
    out.push_back(static_cast<int64_t>(v));
  }
  return out;
}

Constant Constant::of_ints(std::vector<int64_t> values) {
  Constant c;
  c.dims = {static_cast<int64_t>(values.size())};
  c.is_float = false;
  c.i = std::move(values);
  return c;
}

Constant decode_tensor(const onnx::TensorProto& t, const std::string& where) {
  ET_REQUIRE(t.data_location() != onnx::TensorProto::EXTERNAL,
             "{}: tensor '{}' keeps its data in an external file, which edgetrain does not read (export without "
             "external data)", where, t.name());
  Constant c;
  c.dims.assign(t.dims().begin(), t.dims().end());
  int64_t n = 1;
  for (int64_t d : c.dims) {
    ET_REQUIRE(d >= 0 && d <= (int64_t{1} << 40), "{}: tensor '{}' has dimension {}", where, t.name(), d);
    ET_REQUIRE(d == 0 || n <= (int64_t{1} << 40) / d, "{}: tensor '{}' is impossibly large", where, t.name());
    n *= d;
  }
  const std::string what = where + ": tensor '" + t.name() + "'";
  const bool raw = t.has_raw_data();
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      c.f = raw ? from_raw<float>(t.raw_data(), n, what) : from_field<float>(t.float_data(), n, what);
      break;
    case onnx::TensorProto::DOUBLE: {
      auto d = raw ? from_raw<double>(t.raw_data(), n, what) : from_field<double>(t.double_data(), n, what);
      c.f.assign(d.begin(), d.end());
      break;
    }
    case onnx::TensorProto::INT64:
      c.is_float = false;
      c.i = raw ? from_raw<int64_t>(t.raw_data(), n, what) : from_field<int64_t>(t.int64_data(), n, what);
      break;
    case onnx::TensorProto::INT32: {
      c.is_float = false;
      auto d = raw ? from_raw<int32_t>(t.raw_data(), n, what) : from_field<int32_t>(t.int32_data(), n, what);
      c.i.assign(d.begin(), d.end());
      break;
    }
    case onnx::TensorProto::BOOL:
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::INT8: {
      c.is_float = false;
      if (raw) {
        auto d = from_raw<uint8_t>(t.raw_data(), n, what);
        for (uint8_t v : d) c.i.push_back(t.data_type() == onnx::TensorProto::INT8 ? static_cast<int8_t>(v) : v);
      } else {
        c.i = from_field<int64_t>(t.int32_data(), n, what);
      }
      break;
    }
    default:
      fail("{} has element type {}; edgetrain reads float, double and integer tensors", what,
           onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(t.data_type())));
  }
  return c;
}

void encode_tensor(onnx::TensorProto& t, const std::string& name, const Shape& shape, const float* data) {
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : shape.dims()) t.add_dims(d);
  t.set_raw_data(std::string(reinterpret_cast<const char*>(data), static_cast<size_t>(shape.numel()) * sizeof(float)));
}

void encode_ints(onnx::TensorProto& t, const std::string& name, const std::vector<int64_t>& values) {
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::INT64);
  t.add_dims(static_cast<int64_t>(values.size()));
  for (int64_t v : values) t.add_int64_data(v);
}

}  // namespace edgetrain::io::onnx_detail
