#include "kernels/backend.hpp"

#include "core/check.hpp"

namespace edgetrain {

std::string_view backend_name(KernelBackend b) {
  switch (b) {
    case KernelBackend::onednn: return "onednn";
    case KernelBackend::native: return "native";
    case KernelBackend::reference: return "ref";
  }
  return "?";
}

std::string_view backend_choice_name(BackendChoice choice) { return choice ? backend_name(*choice) : "auto"; }

BackendChoice parse_backend_choice(std::string_view name) {
  if (name == "auto") return std::nullopt;
  std::string names = "auto";
  for (KernelBackend b : kKernelBackends) {
    if (backend_name(b) == name) return b;
    names += fmt::format(", {}", backend_name(b));
  }
  fail("unknown backend '{}': use one of {}", name, names);
}

}  // namespace edgetrain
