// What the public handles hold: a Model's network, a Dataset's samples. The only place that turns
// public types into internal ones (with convert.hpp).
#pragma once
#include <memory>

#include "data/dataset.hpp"
#include "edgetrain/data.hpp"
#include "edgetrain/model.hpp"
#include "runtime/network.hpp"

namespace edgetrain::detail {

struct ModelState {
  Network net;
  // A Model handle over shared state (sessions share it with the Model they came from).
  static Model wrap(std::shared_ptr<ModelState> state) { return Model(std::move(state)); }
  static Model make(Network net) { return wrap(std::make_shared<ModelState>(ModelState{std::move(net)})); }
};

struct DatasetHandle {
  std::shared_ptr<const data::Dataset> set;
  static Dataset make(std::shared_ptr<const data::Dataset> set) {
    return Dataset(std::make_shared<const DatasetHandle>(DatasetHandle{std::move(set)}));
  }
};

}  // namespace edgetrain::detail
