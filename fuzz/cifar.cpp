// CIFAR-10 / CIFAR-100 binary batches from bytes. Input: one byte choosing the kind (0 CIFAR-10,
// 1 CIFAR-100 fine labels, 2 CIFAR-100 coarse labels, modulo 3), then the batch file.
#include <vector>

#include "data/dataset.hpp"
#include "fuzz/fuzz_target.hpp"

namespace edgetrain::fuzz {

void fuzz_one(const uint8_t* data, size_t size) {
  if (size < 1) return;
  const int kind = data[0] % 3;
  const std::vector<uint8_t> batch(data + 1, data + size);
  const auto ds = data::parse_cifar(batch, "fuzz.bin", kind != 0, kind == 2);
  std::vector<float> sample(static_cast<size_t>(ds->sample_shape().numel()));
  for (int64_t i : {int64_t{0}, ds->size() - 1}) {
    ds->read(i, sample.data());
    (void)ds->label(i);
  }
}

}  // namespace edgetrain::fuzz
