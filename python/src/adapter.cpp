// Adapter: partial domain adaptation of a deployed model on its stream (LoCO-PDA), with its options,
// answers and reports.
#include "common.hpp"

namespace etpy {

using namespace edgetrain;

namespace {

void bind_adapter_structs(py::module_& m) {
  Struct<AdapterOptions>(m, "AdapterOptions", "How an Adapter observes, decides, shrinks and retrains.")
      .field("window", &AdapterOptions::window, "frames the class shares are taken over")
      .field("subset_mass", &AdapterOptions::subset_mass, "S: the fewest classes holding this share")
      .field("em_shares", &AdapterOptions::em_shares, "S from the EM label prior (else the top-1 histogram)")
      .field("source_prior", &AdapterOptions::source_prior, "the model's training prior (empty: uniform)", false)
      .field("buffer_capacity", &AdapterOptions::buffer_capacity, "frames buffered for retraining")
      .field("label_confidence", &AdapterOptions::label_confidence, "unlabelled frames buffered above this")
      .field("audit_every", &AdapterOptions::audit_every, "the original also runs on every n-th frame")
      .field("max_subset_share", &AdapterOptions::max_subset_share, "adapt when |S| is at most this share")
      .field("stable_frames", &AdapterOptions::stable_frames, "S unchanged this long before adapting")
      .field("min_frames_per_class", &AdapterOptions::min_frames_per_class, "buffered frames per class of S")
      .field("drift", &AdapterOptions::drift, "Jaccard distance that triggers a new adaptation")
      .field("fallback_confidence", &AdapterOptions::fallback_confidence, "below it the original answers")
      .field("alarm_share", &AdapterOptions::alarm_share, "checked frames outside S that restore the original")
      .field("prune_levels", &AdapterOptions::prune_levels, "levels tried in order")
      .field("trainable_specs", &AdapterOptions::trainable_specs, "what retrains, tried in order")
      .field("criterion", &AdapterOptions::criterion, "channel ranking on the buffered frames")
      .field("epochs", &AdapterOptions::epochs, "retraining epochs")
      .field("batch", &AdapterOptions::batch, "retraining batch")
      .field("learning_rate", &AdapterOptions::learning_rate, "SGD with momentum 0.9")
      .field("hold_back_every", &AdapterOptions::hold_back_every, "every n-th buffered frame validates")
      .field("memory_budget", &AdapterOptions::memory_budget, "bytes of the retraining process (needs a profile)")
      .field("time_budget_seconds", &AdapterOptions::time_budget_seconds, "predicted retraining time")
      .field("device_profile", &AdapterOptions::device_profile, "`edgetrain calibrate` output")
      .field("background", &AdapterOptions::background, "retrain on a worker thread")
      .field("state_dir", &AdapterOptions::state_dir, "where the state survives restarts")
      .field("engine", &AdapterOptions::engine, "kernels and layouts (EngineOptions)")
      .done();
  Struct<AdapterPrediction>(m, "AdapterPrediction", "What Adapter.observe answers.", false)
      .field("label", &AdapterPrediction::label, "in the deployed model's classes")
      .field("probability", &AdapterPrediction::probability, "of that class")
      .field("by_original", &AdapterPrediction::by_original, "the original model answered")
      .done();
  Struct<AdaptationReport>(m, "AdaptationReport", "One adaptation: what it chose, why, and what it gave.", false)
      .field("frame", &AdaptationReport::frame, "stream position that triggered it")
      .field("subset", &AdaptationReport::subset, "S")
      .field("level", &AdaptationReport::level, "pruning level")
      .field("batch", &AdaptationReport::batch, "retraining batch")
      .field("trainable", &AdaptationReport::trainable, "what retrained")
      .field("why", &AdaptationReport::why, "how the configuration was chosen", false)
      .field("predicted_seconds", &AdaptationReport::predicted_seconds, "retraining, predicted")
      .field("seconds", &AdaptationReport::seconds, "retraining, measured")
      .field("predicted_bytes", &AdaptationReport::predicted_bytes, "retraining peak, predicted")
      .field("plan_bytes", &AdaptationReport::plan_bytes, "the training step's planned bytes")
      .field("peak_rss_bytes", &AdaptationReport::peak_rss_bytes, "process peak after retraining")
      .field("held_back", &AdaptationReport::held_back, "validation frames")
      .field("accuracy_before", &AdaptationReport::accuracy_before, "the serving model's on them")
      .field("accuracy_after", &AdaptationReport::accuracy_after, "the adapted model's")
      .field("latency_before_ms", &AdaptationReport::latency_before_ms, "one frame, serving model")
      .field("latency_after_ms", &AdaptationReport::latency_after_ms, "one frame, adapted model")
      .field("params_before", &AdaptationReport::params_before, "parameters before")
      .field("params_after", &AdaptationReport::params_after, "parameters after")
      .field("accepted", &AdaptationReport::accepted, "it serves now (else rolled back)")
      .done();
}

}  // namespace

void init_adapter(py::module_& m) {
  bind_adapter_structs(m);
  py::class_<Adapter>(m, "Adapter",
                      "Serves a deployed model frame by frame, notices which classes the stream shows, adapts to "
                      "them (restrict, prune, retrain, validate) and follows the drift. One thread drives it.")
      .def(py::init([](const Model& model, const AdapterOptions& options) { return Adapter(model.clone(), options); }),
           py::arg("model"), py::arg("options") = AdapterOptions{},
           "Serves a copy of model; resumes from options.state_dir where it holds a state.")
      .def(
          "observe",
          [](Adapter& a, const py::object& frame_obj, std::optional<int32_t> label) {
            auto frame = exact_array<float>(frame_obj, "frame", 3);
            const std::vector<int64_t> chw = a.serving().input_chw();
            for (size_t d = 0; d < 3; ++d)
              if (frame.shape(static_cast<py::ssize_t>(d)) != chw[d])
                throw ArrayError("frame must be " + shape_str(chw) + ", got " + shape_str(array_shape(frame)));
            py::gil_scoped_release nogil;
            return a.observe(frame.data(), label);
          },
          py::arg("frame"), py::arg("label") = py::none(),
          "Answers one frame [C, H, W] float32 (values in [0, 1]) with the serving model; a label when known.")
      .def_property_readonly("adapting", &Adapter::adapting, "A background adaptation is running.")
      .def("wait", &Adapter::wait, py::call_guard<py::gil_scoped_release>(), "Until a running adaptation finished.")
      .def_property_readonly("frames", &Adapter::frames, "Frames observed.")
      .def_property_readonly("subset", &Adapter::subset, "S over the current window.")
      .def_property_readonly("adapted_subset", &Adapter::adapted_subset, "The classes the serving model answers.")
      .def_property_readonly("label_prior", &Adapter::label_prior, "EM estimate of the window's label prior.")
      .def("reports", &Adapter::reports, "Every adaptation's AdaptationReport.")
      .def_property_readonly("status", &Adapter::status, "The last decision or problem, in words.");
}

}  // namespace etpy
