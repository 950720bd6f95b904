// Resident memory of this process, from /proc/self/status (VmRSS now, VmHWM peak), in bytes.
#pragma once
#include <cstddef>

namespace edgetrain {

std::size_t current_rss_bytes();
std::size_t peak_rss_bytes();
// Resets the peak to the current RSS (Linux: writes 5 to /proc/self/clear_refs); false if unsupported.
bool reset_peak_rss();
// Returns the heap memory that loading and compiling freed to the system (glibc malloc_trim), so the
// resident set that training starts from holds what training uses and not what setup left behind.
void release_free_heap();

}  // namespace edgetrain
