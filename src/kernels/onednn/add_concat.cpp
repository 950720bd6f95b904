// Add (oneDNN binary_add over the flat tensors; bwd_data copies diff_dst into each present diff_src) and
// Concat along channels (oneDNN concat; bwd_data copies each input's block of diff_dst back, as the
// reference). Both need one layout for all their tensors.
#include <cstring>

#include "kernels/onednn/ops.hpp"

namespace edgetrain::onednn {
namespace {

class AddFwd final : public ProgramKernel {
 public:
  explicit AddFwd(const KernelProblem& p) {
    const memory::desc md = flat_md(p.dst_storage_numel(), p.dtype);  // padding lanes too
    dnnl::binary::desc d(dnnl::algorithm::binary_add, md, md, md);
    dnnl::binary::primitive_desc pd(d, user_scratchpad(), cpu_engine());
    prog_.add(dnnl::binary(pd), pd,
              {{DNNL_ARG_SRC_0, prog_.user(md, Slot::src, 0)},
               {DNNL_ARG_SRC_1, prog_.user(md, Slot::src, 1)},
               {DNNL_ARG_DST, prog_.user(md, Slot::dst)}});
  }
  void execute(const KernelArgs& args) const override { prog_.bind_and_run(args); }
};

class AddBwd final : public ProgramKernel {
 public:
  explicit AddBwd(const KernelProblem& p)
      : bytes_(static_cast<std::size_t>(p.dst_storage_numel()) * dtype_size(p.dtype)) {}
  void execute(const KernelArgs& args) const override {
    for (size_t i = 0; i < args.diff_src.size(); ++i)
      if (args.diff_src[i] && args.diff_src[i].data != args.diff_dst.data)
        std::memcpy(args.diff_src[i].data, args.diff_dst.data, bytes_);
  }

 private:
  std::size_t bytes_;  // stored bytes (padding lanes too)
};

class ConcatFwd final : public ProgramKernel {
 public:
  explicit ConcatFwd(const KernelProblem& p) {
    std::vector<memory::desc> srcs;
    for (size_t i = 0; i < p.src.size(); ++i) srcs.push_back(data_md(p.src[i], p.src_layout_of(i), p.dtype));
    const memory::desc dst = data_md(p.dst, p.dst_layout, p.dtype);
    dnnl::concat::primitive_desc pd(dst, 1, srcs, cpu_engine(), user_scratchpad());
    std::vector<std::pair<int, memory>> args;
    for (size_t i = 0; i < srcs.size(); ++i)
      args.emplace_back(DNNL_ARG_MULTIPLE_SRC + static_cast<int>(i),
                        prog_.user(srcs[i], Slot::src, static_cast<int>(i)));
    args.emplace_back(DNNL_ARG_DST, prog_.user(dst, Slot::dst));
    prog_.add(dnnl::concat(pd), pd, std::move(args));
  }
  void execute(const KernelArgs& args) const override { prog_.bind_and_run(args); }
};

class ConcatBwd final : public ProgramKernel {
 public:
  explicit ConcatBwd(const KernelProblem& p) : images_(p.dst[0]) {
    dst_image_ = static_cast<std::size_t>(p.dst.numel_from(1)) * dtype_size(p.dtype);
    for (const Shape& s : p.src) block_.push_back(static_cast<std::size_t>(s.numel_from(1)) * dtype_size(p.dtype));
  }
  void execute(const KernelArgs& args) const override {
    const auto* dy = static_cast<const std::byte*>(args.diff_dst.data);
    for (int64_t n = 0; n < images_; ++n) {
      std::size_t offset = static_cast<std::size_t>(n) * dst_image_;
      for (size_t i = 0; i < block_.size(); ++i) {
        if (i < args.diff_src.size() && args.diff_src[i])
          std::memcpy(static_cast<std::byte*>(args.diff_src[i].data) + static_cast<std::size_t>(n) * block_[i],
                      dy + offset, block_[i]);
        offset += block_[i];
      }
    }
  }

 private:
  int64_t images_;
  std::size_t dst_image_;
  std::vector<std::size_t> block_;
};

bool same_layouts(const KernelProblem& p) {
  for (size_t i = 0; i < p.src.size(); ++i)
    if (p.src_layout_of(i) != p.dst_layout) return false;
  return true;
}

}  // namespace

std::unique_ptr<ProgramKernel> make_add(const KernelProblem& p, std::string& why_not) {
  if (p.src.size() != 2 || p.src[0] != p.dst || p.src[1] != p.dst) {
    why_not = "Add expects two inputs of the output's shape";
    return nullptr;
  }
  if (!same_layouts(p)) {  // flat: any one layout
    why_not = "Add inputs and output in different layouts";
    return nullptr;
  }
  if (p.pass == Pass::fwd) return std::make_unique<AddFwd>(p);
  return std::make_unique<AddBwd>(p);
}

std::unique_ptr<ProgramKernel> make_concat(const KernelProblem& p, std::string& why_not) {
  if (p.src.empty() || p.dst.rank() < 2 || p.dst.rank() > 6) {
    why_not = "Concat expects inputs of rank 2..6";
    return nullptr;
  }
  // Per image, a blocked16 input's channels are one contiguous run of the output's (every input has a
  // multiple of 16 channels), as in the plain layout: the backward's copies hold for one shared layout.
  if (!same_layouts(p)) {
    why_not = "Concat inputs and output in different layouts";
    return nullptr;
  }
  if (p.has_padding_lanes()) {
    why_not = "Concat of blocked tensors with padding lanes (the backward copies whole channel runs)";
    return nullptr;
  }
  if (p.pass == Pass::fwd) return std::make_unique<ConcatFwd>(p);
  return std::make_unique<ConcatBwd>(p);
}

}  // namespace edgetrain::onednn
