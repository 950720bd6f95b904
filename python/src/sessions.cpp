// TrainingSession and InferenceSession, with their option and result structs.
#include "common.hpp"

namespace etpy {

using namespace edgetrain;

namespace {

// A batch for TrainingSession.step: images [batch, C, H, W] float32 and labels [batch] int32, both
// C-contiguous; used in place (no copy here; the session copies them into its planned input).
std::pair<py::array_t<float>, py::array_t<int32_t>> check_step_batch(const TrainingSession& s,
                                                                     const py::object& images_obj,
                                                                     const py::object& labels_obj) {
  auto images = exact_array<float>(images_obj, "images", 4);
  auto labels = exact_array<int32_t>(labels_obj, "labels", 1);
  const int64_t batch = s.options().batch;
  const int64_t n = check_images(images, s.model().input_chw(), "images");
  if (n != batch)
    throw ArrayError("images hold " + std::to_string(n) + " samples but the session's batch is " +
                     std::to_string(batch));
  if (labels.shape(0) != batch)
    throw ArrayError("labels must be [" + std::to_string(batch) + "] (the session's batch), got shape " +
                     shape_str(array_shape(labels)));
  return {images, labels};
}

// Images [n, C, H, W] float32 C-contiguous for an InferenceSession, 1 <= n <= max_batch; n.
int64_t check_run_images(const InferenceSession& s, const py::array_t<float>& images) {
  const int64_t n = check_images(images, s.input_chw(), "images");
  if (n < 1 || n > s.max_batch())
    throw ArrayError("images hold " + std::to_string(n) + " samples; the session takes 1 to " +
                     std::to_string(s.max_batch()) + " (call reserve() for larger batches)");
  return n;
}

// A numpy view of session memory, valid while `owner` lives (it keeps `owner` alive).
template <class T>
py::array_t<T> view(T* data, std::vector<py::ssize_t> shape, const py::object& owner) {
  return py::array_t<T>(std::move(shape), data, owner);
}

// A Dataset the options may keep beyond the Python object: a copy when it views numpy arrays.
Dataset owned(const py::object& obj) {
  const Dataset& d = obj.cast<const Dataset&>();
  if (!py::hasattr(obj, "_arrays")) return d;
  const std::vector<int64_t> chw = d.sample_shape();
  const int64_t n = d.size(), sample = chw[0] * chw[1] * chw[2];
  std::vector<float> images(static_cast<std::size_t>(n * sample));
  std::vector<int32_t> labels(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    d.read(i, images.data() + i * sample);
    labels[static_cast<std::size_t>(i)] = d.label(i);
  }
  return Dataset::from_arrays(images.data(), labels.data(), n, chw, d.class_names());
}

FitResult fit(TrainingSession& s, const Dataset& train, const py::object& options, const py::kwargs& kwargs) {
  // The options: a copy of `options` (or the defaults) with the keyword arguments set on it.
  py::object opts = options.is_none() ? py::cast(FitOptions{}) : py::cast(py::cast<FitOptions>(options));
  for (auto item : kwargs) {
    if (!py::hasattr(opts, item.first))
      throw py::type_error("fit() got an unexpected keyword argument '" + std::string(py::str(item.first)) + "'");
    opts.attr(item.first) = item.second;
  }
  FitOptions fo = py::cast<FitOptions>(opts);
  auto errors = std::make_shared<CallbackErrors>();
  fo.on_step = for_call(fo.on_step, errors);
  fo.on_epoch = for_call(fo.on_epoch, errors);
  fo.on_eval_progress = for_call(fo.on_eval_progress, errors);
  FitResult r;
  {
    py::gil_scoped_release nogil;
    r = s.fit(train, fo);
    fo = FitOptions{};  // drop the callbacks' Python references (they take the GIL)
  }
  errors->rethrow();
  return r;
}

Evaluation evaluate(TrainingSession& s, const Dataset& data, int64_t batch, const py::object& on_progress) {
  auto errors = std::make_shared<CallbackErrors>();
  ProgressCallback cb = for_call(to_callback<void, int64_t, int64_t>(on_progress, "on_progress"), errors);
  Evaluation r;
  {
    py::gil_scoped_release nogil;
    r = s.evaluate(data, batch, cb);
    cb = nullptr;
  }
  errors->rethrow();
  return r;
}

using release = py::call_guard<py::gil_scoped_release>;

// The muppet precision schedule's decisions, and a session's precision.
void bind_precision(py::module_& m) {
  Struct<PrecisionDecision>(m, "PrecisionDecision", "The muppet schedule's decision at one epoch's end.", false)
      .field("epoch", &PrecisionDecision::epoch, "the epoch that ended (1-based)")
      .field("trained_in", &PrecisionDecision::trained_in, "the precision it trained in")
      .field("estimated", &PrecisionDecision::estimated, "a gradient-diversity estimate was made")
      .field("diversity", &PrecisionDecision::diversity, "S, when estimated")
      .field("max_diversity", &PrecisionDecision::max_diversity, "max S since the last switch")
      .field("threshold", &PrecisionDecision::threshold, "T(epoch)")
      .field("violations", &PrecisionDecision::violations, "counted since the last switch")
      .field("next", &PrecisionDecision::next, "the precision of the next epoch")
      .done();
}

// The learning rate and the precision of a running session.
void bind_session_schedule(py::class_<TrainingSession>& session) {
  session
      .def_property("learning_rate", &TrainingSession::learning_rate, &TrainingSession::set_learning_rate,
                    "The next step's learning rate; setting it overrides the schedule (see clear_learning_rate).")
      .def("set_learning_rate", &TrainingSession::set_learning_rate, py::arg("lr"),
           "Overrides the schedule from now on.")
      .def("clear_learning_rate", &TrainingSession::clear_learning_rate, "Back to the schedule.")
      .def("set_schedule", &TrainingSession::set_schedule, py::arg("schedule"), "A new schedule from the next step on.")
      .def_property_readonly("precision", &TrainingSession::precision, "The Precision the next step trains in.")
      .def("set_precision", &TrainingSession::set_precision, py::arg("precision"), release(),
           "Trains in this Precision from the next step on (recompiles; not in a muppet session).")
      .def_property_readonly("precision_decisions", &TrainingSession::precision_decisions,
                             "Every epoch-end decision of the muppet schedule (list of PrecisionDecision).");
}

void bind_training_structs(py::module_& m) {
  Struct<TrainingOptions>(m, "TrainingOptions", "What a TrainingSession compiles.")
      .field("batch", &TrainingOptions::batch, "samples per step")
      .field("trainable", &TrainingOptions::trainable, "which parameters train (Trainable, or its text: \"last:2\")")
      .field("optimizer", &TrainingOptions::optimizer, "update rule and hyper-parameters (OptimizerOptions)")
      .field("schedule", &TrainingOptions::schedule, "learning rate over the steps (ScheduleOptions)")
      .field("freeze_bn", &TrainingOptions::freeze_bn, "BatchNorm normalises with its running statistics")
      .field("memory_budget", &TrainingOptions::memory_budget, "bytes the step may plan (0: no limit)")
      .field("seed", &TrainingOptions::seed, "dropout masks")
      .field("normalize_inputs", &TrainingOptions::normalize_inputs, "apply the model's mean/std to caller batches")
      .field("engine", &TrainingOptions::engine, "kernels and layouts (EngineOptions)")
      .field("precision_schedule", &TrainingOptions::precision_schedule,
             "with engine.precision = muppet (PrecisionScheduleOptions)")
      .done();
  Struct<StepResult>(m, "StepResult", "One training step's outcome.", false)
      .field("loss", &StepResult::loss, "mean cross-entropy of the batch")
      .field("correct", &StepResult::correct, "samples whose top-1 prediction equals the label")
      .field("samples", &StepResult::samples, "the batch size")
      .done();
  Struct<Augmentation>(m, "Augmentation", "Data augmentation fit() applies to training samples.")
      .field("crop_padding", &Augmentation::crop_padding, "zero-pad by this much, crop back at a random offset")
      .field("horizontal_flip", &Augmentation::horizontal_flip, "mirror with probability 1/2")
      .done();
  Struct<StepProgress>(m, "StepProgress", "Progress inside an epoch (fit's on_step).", false)
      .field("epoch", &StepProgress::epoch, "1-based epoch")
      .field("step", &StepProgress::step, "1-based step within the epoch")
      .field("steps", &StepProgress::steps, "steps in the epoch")
      .field("loss", &StepProgress::loss, "running mean loss over the epoch")
      .field("accuracy", &StepProgress::accuracy, "running training accuracy")
      .done();
  Struct<EpochReport>(m, "EpochReport", "One finished epoch (fit's on_epoch, and FitResult).", false)
      .field("epoch", &EpochReport::epoch, "1-based epoch")
      .field("epochs", &EpochReport::epochs, "epochs of the whole run")
      .field("train_loss", &EpochReport::train_loss, "mean training loss")
      .field("train_accuracy", &EpochReport::train_accuracy, "training accuracy")
      .field("samples", &EpochReport::samples, "trained samples")
      .field("seconds", &EpochReport::seconds, "training time of the epoch")
      .field("test", &EpochReport::test, "Evaluation on the test data, or None")
      .field("precision", &EpochReport::precision, "the Precision it trained in")
      .field("precision_decision", &EpochReport::precision_decision, "PrecisionDecision (muppet), or None")
      .done();

  Struct<FitOptions> fit_options(m, "FitOptions", "How fit() runs.");
  fit_options.field("epochs", &FitOptions::epochs, "total epochs (a resumed session continues from epochs_done)")
      .field("stop_after", &FitOptions::stop_after, "stop after this many epochs of this call (0: run to epochs)")
      .property(
          "test", [](const FitOptions& o) { return o.test; },
          [](FitOptions& o, const py::object& test) {
            if (test.is_none())
              o.test.reset();
            else
              o.test = owned(test);
          },
          "Dataset evaluated after every epoch, or None (a data set over numpy arrays is copied in)")
      .field("eval_batch", &FitOptions::eval_batch, "batch size of that evaluation")
      .field("augment", &FitOptions::augment, "training augmentation (Augmentation)")
      .field("data_seed", &FitOptions::data_seed, "shuffling and augmentation seed")
      .field("checkpoint", &FitOptions::checkpoint, "checkpoint path written after every epoch (\"\": none)")
      .field("checkpoint_metadata", &FitOptions::checkpoint_metadata, "dict stored with the checkpoint")
      .property("on_step", callback_getter(&FitOptions::on_step), callback_setter(&FitOptions::on_step, "on_step"),
                "None or callable(StepProgress) after every step; return False to stop (None/True: continue)")
      .property("on_epoch", callback_getter(&FitOptions::on_epoch), callback_setter(&FitOptions::on_epoch, "on_epoch"),
                "None or callable(EpochReport) after every epoch; return False to stop (None/True: continue)")
      .property("on_eval_progress", callback_getter(&FitOptions::on_eval_progress),
                callback_setter(&FitOptions::on_eval_progress, "on_eval_progress"),
                "None or callable(done, total) after each evaluation batch")
      .done();

  Struct<FitResult>(m, "FitResult", "What fit() did.", false)
      .field("epochs", &FitResult::epochs, "EpochReports finished in this call")
      .field("stopped", &FitResult::stopped, "a callback or request_stop() ended it early")
      .field("train_seconds", &FitResult::train_seconds, "time in training epochs")
      .field("samples", &FitResult::samples, "trained in this call")
      .done();
}

void bind_training_session(py::module_& m) {
  py::class_<TrainingSession> session(
      m, "TrainingSession",
      "A model's training step compiled once (kernels chosen, memory planned), with fit(), "
      "evaluation and checkpoints. Trains the model in place.");
  session
      .def(py::init<Model&, const TrainingOptions&>(), py::arg("model"), py::arg("options") = TrainingOptions{},
           release(), "Compiles the training step for model; raises Error on invalid options or budget.")
      .def_static("resume", &TrainingSession::resume, py::arg("checkpoint"), release(),
                  "Continues the run saved in a checkpoint exactly.")
      .def_static("can_resume", &TrainingSession::can_resume, py::arg("checkpoint"), release(),
                  "Whether a checkpoint holds a training run resume() continues (not a model alone).")
      .def_static("preview", &TrainingSession::preview, py::arg("model"), py::arg("options") = TrainingOptions{},
                  release(), "The step the constructor would compile, described (PlanSummary), without allocating it.")
      .def(
          "step",
          [](TrainingSession& s, const py::object& images_obj, const py::object& labels_obj) {
            auto [images, labels] = check_step_batch(s, images_obj, labels_obj);
            const float* x = images.data();
            const int32_t* y = labels.data();
            py::gil_scoped_release nogil;
            return s.step(x, y);
          },
          py::arg("images"), py::arg("labels"),
          "One step on images [batch, C, H, W] float32 in [0, 1] and labels [batch] int32, both C-contiguous numpy "
          "arrays read in place (no conversion: other dtypes raise ArrayError). Returns StepResult.")
      .def(
          "step",
          [](TrainingSession& s) {
            py::gil_scoped_release nogil;
            return s.step();
          },
          "One step on the batch written into input_images() / input_labels().")
      .def(
          "input_images",
          [](py::object self) {
            auto& s = self.cast<TrainingSession&>();
            const std::vector<int64_t> chw = s.model().input_chw();
            return view(s.input_images(), {s.options().batch, chw[0], chw[1], chw[2]}, self);
          },
          "The session's input images [batch, C, H, W] as a writable numpy view (write normalised images, then "
          "step()).")
      .def(
          "input_labels",
          [](py::object self) {
            auto& s = self.cast<TrainingSession&>();
            return view(s.input_labels(), {s.options().batch}, self);
          },
          "The session's input labels [batch] as a writable numpy view.")
      .def("fit", &fit, py::arg("train"), py::arg("options") = py::none(),
           "Trains over a Dataset (full shuffled batches) up to options.epochs; keyword arguments override "
           "FitOptions fields (e.g. epochs=2, on_step=f). Callbacks run with the GIL; an exception in one stops fit "
           "and is re-raised. Returns FitResult.")
      .def("prune", &TrainingSession::prune, py::arg("ranking"), py::arg("level"), release(),
           "Prunes the model being trained (about level of the parameters) and goes on training it: optimizer state "
           "sliced, counters and schedule kept. Returns the level reached; model is then the new, smaller model.")
      .def("request_stop", &TrainingSession::request_stop,
           "Asks a running fit() to stop after the current step (any thread).")
      .def("evaluate", &evaluate, py::arg("data"), py::arg("batch") = 256, py::arg("on_progress") = py::none(),
           "Loss and accuracy on data in inference mode (Evaluation).")
      .def_property_readonly("steps_done", &TrainingSession::steps_done, "Optimizer steps, counted across resumes.")
      .def_property_readonly("epochs_done", &TrainingSession::epochs_done,
                             "Epochs fit() finished, counted across resumes.")
      .def("save_checkpoint", &TrainingSession::save_checkpoint, py::arg("path"),
           py::arg("metadata") = std::map<std::string, std::string>{}, release(),
           "Writes weights, statistics, optimizer state, counters and options atomically.")
      .def_property_readonly("metadata", &TrainingSession::metadata,
                             "Metadata of the checkpoint this session resumed from.")
      .def_property_readonly(
          "options", [](const TrainingSession& s) { return s.options(); }, "The options as compiled (a copy).")
      .def("memory", &TrainingSession::memory, "The planned bytes (MemoryBreakdown).")
      .def("plan", &TrainingSession::plan, "The compiled step, described (PlanSummary).")
      .def_property_readonly("model", py::overload_cast<>(&TrainingSession::model),
                             py::return_value_policy::reference_internal,
                             "The model being trained (the same weights).");
  bind_session_schedule(session);
}

void bind_inference(py::module_& m) {
  Struct<InferenceOptions>(m, "InferenceOptions", "What an InferenceSession compiles.")
      .field("batch", &InferenceOptions::batch, "the largest batch a run takes")
      .field("normalize_inputs", &InferenceOptions::normalize_inputs, "apply the model's mean/std")
      .field("engine", &InferenceOptions::engine, "kernels and layouts (EngineOptions)")
      .done();
  Struct<Prediction>(m, "Prediction", "One of the k best classes of a sample.", false)
      .field("label", &Prediction::label, "class index")
      .field("probability", &Prediction::probability, "softmax probability")
      .done();

  py::class_<InferenceSession>(m, "InferenceSession",
                               "A model's forward pass compiled once for a largest batch; serves the model's latest "
                               "weights. One thread per session; several sessions may run at once.")
      .def(py::init<const Model&, const InferenceOptions&>(), py::arg("model"), py::arg("options") = InferenceOptions{},
           release(), "Compiles the forward pass; raises Error on invalid options.")
      .def_static("preview", &InferenceSession::preview, py::arg("model"), py::arg("options") = InferenceOptions{},
                  release(), "The forward pass the constructor would compile, described, without allocating it.")
      .def(
          "run",
          [](InferenceSession& s, const py::object& images_obj) {
            auto images = exact_array<float>(images_obj, "images", 4);
            const int64_t n = check_run_images(s, images);
            py::array_t<float> out({static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(s.num_classes())});
            const float* x = images.data();
            float* y = out.mutable_data();
            {
              py::gil_scoped_release nogil;
              s.run(x, n, y);
            }
            return out;
          },
          py::arg("images"),
          "Logits [n, K] (a new array) of images [n, C, H, W] float32 C-contiguous, 1 <= n <= max_batch.")
      .def(
          "logits",
          [](InferenceSession& s, const py::object& images_obj) {
            auto images = exact_array<float>(images_obj, "images", 4);
            const int64_t n = check_run_images(s, images);
            std::vector<float> r;
            {
              py::gil_scoped_release nogil;
              r = s.logits(images.data(), n);
            }
            return to_numpy(r.data(), {n, s.num_classes()});
          },
          py::arg("images"), "The same as run(): logits [n, K].")
      .def(
          "probabilities",
          [](InferenceSession& s, const py::object& images_obj) {
            auto images = exact_array<float>(images_obj, "images", 4);
            const int64_t n = check_run_images(s, images);
            std::vector<float> r;
            {
              py::gil_scoped_release nogil;
              r = s.probabilities(images.data(), n);
            }
            return to_numpy(r.data(), {n, s.num_classes()});
          },
          py::arg("images"), "Softmax of the logits, [n, K].")
      .def(
          "top_k",
          [](InferenceSession& s, const py::object& images_obj, int k) {
            auto images = exact_array<float>(images_obj, "images", 4);
            const int64_t n = check_run_images(s, images);
            py::gil_scoped_release nogil;
            return s.top_k(images.data(), n, k);
          },
          py::arg("images"), py::arg("k") = 1,
          "The k most probable classes of each image, best first: [n][k] Predictions.")
      .def("reserve", &InferenceSession::reserve, py::arg("batch"), release(),
           "Makes batches up to batch possible (recompiles when the plan is smaller).")
      .def_property_readonly("max_batch", &InferenceSession::max_batch, "Largest n run() takes without recompiling.")
      .def_property_readonly("num_classes", &InferenceSession::num_classes, "K.")
      .def_property_readonly("input_chw", &InferenceSession::input_chw, "[C, H, W].")
      .def_property_readonly("compiles", &InferenceSession::compiles, "Times the forward pass was compiled.")
      .def("memory", &InferenceSession::memory, "The planned bytes (MemoryBreakdown).")
      .def("plan", &InferenceSession::plan, "The compiled forward pass, described (PlanSummary).");
}

}  // namespace

void init_sessions(py::module_& m) {
  bind_precision(m);
  bind_training_structs(m);
  bind_training_session(m);
  bind_inference(m);
}

}  // namespace etpy
