// Predictor: a training configuration's cost on this device, from a calibrated device profile.
#include "common.hpp"

namespace etpy {

using namespace edgetrain;

void init_predictor(py::module_& m) {
  using release = py::call_guard<py::gil_scoped_release>;

  Struct<CostEstimate>(m, "CostEstimate", "A training configuration's predicted cost.", false)
      .field("plan", &CostEstimate::plan, "the compiled step's exact bytes (MemoryBreakdown)")
      .field("process_bytes", &CostEstimate::process_bytes, "runtime, libraries, generated kernels")
      .field("input_bytes", &CostEstimate::input_bytes, "one batch of images and labels")
      .field("total_bytes", &CostEstimate::total_bytes, "plan.total + process + input: the process's peak")
      .field("step_ms", &CostEstimate::step_ms, "one training step, milliseconds: kernel_ms + overhead_ms")
      .field("kernel_ms", &CostEstimate::kernel_ms, "its kernels, from the latency model")
      .field("overhead_ms", &CostEstimate::overhead_ms, "the per-step runtime overhead")
      .field("epoch_seconds", &CostEstimate::epoch_seconds, "one epoch of epoch_samples samples")
      .field("winograd_dropped", &CostEstimate::winograd_dropped, "Winograd convolutions were dropped to fit the budget")
      .done();

  Struct<FitCostEstimate>(m, "FitCostEstimate", "What TrainingSession.fit holds at its peak, beyond the step.", false)
      .field("step", &FitCostEstimate::step, "the training step (CostEstimate)")
      .field("data_bytes", &FitCostEstimate::data_bytes, "the training and test sets as stored")
      .field("loader_bytes", &FitCostEstimate::loader_bytes, "the loader's prepared batches")
      .field("evaluation_bytes", &FitCostEstimate::evaluation_bytes, "the per-epoch evaluation")
      .field("checkpoint_bytes", &FitCostEstimate::checkpoint_bytes, "the per-epoch checkpoint")
      .field("total_bytes", &FitCostEstimate::total_bytes, "the whole run's peak")
      .field("epoch_samples", &FitCostEstimate::epoch_samples, "samples one epoch trains")
      .field("epoch_seconds", &FitCostEstimate::epoch_seconds, "the training steps of one epoch")
      .done();

  py::class_<Predictor>(m, "Predictor",
                        "What a training configuration will cost on this device, from a profile written by "
                        "`edgetrain calibrate`; nothing is allocated or run.")
      .def_static("load", &Predictor::load, py::arg("profile_path"), release(),
                  "Loads a device profile (JSON); raises Error if missing or corrupt.")
      .def("estimate", &Predictor::estimate, py::arg("model"), py::arg("options"), py::arg("epoch_samples"),
           py::arg("memory_budget") = 0, release(),
           "The cost (CostEstimate) of training model with options over epochs of epoch_samples samples; with a "
           "memory_budget (the whole process), Winograd is dropped where that makes it fit, as largest_batch does.")
      .def("largest_batch", &Predictor::largest_batch, py::arg("model"), py::arg("options"), py::arg("memory_budget"),
           py::arg("max_batch") = 4096, release(),
           "The largest batch up to max_batch whose predicted total fits memory_budget bytes (0: none).")
      .def("estimate_fit", &Predictor::estimate_fit, py::arg("model"), py::arg("options"), py::arg("train"),
           py::arg("fit") = FitOptions{}, py::arg("memory_budget") = 0, release(),
           "The cost (FitCostEstimate) of session.fit(train, fit): the step, data sets, loader, and the per-epoch "
           "evaluation or checkpoint.")
      .def_property_readonly("device", &Predictor::device, "The CPU the profile was measured on.")
      .def_property_readonly("threads", &Predictor::threads, "The threads it was measured with.");
}

}  // namespace etpy
