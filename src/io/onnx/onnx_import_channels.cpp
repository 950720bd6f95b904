// Handlers for the channel rearrangements of ShuffleNet-style networks: Slice and Split of the channel
// axis (ChannelSlice), and the channel shuffle exporters write as Reshape [N, C, H, W] ->
// [N, g, C / g, H, W], Transpose (0, 2, 1, 3, 4), Reshape back (ChannelShuffle). The 5-D values in
// between are kept as grouped views and exist only inside that pattern.
#include <algorithm>
#include <limits>

#include "core/check.hpp"
#include "io/onnx/onnx_attrs.hpp"
#include "io/onnx/onnx_importer.hpp"

namespace edgetrain::io::onnx_detail {

namespace {

constexpr const char* kShufflePattern =
    "Reshape [N, C, H, W] -> [N, g, C/g, H, W], Transpose perm (0, 2, 1, 3, 4), Reshape back to [N, C, H, W]";

int64_t clamp_index(int64_t v, int64_t dim) {
  if (v < 0) v += dim;
  return std::clamp<int64_t>(v, 0, dim);
}

}  // namespace

// Slice of a computed tensor: every axis but the channels must be kept whole, with step 1.
void Importer::slice(const onnx::NodeProto& n) {
  const int x = value(n, 0);
  const Shape& s = shape_of(x);
  std::vector<int64_t> starts, ends, axes, steps;
  if (opset_ >= 10) {
    starts = require_constant(n, 1, "starts", false).ints(where(n));
    ends = require_constant(n, 2, "ends", false).ints(where(n));
    if (has(n, 3)) axes = require_constant(n, 3, "axes", false).ints(where(n));
    if (has(n, 4)) steps = require_constant(n, 4, "steps", false).ints(where(n));
  } else {
    starts = attr_ints(n, "starts", {});
    ends = attr_ints(n, "ends", {});
    axes = attr_ints(n, "axes", {});
  }
  if (axes.empty())
    for (size_t k = 0; k < starts.size(); ++k) axes.push_back(static_cast<int64_t>(k));
  if (steps.empty()) steps.assign(starts.size(), 1);
  ET_REQUIRE(starts.size() == ends.size() && starts.size() == axes.size() && starts.size() == steps.size(),
             "{}: starts, ends, axes and steps differ in length", where(n));
  int64_t begin = 0, end = s[1];
  for (size_t k = 0; k < axes.size(); ++k) {
    const int64_t axis = axes[k] < 0 ? axes[k] + s.rank() : axes[k];
    ET_REQUIRE(axis >= 0 && axis < s.rank(), "{}: axis {} is out of range for {}", where(n), axes[k], s.str());
    const int64_t dim = s[static_cast<int>(axis)], b = clamp_index(starts[k], dim), e = clamp_index(ends[k], dim);
    if (b == 0 && e == dim && steps[k] == 1) continue;  // kept whole
    ET_REQUIRE(axis == 1 && steps[k] == 1,
               "{}: slicing axis {} (step {}) of {} is not supported; edgetrain imports slices of the channel axis "
               "(axis 1, step 1)",
               where(n), axis, steps[k], s.str());
    ET_REQUIRE(b < e, "{}: the slice of channels [{}, {}) is empty", where(n), starts[k], ends[k]);
    begin = b, end = e;
  }
  if (begin == 0 && end == s[1]) return bind(n, x);
  bind(n, emit(n, node_name(n, ""), ChannelSliceAttrs{begin, end}, {x}, {}));
}

// Split along the channels: one ChannelSlice per output that a live node reads.
void Importer::split(const onnx::NodeProto& n) {
  const int x = value(n, 0);
  const Shape& s = shape_of(x);
  int64_t axis = attr_int(n, "axis", 0);
  if (axis < 0) axis += s.rank();
  ET_REQUIRE(axis == 1,
             "{}: splitting axis {} of {} is not supported; edgetrain imports splits of the channel axis "
             "(axis 1)",
             where(n), axis, s.str());
  std::vector<int64_t> sizes;
  if (opset_ >= 13 && has(n, 1))
    sizes = require_constant(n, 1, "split", false).ints(where(n));
  else if (opset_ < 13)
    sizes = attr_ints(n, "split", {});
  const auto parts = static_cast<int64_t>(n.output_size());
  if (sizes.empty()) {  // equal parts, the last one smaller where the channels do not divide (opset 18)
    const int64_t each = (s[1] + parts - 1) / parts;
    for (int64_t k = 0; k < parts; ++k) sizes.push_back(std::min(each, s[1] - k * each));
  }
  ET_REQUIRE(static_cast<int64_t>(sizes.size()) == parts, "{}: {} split sizes for {} outputs", where(n), sizes.size(),
             parts);
  int64_t begin = 0;
  for (int k = 0; k < n.output_size(); ++k) {
    const int64_t end = begin + sizes[static_cast<size_t>(k)];
    ET_REQUIRE(sizes[static_cast<size_t>(k)] > 0 && end <= s[1], "{}: split sizes [{}] do not fit {} channels",
               where(n), fmt::join(sizes, ", "), s[1]);
    if (!n.output(k).empty() && read_.contains(n.output(k)))
      values_[n.output(k)] = emit(n, node_name(n, ""), ChannelSliceAttrs{begin, end}, {x}, {});
    begin = end;
  }
  ET_REQUIRE(begin == s[1], "{}: split sizes [{}] do not add up to {} channels", where(n), fmt::join(sizes, ", "),
             s[1]);
}

// Reshape of a computed tensor inside the shuffle pattern. Returns false where the reshape is not
// part of one (reshape_like then handles it).
bool Importer::shuffle_reshape(const onnx::NodeProto& n, const std::vector<int64_t>& target) {
  if (auto it = grouped_views_.find(n.input(0)); it != grouped_views_.end()) {
    const GroupedView view = it->second;
    const Shape& s = shape_of(view.value);
    ET_REQUIRE(view.transposed && target == s.dims(),
               "{}: a grouped view of {} is reshaped to {}; edgetrain imports the channel shuffle pattern ({}) only",
               where(n), s.str(), Shape(target).str(), kShufflePattern);
    bind(n, emit(n, node_name(n, ""), ChannelShuffleAttrs{view.groups}, {view.value}, {}));
    return true;
  }
  const int x = value(n, 0);
  const std::vector<int64_t>& in = shape_of(x).dims();
  if (!(in.size() == 4 && target.size() == 5 && target[0] == in[0] && target[1] * target[2] == in[1] &&
        target[3] == in[2] && target[4] == in[3]))
    return false;
  ET_REQUIRE(target[1] > 0 && target[1] <= std::numeric_limits<int>::max(), "{}: {} channel groups", where(n),
             target[1]);
  grouped_views_[n.output(0)] = {x, static_cast<int>(target[1]), false};
  return true;
}

void Importer::transpose(const onnx::NodeProto& n) {
  auto it = grouped_views_.find(n.input(0));
  const std::vector<int64_t> perm = attr_ints(n, "perm", {});
  ET_REQUIRE(it != grouped_views_.end() && !it->second.transposed && perm == (std::vector<int64_t>{0, 2, 1, 3, 4}),
             "{}: Transpose (perm [{}]) is supported only inside a channel shuffle: {}", where(n),
             fmt::join(perm, ", "), kShufflePattern);
  grouped_views_[n.output(0)] = {it->second.value, it->second.groups, true};
}

}  // namespace edgetrain::io::onnx_detail
