// libFuzzer's entry point for every target. A parser rejects bad input with edgetrain::Error, which is
// ignored here; any other exception escapes, terminates the process and is reported as a crash, as are
// sanitizer reports, aborts (ET_ASSERT) and hangs.
#include "edgetrain/error.hpp"
#include "fuzz/fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    edgetrain::fuzz::fuzz_one(data, size);
  } catch (const edgetrain::Error&) {
  }
  return 0;
}
