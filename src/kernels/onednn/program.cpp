#include "kernels/onednn/program.hpp"

#include <string_view>

#include <algorithm>

#include "core/check.hpp"

namespace edgetrain::onednn {
namespace {

constexpr std::size_t kNoOffset = SIZE_MAX;

std::size_t align64(std::size_t b) { return (b + 63) / 64 * 64; }

tag plain_tag(std::size_t rank) {
  switch (rank) {
    case 1: return tag::a;
    case 2: return tag::ab;
    case 3: return tag::abc;
    case 4: return tag::abcd;
    case 5: return tag::abcde;
    case 6: return tag::abcdef;
    default: ET_ASSERT(!"rank 1..6 only"); return tag::undef;
  }
}

void* view_ptr(const std::vector<TensorView>& v, int i) {
  return static_cast<std::size_t>(i) < v.size() ? v[static_cast<std::size_t>(i)].data : nullptr;
}

}  // namespace

const dnnl::engine& cpu_engine() {
  static const dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

const dnnl::stream& cpu_stream() {
  static const dnnl::stream s(cpu_engine());
  return s;
}

dnnl::primitive_attr user_scratchpad() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

memory::data_type onednn_type(DType t) {
  switch (t) {
    case DType::f32: return memory::data_type::f32;
    case DType::bf16: return memory::data_type::bf16;
    case DType::i32: return memory::data_type::s32;
    case DType::u8: return memory::data_type::u8;
    case DType::f64:
    case DType::fx8:
    case DType::fx12:
    case DType::fx14:
    case DType::fx16: break;
  }
  ET_ASSERT(!"oneDNN has no f64 and no fixed point with a per-tensor exponent");
  return memory::data_type::undef;
}

memory::desc plain_md(const memory::dims& dims, DType t) {
  return memory::desc(dims, onednn_type(t), plain_tag(dims.size()));
}
memory::desc plain_md(const Shape& shape, DType t) { return plain_md(memory::dims(shape.dims()), t); }
memory::desc data_md(const Shape& shape, Layout l, DType t) {
  if (l == Layout::plain) return plain_md(shape, t);
  ET_ASSERT(shape.rank() == 4);  // oneDNN pads C to whole blocks itself
  return memory::desc(memory::dims(shape.dims()), onednn_type(t), tag::nChw16c);
}
memory::desc flat_md(int64_t n, DType t) { return memory::desc({n}, onednn_type(t), tag::a); }

memory::desc param_md(const memory::dims& dims, const ParamLayout& l) {
  if (l.plain()) return plain_md(dims);
  ET_ASSERT(l.dims == dims);
  dnnl_memory_desc_t d{};  // filled as oneDNN describes a dense blocked tensor (no padding, no offset)
  d.ndims = static_cast<int>(dims.size());
  d.data_type = dnnl_f32;
  d.format_kind = dnnl_blocked;
  for (size_t i = 0; i < dims.size(); ++i) {
    d.dims[i] = d.padded_dims[i] = dims[i];
    d.format_desc.blocking.strides[i] = l.strides[i];
  }
  d.format_desc.blocking.inner_nblks = static_cast<int>(l.inner_blks.size());
  for (size_t j = 0; j < l.inner_blks.size(); ++j) {
    d.format_desc.blocking.inner_blks[j] = l.inner_blks[j];
    d.format_desc.blocking.inner_idxs[j] = l.inner_idxs[j];
  }
  return memory::desc(d);
}

ParamLayout param_layout_of(const memory::desc& md) {
  const dnnl_memory_desc_t& d = md.data;
  if (d.format_kind != dnnl_blocked || d.data_type != dnnl_f32 || md == plain_md(md.dims())) return {};
  ParamLayout l;
  for (int i = 0; i < d.ndims; ++i) {
    if (d.padded_dims[i] != d.dims[i] || d.padded_offsets[i] != 0) return {};
    l.dims.push_back(d.dims[i]);
    l.strides.push_back(d.format_desc.blocking.strides[i]);
  }
  if (d.offset0 != 0 || d.extra.flags != 0) return {};
  for (int j = 0; j < d.format_desc.blocking.inner_nblks; ++j) {
    l.inner_blks.push_back(static_cast<int>(d.format_desc.blocking.inner_blks[j]));
    l.inner_idxs.push_back(static_cast<int>(d.format_desc.blocking.inner_idxs[j]));
  }
  if (!l.dense()) return {};
  return l;
}

std::size_t Program::book(std::size_t bytes) {
  const std::size_t off = buffers_;
  buffers_ += align64(std::max<std::size_t>(bytes, 1));
  return off;
}

memory Program::user(const memory::desc& md, Slot slot, int index, bool fallback) {
  memory m(md, cpu_engine(), DNNL_MEMORY_NONE);
  bindings_.push_back({m, slot, index, fallback ? book(md.get_size()) : kNoOffset});
  return m;
}

memory Program::scratch(const memory::desc& md) {
  memory m(md, cpu_engine(), DNNL_MEMORY_NONE);
  bindings_.push_back({m, Slot::scratch, 0, book(md.get_size())});
  return m;
}

std::size_t Program::offset_of(const memory& m) const {
  for (const Binding& b : bindings_)
    if (b.slot == Slot::scratch && b.mem.get() == m.get()) return b.offset;
  ET_ASSERT(!"not a scratch memory");
  return 0;
}

void* Program::scratch_ptr(const KernelArgs& args, const memory& m) const {
  return static_cast<std::byte*>(args.scratch.data) + offset_of(m);
}

Program::Exec Program::make_exec(const dnnl::primitive& prim, const dnnl::primitive_desc_base& pd,
                                 std::vector<std::pair<int, memory>> args) {
  const memory::desc pad = pd.scratchpad_desc();
  if (pad.get_size() > 0) {
    scratchpad_ = std::max(scratchpad_, align64(pad.get_size()));
    memory m(pad, cpu_engine(), DNNL_MEMORY_NONE);
    bindings_.push_back({m, Slot::scratchpad, 0, kNoOffset});
    args.emplace_back(DNNL_ARG_SCRATCHPAD, m);
  }
  Exec e{prim, {}};
  for (auto& [id, m] : args) {
    e.args.push_back({id, m.get()});
    keep_.push_back(m);
  }
  if (!impl_info_.empty()) impl_info_ += "+";
  impl_info_ += pd.impl_info_str();
  return e;
}

memory Program::reorder_in(const memory& user_mem, const memory::desc& want) {
  if (user_mem.get_desc() == want) return user_mem;
  memory internal = scratch(want);
  dnnl::reorder::primitive_desc pd(cpu_engine(), user_mem.get_desc(), cpu_engine(), want, user_scratchpad());
  pre_.push_back(make_exec(dnnl::reorder(pd), pd, {{DNNL_ARG_FROM, user_mem}, {DNNL_ARG_TO, internal}}));
  ++reorders_;
  return internal;
}

memory Program::reorder_out(const memory& user_mem, const memory::desc& have) {
  if (user_mem.get_desc() == have) return user_mem;
  memory internal = scratch(have);
  dnnl::reorder::primitive_desc pd(cpu_engine(), have, cpu_engine(), user_mem.get_desc(), user_scratchpad());
  post_.push_back(make_exec(dnnl::reorder(pd), pd, {{DNNL_ARG_FROM, internal}, {DNNL_ARG_TO, user_mem}}));
  ++reorders_;
  return internal;
}

Algorithm Program::algorithm() const {
  const std::string_view all = impl_info_;
  std::string_view d = all;
  if (const auto plus = d.rfind('+'); plus != std::string_view::npos) d = d.substr(plus + 1);
  const bool widest = d.find("avx512") != std::string_view::npos;
  if (d.find("gemm") != std::string_view::npos) return Algorithm::gemm;
  if (d.starts_with("ref")) return Algorithm::naive;
  if (all.find("wino") != std::string_view::npos) return Algorithm::winograd;
  if (d.starts_with("jit_1x1")) return widest ? Algorithm::direct_1x1 : Algorithm::direct_narrow_isa;
  if (d.starts_with("jit"))
    return widest || d.find(":uni") != std::string_view::npos ? Algorithm::direct : Algorithm::direct_narrow_isa;
  return Algorithm::other;
}

void Program::add(const dnnl::primitive& prim, const dnnl::primitive_desc_base& pd,
                  std::vector<std::pair<int, memory>> args) {
  main_.push_back(make_exec(prim, pd, std::move(args)));
  naive_ = naive_ || std::string_view(pd.impl_info_str()).starts_with("ref");
}

void Program::bind(const KernelArgs& args) const {
  auto* scratch = static_cast<std::byte*>(args.scratch.data);
  for (const Binding& b : bindings_) {
    void* p = nullptr;
    switch (b.slot) {
      case Slot::src: p = view_ptr(args.src, b.index); break;
      case Slot::dst: p = args.dst.data; break;
      case Slot::weights: p = view_ptr(args.weights, b.index); break;
      case Slot::state: p = view_ptr(args.state, b.index); break;
      case Slot::aux: p = view_ptr(args.aux, b.index); break;
      case Slot::diff_dst: p = args.diff_dst.data; break;
      case Slot::diff_src: p = view_ptr(args.diff_src, b.index); break;
      case Slot::diff_weights: p = view_ptr(args.diff_weights, b.index); break;
      case Slot::scratch: p = scratch + b.offset; break;
      case Slot::scratchpad: p = scratch + buffers_; break;
    }
    if (p == nullptr && b.offset != kNoOffset && b.slot != Slot::scratch) p = scratch + b.offset;
    ET_ASSERT(p != nullptr);  // callers check optional views before running
    if (b.mem.get_data_handle() != p) b.mem.set_data_handle(p);
  }
}

void Program::run() const {
  const dnnl_stream_t s = cpu_stream().get();
  for (const auto* list : {&pre_, &main_, &post_})
    for (const Exec& e : *list)
      ET_ASSERT(dnnl_primitive_execute(e.prim.get(), s, static_cast<int>(e.args.size()), e.args.data()) ==
                dnnl_success);
  ET_ASSERT(dnnl_stream_wait(s) == dnnl_success);
}

}  // namespace edgetrain::onednn
