#include "io/onnx/onnx_fold.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/check.hpp"
#include "io/onnx/onnx_attrs.hpp"

namespace edgetrain::io::onnx_detail {

namespace {

const Constant& input(const std::vector<const Constant*>& in, size_t k, const std::string& where) {
  ET_REQUIRE(k < in.size() && in[k] != nullptr, "{}: input {} is missing", where, k);
  return *in[k];
}

int64_t normalise_axis(int64_t axis, int64_t rank, const std::string& where) {
  if (axis < 0) axis += rank;
  ET_REQUIRE(axis >= 0 && axis < rank, "{}: axis out of range for rank {}", where, rank);
  return axis;
}

// Axes from the attribute (older opsets) or the second input (newer ones).
std::vector<int64_t> axes_of(const onnx::NodeProto& n, const std::vector<const Constant*>& in, const std::string& where) {
  if (in.size() > 1 && in[1] != nullptr) return in[1]->ints(where);
  return attr_ints(n, "axes", {});
}

Constant constant_node(const onnx::NodeProto& n, const std::string& where) {
  if (const auto* a = find_attr(n, "value")) return decode_tensor(a->t(), where);
  if (const auto* a = find_attr(n, "value_float")) return Constant{{}, true, {a->f()}, {}};
  if (const auto* a = find_attr(n, "value_floats"))
    return Constant{{a->floats_size()}, true, {a->floats().begin(), a->floats().end()}, {}};
  if (const auto* a = find_attr(n, "value_int")) return Constant{{}, false, {}, {a->i()}};
  if (const auto* a = find_attr(n, "value_ints")) return Constant::of_ints({a->ints().begin(), a->ints().end()});
  fail("{}: Constant without a numeric value (sparse or string constants are not supported)", where);
}

// Elementwise arithmetic with NumPy broadcasting restricted to equal shapes or a single-element side.
Constant arithmetic(const std::string& op, const Constant& a, const Constant& b, const std::string& where) {
  const bool a_scalar = a.numel() == 1, b_scalar = b.numel() == 1;
  ET_REQUIRE(a.dims == b.dims || a_scalar || b_scalar, "{}: broadcasting between these shapes is not supported", where);
  Constant out = a_scalar && !b_scalar ? b : a;
  const int64_t n = out.numel();
  out.is_float = a.is_float || b.is_float;
  auto at = [&](const Constant& c, int64_t k) {
    int64_t j = c.numel() == 1 ? 0 : k;
    return c.is_float ? static_cast<double>(c.f[j]) : static_cast<double>(c.i[j]);
  };
  out.f.assign(out.is_float ? n : 0, 0.f);
  out.i.assign(out.is_float ? 0 : n, 0);
  for (int64_t k = 0; k < n; ++k) {
    double x = at(a, k), y = at(b, k), r = 0;
    if (op == "Add") r = x + y;
    else if (op == "Sub") r = x - y;
    else if (op == "Mul") r = x * y;
    else {
      ET_REQUIRE(y != 0, "{}: division by zero", where);
      r = out.is_float ? x / y : std::trunc(x / y);  // ONNX integer division truncates
    }
    if (out.is_float) out.f[k] = static_cast<float>(r);
    else out.i[k] = static_cast<int64_t>(r);
  }
  return out;
}

Constant gather(const onnx::NodeProto& n, const Constant& data, const Constant& indices, const std::string& where) {
  ET_REQUIRE(data.dims.size() == 1 && attr_int(n, "axis", 0) == 0,
             "{}: Gather on constants is supported along axis 0 of a 1-D tensor", where);
  Constant out = data;
  out.dims = indices.dims;
  out.f.clear();
  out.i.clear();
  for (int64_t k : indices.ints(where)) {
    k = normalise_axis(k, data.dims[0], where);
    if (data.is_float) out.f.push_back(data.f[static_cast<size_t>(k)]);
    else out.i.push_back(data.i[static_cast<size_t>(k)]);
  }
  return out;
}

Constant slice(const onnx::NodeProto& n, const std::vector<const Constant*>& in, int opset, const std::string& where) {
  const Constant& data = input(in, 0, where);
  ET_REQUIRE(data.dims.size() == 1, "{}: Slice on constants is supported for 1-D tensors", where);
  std::vector<int64_t> starts, ends, steps{1};
  if (opset >= 10) {
    starts = input(in, 1, where).ints(where);
    ends = input(in, 2, where).ints(where);
    if (in.size() > 4 && in[4]) steps = in[4]->ints(where);
  } else {
    starts = attr_ints(n, "starts", {});
    ends = attr_ints(n, "ends", {});
  }
  ET_REQUIRE(starts.size() == 1 && ends.size() == 1 && steps.size() == 1 && steps[0] > 0,
             "{}: Slice on constants is supported with one axis and a positive step", where);
  const int64_t len = data.dims[0];
  auto clampi = [&](int64_t v) { return std::clamp(v < 0 ? v + len : v, int64_t{0}, len); };
  Constant out = data;
  out.f.clear();
  out.i.clear();
  for (int64_t k = clampi(starts[0]); k < clampi(ends[0]); k += steps[0]) {
    if (data.is_float) out.f.push_back(data.f[static_cast<size_t>(k)]);
    else out.i.push_back(data.i[static_cast<size_t>(k)]);
  }
  out.dims = {static_cast<int64_t>(data.is_float ? out.f.size() : out.i.size())};
  return out;
}

Constant concat(const onnx::NodeProto& n, const std::vector<const Constant*>& in, const std::string& where) {
  Constant out;
  out.is_float = false;
  for (size_t k = 0; k < in.size(); ++k) out.is_float |= input(in, k, where).is_float;
  for (size_t k = 0; k < in.size(); ++k) {
    const Constant& c = *in[k];
    ET_REQUIRE(c.dims.size() <= 1, "{}: Concat on constants is supported for 1-D tensors", where);
    if (out.is_float) {
      if (c.is_float) out.f.insert(out.f.end(), c.f.begin(), c.f.end());
      else for (int64_t v : c.i) out.f.push_back(static_cast<float>(v));
    } else {
      out.i.insert(out.i.end(), c.i.begin(), c.i.end());
    }
  }
  out.dims = {static_cast<int64_t>(out.is_float ? out.f.size() : out.i.size())};
  return out;
}

Constant cast(const onnx::NodeProto& n, Constant c) {
  const int64_t to = attr_int(n, "to", onnx::TensorProto::FLOAT);
  const bool to_float = to == onnx::TensorProto::FLOAT || to == onnx::TensorProto::DOUBLE ||
                        to == onnx::TensorProto::FLOAT16 || to == onnx::TensorProto::BFLOAT16;
  if (to_float && !c.is_float) {
    for (int64_t v : c.i) c.f.push_back(static_cast<float>(v));
    c.i.clear();
  } else if (!to_float && c.is_float) {
    for (float v : c.f) c.i.push_back(static_cast<int64_t>(v));
    c.f.clear();
  }
  c.is_float = to_float;
  return c;
}

}  // namespace

bool is_foldable(const std::string& op) {
  static const std::set<std::string> ops{"Constant", "Identity", "Cast",   "Gather", "Unsqueeze", "Squeeze",
                                         "Concat",   "Reshape",  "Slice",  "Add",    "Sub",       "Mul",
                                         "Div",      "Shape",    "ConstantOfShape"};
  return ops.contains(op);
}

std::vector<int64_t> reshape_target(const std::vector<int64_t>& in, const std::vector<int64_t>& shape, bool allowzero,
                                    const std::string& where) {
  std::vector<int64_t> out = shape;
  int64_t known = 1, infer = -1, total = 1;
  for (int64_t d : in) total *= d;
  for (size_t k = 0; k < out.size(); ++k) {
    if (out[k] == 0 && !allowzero) {
      ET_REQUIRE(k < in.size(), "{}: Reshape copies dimension {} the input does not have", where, k);
      out[k] = in[k];
    }
    if (out[k] == -1) {
      ET_REQUIRE(infer < 0, "{}: Reshape with more than one -1", where);
      infer = static_cast<int64_t>(k);
    } else {
      ET_REQUIRE(out[k] >= 0, "{}: Reshape to a negative dimension", where);
      known *= out[k];
    }
  }
  if (infer >= 0) {
    ET_REQUIRE(known > 0 && total % known == 0, "{}: cannot infer the -1 of the Reshape", where);
    out[static_cast<size_t>(infer)] = total / known;
  }
  int64_t got = 1;
  for (int64_t d : out) got *= d;
  ET_REQUIRE(got == total, "{}: Reshape changes the element count ({} -> {})", where, total, got);
  return out;
}

std::vector<int64_t> squeeze_dims(const std::vector<int64_t>& in, std::vector<int64_t> axes, const std::string& where) {
  const auto rank = static_cast<int64_t>(in.size());
  for (auto& a : axes) a = normalise_axis(a, rank, where);
  std::vector<int64_t> out;
  for (int64_t k = 0; k < rank; ++k) {
    const bool listed = std::find(axes.begin(), axes.end(), k) != axes.end();
    if (axes.empty() ? in[static_cast<size_t>(k)] == 1 : listed) {
      ET_REQUIRE(in[static_cast<size_t>(k)] == 1, "{}: Squeeze of dimension {} which is not 1", where, k);
      continue;
    }
    out.push_back(in[static_cast<size_t>(k)]);
  }
  return out;
}

std::vector<int64_t> unsqueeze_dims(const std::vector<int64_t>& in, std::vector<int64_t> axes,
                                    const std::string& where) {
  const auto rank = static_cast<int64_t>(in.size() + axes.size());
  for (auto& a : axes) a = normalise_axis(a, rank, where);
  std::sort(axes.begin(), axes.end());
  ET_REQUIRE(std::adjacent_find(axes.begin(), axes.end()) == axes.end(), "{}: Unsqueeze lists an axis twice", where);
  std::vector<int64_t> out;
  size_t next = 0;
  for (int64_t k = 0; k < rank; ++k) {
    if (std::binary_search(axes.begin(), axes.end(), k)) out.push_back(1);
    else out.push_back(in[next++]);
  }
  return out;
}

std::vector<Constant> fold(const onnx::NodeProto& n, const std::vector<const Constant*>& in, int opset,
                           const std::string& where) {
  const std::string& op = n.op_type();
  if (op == "Constant") return {constant_node(n, where)};
  if (op == "Identity") return {input(in, 0, where)};
  if (op == "Cast") return {cast(n, input(in, 0, where))};
  if (op == "Gather") return {gather(n, input(in, 0, where), input(in, 1, where), where)};
  if (op == "Slice") return {slice(n, in, opset, where)};
  if (op == "Concat") return {concat(n, in, where)};
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div")
    return {arithmetic(op, input(in, 0, where), input(in, 1, where), where)};
  if (op == "Shape") return {Constant::of_ints(input(in, 0, where).dims)};
  if (op == "ConstantOfShape") {
    Constant out = Constant{{}, true, {0.f}, {}};
    if (const auto* a = find_attr(n, "value")) out = decode_tensor(a->t(), where);
    ET_REQUIRE(out.numel() == 1, "{}: ConstantOfShape needs a single fill value", where);
    out.dims = input(in, 0, where).ints(where);
    for (int64_t d : out.dims) ET_REQUIRE(d >= 0 && d <= (int64_t{1} << 24), "{}: ConstantOfShape dimension {}", where, d);
    const int64_t count = out.numel();
    ET_REQUIRE(count <= (int64_t{1} << 24), "{}: ConstantOfShape of {} values is too large to fold", where, count);
    if (out.is_float) out.f.assign(static_cast<size_t>(count), out.f.at(0));
    else out.i.assign(static_cast<size_t>(count), out.i.at(0));
    return {out};
  }
  Constant out = input(in, 0, where);
  if (op == "Unsqueeze") out.dims = unsqueeze_dims(out.dims, axes_of(n, in, where), where);
  else if (op == "Squeeze") out.dims = squeeze_dims(out.dims, axes_of(n, in, where), where);
  else if (op == "Reshape")
    out.dims = reshape_target(out.dims, input(in, 1, where).ints(where), attr_int(n, "allowzero", 0) != 0, where);
  else fail("{}: cannot fold {} on constants", where, op);
  return {out};
}

}  // namespace edgetrain::io::onnx_detail
