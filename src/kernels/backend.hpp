// The kernel backends, as types: the rows of the kernel table (registry.hpp) in the order selection
// asks them, and the choice of where selection starts.
//   onednn     oneDNN's primitives (JIT kernels for the CPU's ISA), on plain and blocked16 layouts.
//   native     edgetrain's own optimised loops: the cache-blocked AVX-512/AVX2 GEMM with im2col
//              convolution and GEMM linear layers, BatchNorm and squeeze-and-excitation's Mul gate on
//              blocked16 (kernels/native).
//   reference  plain, obviously correct loops for every op (kernels/ref): the oracle every other
//              kernel is tested against, and the last row, which takes every f32/f64 problem.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace edgetrain {

enum class KernelBackend : uint8_t { onednn, native, reference };
inline constexpr std::array<KernelBackend, 3> kKernelBackends{KernelBackend::onednn, KernelBackend::native,
                                                              KernelBackend::reference};
static_assert(static_cast<std::size_t>(KernelBackend::reference) + 1 == kKernelBackends.size(),
              "kKernelBackends lists every KernelBackend, in table order");

// "onednn", "native", "ref" (the names the CLI, the JSON reports and EDGETRAIN_VERBOSE use).
std::string_view backend_name(KernelBackend b);

// Where kernel selection starts: std::nullopt ("auto") at the top of the table, else at that backend
// (it and the rows after it: "ref" means the reference only).
using BackendChoice = std::optional<KernelBackend>;
std::string_view backend_choice_name(BackendChoice choice);  // "auto" or backend_name()
// Parses "auto" or a backend name; throws Error naming the choices for anything else.
BackendChoice parse_backend_choice(std::string_view name);

// Whether the choice reaches a backend that runs convolutions on blocked16 layouts with a fused
// activation (oneDNN): only then do blocked activations and fused activations pay (the native and
// reference convolutions run plain, so compile() would demote every blocked value next to them).
inline bool blocks_convolutions(BackendChoice choice) { return !choice || *choice == KernelBackend::onednn; }

}  // namespace edgetrain
