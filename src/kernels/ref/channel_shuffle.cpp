// ChannelShuffle with g groups of k = C / g channels: dst[n, j * g + i] = src[n, i * k + j] for
// i < g, j < k (each channel's trailing H * W elements copied whole). bwd_data is the inverse
// permutation: diff_src[n, i * k + j] = diff_dst[n, j * g + i].
#include <cstring>

#include "kernels/ref/common.hpp"
#include "kernels/ref/ref_kernels.hpp"

namespace edgetrain::ref {
namespace {

// Copies channel i * k + j of `from` to channel j * g + i of `to` (forward), or back (inverse).
void permute(const ChannelShuffleAttrs& a, const OpDesc& p, const std::byte* from, std::byte* to, bool inverse) {
  const Shape& s = p.src[0];
  const int64_t channels = s[1], g = a.groups, k = channels / g;
  const std::size_t channel = static_cast<std::size_t>(s.numel_from(2)) * dtype_size(p.dtype);
  const std::size_t image = static_cast<std::size_t>(channels) * channel;
  for (int64_t n = 0; n < s[0]; ++n)
    for (int64_t i = 0; i < g; ++i)
      for (int64_t j = 0; j < k; ++j) {
        const int64_t grouped = i * k + j, shuffled = j * g + i;
        const int64_t src_c = inverse ? shuffled : grouped, dst_c = inverse ? grouped : shuffled;
        std::memcpy(to + n * image + dst_c * channel, from + n * image + src_c * channel, channel);
      }
}

}  // namespace

void fwd(const ChannelShuffleAttrs& a, const OpDesc& p, const KernelArgs& args) {
  permute(a, p, static_cast<const std::byte*>(args.src[0].data), static_cast<std::byte*>(args.dst.data), false);
}

void bwd_data(const ChannelShuffleAttrs& a, const OpDesc& p, const KernelArgs& args) {
  if (!detail::present(args.diff_src, 0)) return;
  permute(a, p, static_cast<const std::byte*>(args.diff_dst.data), static_cast<std::byte*>(args.diff_src[0].data),
          true);
}

std::size_t scratch_bytes(const ChannelShuffleAttrs&, const OpDesc&) { return 0; }

}  // namespace edgetrain::ref
