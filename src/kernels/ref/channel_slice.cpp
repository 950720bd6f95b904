// ChannelSlice: dst[n, c] = src[n, begin + c] for c in [0, end - begin), each channel's trailing
// elements (H * W) copied whole. bwd_data writes diff_src[n, begin + c] = diff_dst[n, c] and zero in
// every channel outside the range.
#include <cstring>

#include "kernels/ref/common.hpp"
#include "kernels/ref/ref_kernels.hpp"

namespace edgetrain::ref {
namespace {

struct SliceGeometry {
  int64_t images;
  std::size_t src_image, dst_image, offset;  // bytes
};

SliceGeometry geometry(const ChannelSliceAttrs& a, const OpDesc& p) {
  const std::size_t esize = dtype_size(p.dtype);
  const std::size_t channel = static_cast<std::size_t>(p.src[0].numel_from(2)) * esize;
  return {p.src[0][0], static_cast<std::size_t>(p.src[0][1]) * channel,
          static_cast<std::size_t>(a.end - a.begin) * channel, static_cast<std::size_t>(a.begin) * channel};
}

}  // namespace

void fwd(const ChannelSliceAttrs& a, const OpDesc& p, const KernelArgs& args) {
  const SliceGeometry g = geometry(a, p);
  const auto* x = static_cast<const std::byte*>(args.src[0].data);
  auto* y = static_cast<std::byte*>(args.dst.data);
  for (int64_t n = 0; n < g.images; ++n) std::memcpy(y + n * g.dst_image, x + n * g.src_image + g.offset, g.dst_image);
}

void bwd_data(const ChannelSliceAttrs& a, const OpDesc& p, const KernelArgs& args) {
  if (!detail::present(args.diff_src, 0)) return;
  const SliceGeometry g = geometry(a, p);
  const auto* dy = static_cast<const std::byte*>(args.diff_dst.data);
  auto* dx = static_cast<std::byte*>(args.diff_src[0].data);
  for (int64_t n = 0; n < g.images; ++n) {
    std::byte* image = dx + n * g.src_image;
    std::memset(image, 0, g.offset);
    std::memcpy(image + g.offset, dy + n * g.dst_image, g.dst_image);
    std::memset(image + g.offset + g.dst_image, 0, g.src_image - g.offset - g.dst_image);
  }
}

std::size_t scratch_bytes(const ChannelSliceAttrs&, const OpDesc&) { return 0; }

}  // namespace edgetrain::ref
