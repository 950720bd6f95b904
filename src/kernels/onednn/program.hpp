// A oneDNN "program": the primitives one kernel execution runs (reorders in, the main primitive,
// reorders out) with their memory objects and argument arrays, all built at compile time. Executing it
// only points the memory objects at this step's views (set_data_handle, when the address changed) and
// calls dnnl_primitive_execute with the prebuilt argument arrays (the C entry point: the C++ wrapper
// builds a std::vector per call).
//
// Scratch layout (args.scratch, 64-byte aligned): [buffers booked with scratch() / fallbacks, each
// 64-byte aligned][one scratchpad region shared by all primitives (they run one after another)].
#pragma once
#include <dnnl.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/shape.hpp"
#include "kernels/kernel.hpp"

namespace edgetrain::onednn {

using dnnl::memory;
using tag = dnnl::memory::format_tag;

// One process-wide CPU engine and stream.
const dnnl::engine& cpu_engine();
const dnnl::stream& cpu_stream();
// Attributes with scratchpad_mode::user (every primitive descriptor is made with them).
dnnl::primitive_attr user_scratchpad();

// oneDNN's name of an element type (f32, bf16, s32, u8).
memory::data_type onednn_type(DType t);
// Dense row-major descriptor of a shape (any rank 1..6); parameters are f32.
memory::desc plain_md(const Shape& shape, DType t = DType::f32);
memory::desc plain_md(const memory::dims& dims, DType t = DType::f32);
// Descriptor of an activation (or its gradient) of type t in layout l (blocked16: nChw16c; see
// core/layout.hpp).
memory::desc data_md(const Shape& shape, Layout l, DType t);
// A flat 1-D descriptor of n elements of type t.
memory::desc flat_md(int64_t n, DType t);
// f32 descriptor of a parameter over `dims` in layout l (plain: row-major over dims).
memory::desc param_md(const memory::dims& dims, const ParamLayout& l);
// The layout of a descriptor as a ParamLayout; plain when it is row-major, padded or not blocked.
ParamLayout param_layout_of(const memory::desc& md);

// Where a memory object's bytes come from at execution.
enum class Slot : uint8_t { src, dst, weights, state, aux, diff_dst, diff_src, diff_weights, scratch, scratchpad };

class Program {
 public:
  // A memory object over view `index` of `slot`. With `fallback`, bytes for it are booked in scratch and
  // used when the view is empty (an output nobody wants, e.g. a frozen bias gradient).
  memory user(const memory::desc& md, Slot slot, int index = 0, bool fallback = false);
  // A memory object over bytes booked in scratch.
  memory scratch(const memory::desc& md);
  // Byte offset of a scratch() memory inside args.scratch.
  std::size_t offset_of(const memory& m) const;

  // Returns `user_mem` when its descriptor is `want`, else a scratch buffer in layout `want` filled by a
  // reorder that runs before the main primitive.
  memory reorder_in(const memory& user_mem, const memory::desc& want);
  // Returns `user_mem` when its descriptor is `have`, else a scratch buffer in layout `have` that a
  // reorder copies into `user_mem` after the main primitive.
  memory reorder_out(const memory& user_mem, const memory::desc& have);

  // The main primitive (executed after the reorders in, before the reorders out). Books its scratchpad.
  void add(const dnnl::primitive& prim, const dnnl::primitive_desc_base& pd, std::vector<std::pair<int, memory>> args);

  // Points every memory object at this execution's bytes (no allocation).
  void bind(const KernelArgs& args) const;
  // Runs the primitives in order.
  void run() const;
  void bind_and_run(const KernelArgs& args) const {
    bind(args);
    run();
  }
  // Pointer to a scratch() buffer for this execution.
  void* scratch_ptr(const KernelArgs& args, const memory& m) const;

  std::size_t scratch_bytes() const { return buffers_ + scratchpad_; }
  int reorders() const { return reorders_; }
  // oneDNN implementation names of the primitives, "+"-joined (for verbose output).
  const std::string& impl_info() const { return impl_info_; }
  // Whether a main primitive (not a reorder) runs one of oneDNN's naive reference implementations
  // ("ref:any": plain loops, 10-100x slower than its JIT kernels).
  bool runs_naive() const { return naive_; }
  // What the main primitive (the last, after any reorders) is, from oneDNN's implementation names.
  Algorithm algorithm() const;

 private:
  struct Binding {
    memory mem;
    Slot slot;
    int index;
    std::size_t offset;  // scratch offset (Slot::scratch) or fallback offset (SIZE_MAX: none)
  };
  struct Exec {
    dnnl::primitive prim;
    std::vector<dnnl_exec_arg_t> args;
  };
  std::size_t book(std::size_t bytes);
  Exec make_exec(const dnnl::primitive& prim, const dnnl::primitive_desc_base& pd,
                 std::vector<std::pair<int, memory>> args);

  std::vector<Binding> bindings_;
  std::vector<memory> keep_;  // memory objects referenced by the argument arrays
  std::vector<Exec> pre_, main_, post_;
  std::size_t buffers_ = 0, scratchpad_ = 0;
  int reorders_ = 0;
  std::string impl_info_;
  bool naive_ = false;
};

}  // namespace edgetrain::onednn
