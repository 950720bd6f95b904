// Whole-file readers for dataset files; failures throw edgetrain::Error naming the file.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace edgetrain::data {

// Reads a raw or gzip-compressed file completely (zlib reads raw files transparently).
std::vector<uint8_t> read_maybe_gz_file(const std::string& path);

// Reads a file completely as bytes.
std::vector<uint8_t> read_binary_file(const std::string& path);

// Non-empty lines of a text file with surrounding whitespace trimmed.
std::vector<std::string> read_nonempty_lines(const std::string& path);

}  // namespace edgetrain::data
