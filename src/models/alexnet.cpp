// torchvision AlexNet (the one-GPU variant: 64-192-384-256-256 channels).
#include "core/check.hpp"
#include "models/families.hpp"

namespace edgetrain::models {

Graph build_alexnet(const ZooOptions& o) {
  GraphBuilder b(o.input);
  int x = b.input();
  x = b.conv("features.0", x, 64, 11, 4, 2, 1, /*bias=*/true);  // [1, 64, 55, 55] at 224
  x = b.relu("features.1", x);
  x = b.max_pool("features.2", x, 3, 2);                        // [1, 64, 27, 27]
  x = b.conv("features.3", x, 192, 5, 1, 2, 1, /*bias=*/true);
  x = b.relu("features.4", x);
  x = b.max_pool("features.5", x, 3, 2);                        // [1, 192, 13, 13]
  x = b.conv("features.6", x, 384, 3, 1, 1, 1, /*bias=*/true);
  x = b.relu("features.7", x);
  x = b.conv("features.8", x, 256, 3, 1, 1, 1, /*bias=*/true);
  x = b.relu("features.9", x);
  x = b.conv("features.10", x, 256, 3, 1, 1, 1, /*bias=*/true);
  x = b.relu("features.11", x);
  x = b.max_pool("features.12", x, 3, 2);                       // [1, 256, 6, 6]
  x = adaptive_avg_pool(b, "avgpool", x, 6, "alexnet", "224x224 (feature map 6x6)");
  x = b.flatten("flatten", x);                                  // [1, 9216]
  x = b.dropout("classifier.0", x, 0.5);
  x = b.linear("classifier.1", x, 4096);
  x = b.relu("classifier.2", x);
  x = b.dropout("classifier.3", x, 0.5);
  x = b.linear("classifier.4", x, 4096);
  x = b.relu("classifier.5", x);
  x = b.linear("classifier.6", x, o.num_classes);
  return b.finish(x);
}

}  // namespace edgetrain::models
