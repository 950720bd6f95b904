#include "core/param_layout.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "core/check.hpp"

namespace edgetrain {

std::string ParamLayout::describe() const {
  if (plain()) return "row-major";
  const auto dim_name = [&](size_t i) {
    if (dims.size() == 4) return fmt::format("{}", "OIHW"[i]);
    if (dims.size() == 5) return fmt::format("{}", "GOIHW"[i]);
    return fmt::format("d{}", i);
  };
  std::vector<size_t> order(dims.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return strides[a] > strides[b]; });
  std::string s;
  for (size_t i : order) {
    int64_t block = 1;
    for (size_t j = 0; j < inner_blks.size(); ++j)
      if (static_cast<size_t>(inner_idxs[j]) == i) block *= inner_blks[j];
    s += block > 1 ? fmt::format("[{}/{}]", dim_name(i), block) : fmt::format("[{}]", dim_name(i));
  }
  for (size_t j = 0; j < inner_blks.size(); ++j)
    s += fmt::format("[{} {}]", inner_blks[j], dim_name(static_cast<size_t>(inner_idxs[j])));
  return s;
}

int64_t ParamLayout::numel() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

int64_t ParamLayout::offset_of(int64_t index) const {
  constexpr size_t kMaxRank = 8;
  const size_t rank = dims.size();
  ET_ASSERT(rank <= kMaxRank);
  int64_t idx[kMaxRank], block[kMaxRank], rem[kMaxRank];
  for (size_t d = 0; d < rank; ++d) block[d] = 1;
  for (size_t d = rank; d-- > 0;) {
    idx[d] = index % dims[d];
    index /= dims[d];
  }
  for (size_t j = 0; j < inner_blks.size(); ++j) block[static_cast<size_t>(inner_idxs[j])] *= inner_blks[j];
  int64_t offset = 0;
  for (size_t d = 0; d < rank; ++d) offset += idx[d] / block[d] * strides[d];
  // Inner blocks: the innermost (last) has stride 1; each splits the remainder of its dim's index.
  for (size_t d = 0; d < rank; ++d) rem[d] = idx[d] % block[d];
  int64_t inner_stride = 1;
  for (size_t j = inner_blks.size(); j-- > 0;) {
    const size_t d = static_cast<size_t>(inner_idxs[j]);
    offset += rem[d] % inner_blks[j] * inner_stride;
    rem[d] /= inner_blks[j];
    inner_stride *= inner_blks[j];
  }
  return offset;
}

std::vector<int64_t> ParamLayout::offsets() const {
  std::vector<int64_t> table(static_cast<size_t>(numel()));
  for (size_t i = 0; i < table.size(); ++i) table[i] = offset_of(static_cast<int64_t>(i));
  return table;
}

bool ParamLayout::dense() const {
  if (plain()) return true;
  if (strides.size() != dims.size() || inner_blks.size() != inner_idxs.size()) return false;
  std::vector<int64_t> block(dims.size(), 1);
  for (size_t j = 0; j < inner_blks.size(); ++j) {
    if (inner_idxs[j] < 0 || static_cast<size_t>(inner_idxs[j]) >= dims.size() || inner_blks[j] <= 0) return false;
    block[static_cast<size_t>(inner_idxs[j])] *= inner_blks[j];
  }
  for (size_t d = 0; d < dims.size(); ++d)
    if (dims[d] <= 0 || dims[d] % block[d] != 0) return false;
  const int64_t n = numel();
  std::vector<bool> seen(static_cast<size_t>(n), false);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t o = offset_of(i);
    if (o < 0 || o >= n || seen[static_cast<size_t>(o)]) return false;
    seen[static_cast<size_t>(o)] = true;
  }
  return true;
}

void relayout_params(float* data, int64_t n, const ParamLayout& from, const ParamLayout& to) {
  if (from == to) return;
  ET_ASSERT((from.plain() || from.numel() == n) && (to.plain() || to.numel() == n));
  const std::vector<float> copy(data, data + n);
  // Row-major index i of the logical tensor lives at from.offset_of(i) and goes to to.offset_of(i).
  for (int64_t i = 0; i < n; ++i)
    data[to.plain() ? i : to.offset_of(i)] = copy[static_cast<size_t>(from.plain() ? i : from.offset_of(i))];
}

void convert_tracked(ParamLayout& current, const ParamLayout& to, std::initializer_list<const TensorView*> tensors) {
  if (current == to) return;
  for (const TensorView* v : tensors)
    if (*v) relayout_params(v->as<float>(), v->numel(), current, to);
  current = to;
}

}  // namespace edgetrain
