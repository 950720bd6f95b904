// Concat along channels: src_i [N, C_i, ...] -> dst [N, sum C_i, ...]. bwd_data scatters diff_dst back
// into each non-empty diff_src.
#include <cstring>

#include "kernels/ref/common.hpp"
#include "kernels/ref/ref_kernels.hpp"

namespace edgetrain::ref {
namespace {

// Calls f(input index, bytes offset of its block in dst image n, bytes offset in src image n, block bytes)
// for every image and input.
template <class F>
void for_each_block(const OpDesc& p, F&& f) {
  const std::size_t esize = dtype_size(p.dtype);
  const int64_t n_images = p.dst[0];
  const std::size_t dst_image = static_cast<std::size_t>(p.dst.numel_from(1)) * esize;
  for (int64_t n = 0; n < n_images; ++n) {
    std::size_t offset = 0;
    for (size_t i = 0; i < p.src.size(); ++i) {
      const std::size_t block = static_cast<std::size_t>(p.src[i].numel_from(1)) * esize;
      f(i, n * dst_image + offset, n * block, block);
      offset += block;
    }
  }
}

}  // namespace

void fwd(const ConcatAttrs&, const OpDesc& p, const KernelArgs& args) {
  auto* y = static_cast<std::byte*>(args.dst.data);
  for_each_block(p, [&](size_t i, std::size_t dst_off, std::size_t src_off, std::size_t bytes) {
    std::memcpy(y + dst_off, static_cast<const std::byte*>(args.src[i].data) + src_off, bytes);
  });
}

void bwd_data(const ConcatAttrs&, const OpDesc& p, const KernelArgs& args) {
  const auto* dy = static_cast<const std::byte*>(args.diff_dst.data);
  for_each_block(p, [&](size_t i, std::size_t dst_off, std::size_t src_off, std::size_t bytes) {
    if (detail::present(args.diff_src, i))
      std::memcpy(static_cast<std::byte*>(args.diff_src[i].data) + src_off, dy + dst_off, bytes);
  });
}

std::size_t scratch_bytes(const ConcatAttrs&, const OpDesc&) { return 0; }

}  // namespace edgetrain::ref
