// edgetrain: train and adapt convolutional networks on the device that runs them.
// The umbrella header of the public API (docs/API.md is the tour).
#pragma once

#include "edgetrain/adapter.hpp"
#include "edgetrain/data.hpp"
#include "edgetrain/error.hpp"
#include "edgetrain/export.hpp"
#include "edgetrain/inference_session.hpp"
#include "edgetrain/log.hpp"
#include "edgetrain/model.hpp"
#include "edgetrain/pruning.hpp"
#include "edgetrain/options.hpp"
#include "edgetrain/predictor.hpp"
#include "edgetrain/training_session.hpp"
#include "edgetrain/version.hpp"
