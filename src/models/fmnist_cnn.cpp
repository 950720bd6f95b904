// fmnist-cnn: the small Fashion-MNIST network (421,642 parameters at 1x28x28, 10 classes).
#include "models/families.hpp"

namespace edgetrain::models {

Graph build_fmnist_cnn(const ZooOptions& o) {
  GraphBuilder b(o.input);
  int x = b.input();
  x = b.conv("conv1", x, 32, 3, 1, 1, 1, /*bias=*/true);  // [1, 32, H, W]
  x = b.relu("relu1", x);
  x = b.max_pool("pool1", x, 2, 2);                       // [1, 32, H/2, W/2]
  x = b.conv("conv2", x, 64, 3, 1, 1, 1, /*bias=*/true);
  x = b.relu("relu2", x);
  x = b.max_pool("pool2", x, 2, 2);                       // [1, 64, H/4, W/4]
  x = b.flatten("flatten", x);                            // [1, 64 * H/4 * W/4]
  x = b.linear("fc1", x, 128);
  x = b.relu("relu3", x);
  x = b.linear("fc2", x, o.num_classes);
  return b.finish(x);
}

}  // namespace edgetrain::models
