// Atomic file writes and whole-file reads. Every file edgetrain writes (checkpoints, exports, JSON
// reports) goes through write_file_atomic, so a crash or a full disk never leaves a half-written file.
#pragma once
#include <string>
#include <string_view>

namespace edgetrain::io {

// Writes `bytes` to a temp file in the same directory as `path`, fsyncs it, renames it over `path`
// and fsyncs the directory. On any failure the temp file is removed, an existing file at `path` is
// left untouched, and edgetrain::Error is thrown naming the path and the errno text.
void write_file_atomic(const std::string& path, std::string_view bytes);

// Reads the whole file. Throws edgetrain::Error naming the path if it is missing or unreadable.
std::string read_file(const std::string& path);
// Throws Error when a file could not be created at `path` (missing or unwritable directory).
void check_writable(const std::string& path);

}  // namespace edgetrain::io
