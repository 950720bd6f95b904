// Executing oneDNN kernels allocates nothing of its own after a warm-up. operator new is counted for the
// whole binary (as tests/integration/alloc_test.cpp does), which also sees the C++ allocations inside
// libdnnl and on the OpenMP worker threads.
//
// Known and not avoidable through oneDNN 2.6's API: dnnl_primitive_execute() builds its argument map
// (an std::unordered_map inside exec_ctx_t) on every call, 4 operator new for a 2-argument primitive,
// all freed before it returns. So the test checks (1) that kernels which run no oneDNN primitive
// allocate nothing, and (2) that every oneDNN kernel allocates exactly the same number of times on each
// execution (nothing grows or is cached lazily), and prints those counts. Not built under ASan.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <new>

#include "kernels/onednn/onednn_kernels.hpp"
#include "op_harness.hpp"
#include "support/counting_new.hpp"



namespace edgetrain::test {
namespace {

struct Prepared {
  std::unique_ptr<OpHarness> h;
  std::vector<std::unique_ptr<Kernel>> kernels;
  std::vector<AlignedBuffer> scratch;
  std::vector<KernelArgs> args;
};

void prepare(Prepared& p, const Attrs& attrs, std::vector<Shape> shapes, bool training, Fill how) {
  p.h = std::make_unique<OpHarness>(attrs, shapes, DType::f32, training);
  p.h->fill(3, how);
  for (int64_t i = 0; i < p.h->diff_dst.numel(); ++i) p.h->diff_dst.set(i, 0.01 * static_cast<double>(i % 17));
  std::vector<Pass> passes{Pass::fwd, Pass::bwd_data};
  if (p.h->has_params()) passes.push_back(Pass::bwd_weights);
  for (Pass pass : passes) {
    std::string why;
    auto k = make_onednn_kernel(p.h->problem(pass), why);
    ASSERT_NE(k, nullptr) << why;
    p.scratch.emplace_back(k->scratch_bytes());
    KernelArgs a = p.h->args();
    a.scratch = TensorView(p.scratch.back().data(), Shape{static_cast<int64_t>(k->scratch_bytes())}, DType::u8);
    p.args.push_back(a);
    p.kernels.push_back(std::move(k));
  }
}

TEST(OnednnAlloc, ExecutionAllocatesOnlyInsideOnednnAndTheSameEachTime) {
  std::vector<Prepared> ops(9);
  Conv2dAttrs conv;
  conv.in_channels = 16, conv.out_channels = 32, conv.kernel_h = conv.kernel_w = 3, conv.pad_h = conv.pad_w = 1;
  conv.bias = true;
  prepare(ops[0], conv, {Shape{4, 16, 14, 14}}, true, Fill::uniform);
  Conv2dAttrs dw = conv;
  dw.out_channels = 16, dw.groups = 16, dw.stride_h = dw.stride_w = 2;
  prepare(ops[1], dw, {Shape{4, 16, 14, 14}}, true, Fill::uniform);
  BatchNormAttrs bn;
  bn.channels = 16;
  // Frozen statistics: oneDNN declines the training bwd_data on NCHW (the reference is faster).
  prepare(ops[2], bn, {Shape{4, 16, 14, 14}}, false, Fill::uniform);
  prepare(ops[3], ReluAttrs{}, {Shape{4, 16, 14, 14}}, true, Fill::relu_safe);
  MaxPoolAttrs mp;
  mp.kernel_h = mp.kernel_w = 3, mp.pad_h = mp.pad_w = 1;
  prepare(ops[4], mp, {Shape{4, 16, 14, 14}}, true, Fill::distinct);
  prepare(ops[5], GlobalAvgPoolAttrs{}, {Shape{4, 16, 7, 7}}, true, Fill::uniform);
  LinearAttrs fc;
  fc.in_features = 64, fc.out_features = 10;
  prepare(ops[6], fc, {Shape{4, 64}}, true, Fill::uniform);
  prepare(ops[7], AddAttrs{}, {Shape{4, 16, 7, 7}, Shape{4, 16, 7, 7}}, true, Fill::uniform);
  prepare(ops[8], Relu6Attrs{}, {Shape{4, 16, 7, 7}}, true, Fill::relu6_safe);
  auto run_all = [&] {
    for (Prepared& p : ops)
      for (size_t i = 0; i < p.kernels.size(); ++i) p.kernels[i]->execute(p.args[i]);
  };
  for (int i = 0; i < 2; ++i) run_all();
  for (Prepared& p : ops)
    for (size_t i = 0; i < p.kernels.size(); ++i) {
      const Pass pass = i == 0 ? Pass::fwd : i == 1 ? Pass::bwd_data : Pass::bwd_weights;
      const std::string what = fmt::format("{} {}", op_name(p.h->attrs()), pass_name(pass));
      long counts[5];
      for (long& c : counts) {
        const long before = test::allocations_so_far();
        p.kernels[i]->execute(p.args[i]);
        c = test::allocations_so_far() - before;
      }
      for (long c : counts) {
        EXPECT_EQ(c, counts[0]) << what;
      }
      // Paths that run no oneDNN primitive: Add bwd_data (copies), BatchNorm bwd_weights (own loop).
      const bool plain_loop = (is<AddAttrs>(p.h->attrs()) && pass == Pass::bwd_data) ||
                              (is<BatchNormAttrs>(p.h->attrs()) && pass == Pass::bwd_weights);
      if (plain_loop) {
        EXPECT_EQ(counts[0], 0) << what;
      }
      std::printf("[ alloc    ] %-24s %ld operator new per execution \n", what.c_str(),
                  counts[0]);
    }
}

}  // namespace
}  // namespace edgetrain::test
