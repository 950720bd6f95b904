// One fuzz target: a file in fuzz/ defines fuzz_one, which hands the bytes to one parser's real entry
// point. fuzz/entry.cpp wraps it as libFuzzer's LLVMFuzzerTestOneInput.
#pragma once
#include <cstddef>
#include <cstdint>

namespace edgetrain::fuzz {

// Parses `data`; may throw edgetrain::Error (a rejected input), nothing else.
void fuzz_one(const uint8_t* data, size_t size);

}  // namespace edgetrain::fuzz
