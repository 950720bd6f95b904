// Flatten: [N, ...] -> [N, prod(...)], a plain copy both ways (the runtime normally aliases the buffers
// and runs no step; the copy is skipped when it does).
#include <cstring>

#include "kernels/ref/common.hpp"
#include "kernels/ref/ref_kernels.hpp"

namespace edgetrain::ref {

void fwd(const FlattenAttrs&, const OpDesc&, const KernelArgs& args) {
  if (args.dst.data != args.src[0].data) std::memcpy(args.dst.data, args.src[0].data, args.dst.bytes());
}

void bwd_data(const FlattenAttrs&, const OpDesc&, const KernelArgs& args) {
  if (detail::present(args.diff_src, 0) && args.diff_src[0].data != args.diff_dst.data)
    std::memcpy(args.diff_src[0].data, args.diff_dst.data, args.diff_dst.bytes());
}

std::size_t scratch_bytes(const FlattenAttrs&, const OpDesc&) { return 0; }

}  // namespace edgetrain::ref
