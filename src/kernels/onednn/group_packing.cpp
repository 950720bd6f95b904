#include "kernels/onednn/group_packing.hpp"

#include <cstring>

#include "core/layout.hpp"

namespace edgetrain::onednn::group_packing {

Packing packing_for(int64_t channels_in, int64_t channels_out, int64_t groups, int64_t taps) {
  Packing pk{groups, groups > 0 ? channels_in / groups : 0, taps, 1};
  if (groups <= 1 || groups == channels_in || channels_in != channels_out || pk.width >= kChannelBlock ||
      kChannelBlock % pk.width != 0)
    return pk;
  const int64_t k = kChannelBlock / pk.width;
  if (groups % k == 0) pk.k = k;
  return pk;
}

namespace {

// Calls f(group filter offset, packed filter offset) for each row (one output channel's taps over
// the group's input channels) of every group.
template <class F>
void each_row(const Packing& pk, F f) {
  const int64_t W = pk.width, PW = pk.packed_width(), row = W * pk.taps;
  for (int64_t g = 0; g < pk.groups; ++g) {
    const int64_t gp = g / pk.k, slot = g % pk.k;
    for (int64_t o = 0; o < W; ++o) {
      const int64_t packed_oc = slot * W + o;
      f(g * W * row + o * row, ((gp * PW + packed_oc) * PW + slot * W) * pk.taps, row);
    }
  }
}

}  // namespace

void pack(const float* w, const Packing& pk, float* packed) {
  std::memset(packed, 0, static_cast<std::size_t>(pk.packed_numel()) * sizeof(float));
  each_row(pk, [&](int64_t from, int64_t to, int64_t n) {
    std::memcpy(packed + to, w + from, static_cast<std::size_t>(n) * sizeof(float));
  });
}

void unpack(const float* packed, const Packing& pk, float* dw) {
  each_row(pk, [&](int64_t to, int64_t from, int64_t n) {
    std::memcpy(dw + to, packed + from, static_cast<std::size_t>(n) * sizeof(float));
  });
}

}  // namespace edgetrain::onednn::group_packing
