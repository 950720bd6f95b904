// A standalone driver for the fuzz targets where libFuzzer is not at hand (the GCC ASan + UBSan build
// the test command runs): feeds every corpus file to LLVMFuzzerTestOneInput, then, for a bounded time,
// seeded random mutations of them (bit flips, interesting integers, byte inserts and erases,
// truncations, copies and splices). On a crash, sanitizer report, uncaught exception or hang the input
// being run is written to ARTIFACT_DIR/crash-<target>-<pid> (default: the working directory).
//
//   replay_<target> [--seconds S] [--seed N] [--max-len N] [--timeout S] [--artifacts DIR] PATH...
//   (PATH: corpus folders, searched recursively, or single files; --seconds 0 replays them only)
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#if defined(__has_include)
#if __has_include(<sanitizer/common_interface_defs.h>) && (defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__))
#include <sanitizer/common_interface_defs.h>
#define REPLAY_HAS_DEATH_CALLBACK 1
#endif
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

using Bytes = std::vector<uint8_t>;

// The input being run and where to save it, for the handlers below (async-signal-safe: no allocation).
const Bytes* g_current = nullptr;
char g_artifact[4096] = "";

void save_current() {
  static bool saved = false;
  if (saved || g_current == nullptr || g_artifact[0] == '\0') return;
  saved = true;
  const int fd = ::open(g_artifact, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return;
  size_t off = 0;
  while (off < g_current->size()) {
    const ssize_t n = ::write(fd, g_current->data() + off, g_current->size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  ::close(fd);
  const char* msg = "replay: the failing input is saved as ";
  (void)!::write(2, msg, std::strlen(msg));
  (void)!::write(2, g_artifact, std::strlen(g_artifact));
  (void)!::write(2, "\n", 1);
}

void on_signal(int sig) {
  if (sig == SIGALRM) {
    const char* msg = "replay: timeout: one input ran longer than --timeout (a hang)\n";
    (void)!::write(2, msg, std::strlen(msg));
  }
  save_current();
  ::signal(sig == SIGALRM ? SIGABRT : sig, SIG_DFL);
  ::raise(sig == SIGALRM ? SIGABRT : sig);
}

[[noreturn]] void on_terminate() {
  if (std::exception_ptr e = std::current_exception()) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      std::fprintf(stderr, "replay: uncaught exception (not edgetrain::Error): %s\n", x.what());
    } catch (...) {
      std::fprintf(stderr, "replay: uncaught exception of unknown type\n");
    }
  }
  save_current();
  std::_Exit(134);
}

Bytes read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class Mutator {
 public:
  Mutator(uint64_t seed, size_t max_len) : rng_(seed), max_len_(max_len) {}

  Bytes mutate(const std::vector<Bytes>& corpus) {
    Bytes b = corpus[pick(corpus.size())];
    for (size_t k = 0, n = 1 + pick(4); k < n; ++k) step(b, corpus);
    if (b.size() > max_len_) b.resize(max_len_);
    return b;
  }

 private:
  size_t pick(size_t n) { return n == 0 ? 0 : static_cast<size_t>(rng_() % n); }

  void step(Bytes& b, const std::vector<Bytes>& corpus) {
    static constexpr uint64_t kInteresting[] = {0,
                                                1,
                                                2,
                                                3,
                                                4,
                                                7,
                                                8,
                                                16,
                                                31,
                                                32,
                                                64,
                                                127,
                                                128,
                                                255,
                                                256,
                                                0x7FFF,
                                                0x8000,
                                                0xFFFF,
                                                0x10000,
                                                0x7FFFFFFF,
                                                0x80000000,
                                                0xFFFFFFFF,
                                                0x100000000,
                                                0x7FFFFFFFFFFFFFFF,
                                                0x8000000000000000,
                                                0xFFFFFFFFFFFFFFFF};
    switch (b.empty() ? 2 : pick(8)) {
      case 0:  // flip a bit
        b[pick(b.size())] ^= static_cast<uint8_t>(1u << pick(8));
        break;
      case 1:  // set a byte
        b[pick(b.size())] = static_cast<uint8_t>(rng_());
        break;
      case 2: {  // insert random bytes
        const size_t at = pick(b.size() + 1), n = 1 + pick(16);
        Bytes ins(n);
        for (auto& x : ins) x = static_cast<uint8_t>(rng_());
        b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), ins.begin(), ins.end());
        break;
      }
      case 3: {  // erase a range
        const size_t at = pick(b.size()), n = 1 + pick(std::min<size_t>(b.size() - at, 64));
        b.erase(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(at + n));
        break;
      }
      case 4:  // truncate
        b.resize(pick(b.size()));
        break;
      case 5: {  // an interesting integer of 1, 2, 4 or 8 bytes, either byte order
        const size_t width = size_t{1} << pick(4);
        if (b.size() < width) break;
        const size_t at = pick(b.size() - width + 1);
        uint64_t v = kInteresting[pick(std::size(kInteresting))];
        if (pick(2)) v = ~v + 1;
        const bool big = pick(2) == 1;
        for (size_t i = 0; i < width; ++i) b[at + (big ? width - 1 - i : i)] = static_cast<uint8_t>(v >> (8 * i));
        break;
      }
      case 6: {  // copy a range elsewhere in the input
        const size_t from = pick(b.size()), n = 1 + pick(std::min<size_t>(b.size() - from, 64));
        const Bytes part(b.begin() + static_cast<std::ptrdiff_t>(from),
                         b.begin() + static_cast<std::ptrdiff_t>(from + n));
        const size_t to = pick(b.size() - n + 1);
        std::copy(part.begin(), part.end(), b.begin() + static_cast<std::ptrdiff_t>(to));
        break;
      }
      default: {  // splice: our head with another input's tail
        const Bytes& other = corpus[pick(corpus.size())];
        const size_t cut = pick(b.size() + 1), from = pick(other.size() + 1);
        b.resize(cut);
        b.insert(b.end(), other.begin() + static_cast<std::ptrdiff_t>(from), other.end());
        break;
      }
    }
  }

  std::mt19937_64 rng_;
  size_t max_len_;
};

void run(const Bytes& b, unsigned timeout) {
  g_current = &b;
  ::alarm(timeout);
  LLVMFuzzerTestOneInput(b.data(), b.size());
  ::alarm(0);
  g_current = nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 0;
  uint64_t seed = 1;
  size_t max_len = 1 << 20;
  unsigned timeout = 25;
  std::string artifacts = ".";
  std::vector<std::filesystem::path> paths;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--seconds" && has_value)
      seconds = std::atof(argv[++i]);
    else if (a == "--seed" && has_value)
      seed = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--max-len" && has_value)
      max_len = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--timeout" && has_value)
      timeout = static_cast<unsigned>(std::atoi(argv[++i]));
    else if (a == "--artifacts" && has_value)
      artifacts = argv[++i];
    else if (a.starts_with("--")) {
      std::fprintf(stderr, "usage: %s [--seconds S] [--seed N] [--max-len N] [--timeout S] [--artifacts DIR] PATH...\n",
                   argv[0]);
      return 2;
    } else {
      paths.emplace_back(a);
    }
  }
  std::vector<std::filesystem::path> files;
  for (const auto& p : paths) {
    if (std::filesystem::is_directory(p)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(p))
        if (e.is_regular_file()) files.push_back(e.path());
    } else {
      files.push_back(p);
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::fprintf(stderr, "replay: no input files in the given paths\n");
    return 2;
  }
  const std::string target = std::filesystem::path(argv[0]).filename().string();
  std::snprintf(g_artifact, sizeof g_artifact, "%s/crash-%s-%d", artifacts.c_str(), target.c_str(),
                static_cast<int>(::getpid()));
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGALRM}) ::signal(sig, on_signal);
  std::set_terminate(on_terminate);
#ifdef REPLAY_HAS_DEATH_CALLBACK
  __sanitizer_set_death_callback(save_current);
#endif

  std::vector<Bytes> corpus;
  for (const auto& f : files) {
    corpus.push_back(read_bytes(f));
    run(corpus.back(), timeout);
  }
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  Mutator m(seed, max_len);
  uint64_t executions = 0;
  while (elapsed() < seconds) {
    const Bytes b = m.mutate(corpus);
    run(b, timeout);
    ++executions;
  }
  std::printf("%s: %zu corpus inputs, %llu mutated inputs in %.1f s (seed %llu): no crash, no hang\n", target.c_str(),
              corpus.size(), static_cast<unsigned long long>(executions), elapsed(),
              static_cast<unsigned long long>(seed));
  return 0;
}
