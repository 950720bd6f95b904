// LeNet-5 (ReLU, average pooling), as defined in scripts/torchvision_param_counts.py.
#include "models/families.hpp"

namespace edgetrain::models {

Graph build_lenet5(const ZooOptions& o) {
  GraphBuilder b(o.input);
  int x = b.input();
  x = b.conv("features.0", x, 6, 5, 1, 2, 1, /*bias=*/true);  // [1, 6, H, W]
  x = b.relu("features.1", x);
  x = b.avg_pool("features.2", x, 2, 2);                      // [1, 6, H/2, W/2]
  x = b.conv("features.3", x, 16, 5, 1, 0, 1, /*bias=*/true);  // [1, 16, H/2-4, W/2-4]
  x = b.relu("features.4", x);
  x = b.avg_pool("features.5", x, 2, 2);                      // [1, 16, 5, 5] at 28x28
  x = b.flatten("flatten", x);
  x = b.linear("classifier.0", x, 120);
  x = b.relu("classifier.1", x);
  x = b.linear("classifier.2", x, 84);
  x = b.relu("classifier.3", x);
  x = b.linear("classifier.4", x, o.num_classes);
  return b.finish(x);
}

}  // namespace edgetrain::models
