// Model and Dataset, with their option and result structs.
#include <cstring>

#include "common.hpp"

namespace etpy {

using namespace edgetrain;

namespace {

using release = py::call_guard<py::gil_scoped_release>;

// Images [n, C, H, W] and labels [n] for a data set, checked; n.
int64_t check_arrays(const py::array_t<float>& images, const py::array_t<int32_t>& labels) {
  if (images.ndim() != 4) throw ArrayError("images must be [n, C, H, W], got shape " + shape_str(array_shape(images)));
  if (labels.ndim() != 1 || labels.shape(0) != images.shape(0))
    throw ArrayError("labels must be [n] with n = " + std::to_string(images.shape(0)) + " (the images), got shape " +
                     shape_str(array_shape(labels)));
  return images.shape(0);
}

std::vector<int64_t> chw_of(const py::array& images) { return {images.shape(1), images.shape(2), images.shape(3)}; }

Evaluation evaluate_model(const Model& model, const Dataset& data, const EvalOptions& options) {
  auto errors = std::make_shared<CallbackErrors>();
  EvalOptions o = options;
  o.on_progress = for_call(o.on_progress, errors);
  Evaluation r;
  {
    py::gil_scoped_release nogil;
    r = model.evaluate(data, o);
  }
  errors->rethrow();
  return r;
}

void bind_dataset_access(py::class_<Dataset>& dataset) {
  dataset.def("size", &Dataset::size, "Samples.")
      .def("__len__", &Dataset::size, "Samples.")
      .def_property_readonly("sample_shape", &Dataset::sample_shape, "[C, H, W] of a sample.")
      .def_property_readonly("class_names", &Dataset::class_names, "Class names (index = label).")
      .def("label", &Dataset::label, py::arg("i"), "The label of sample i.")
      .def(
          "read",
          [](const Dataset& d, int64_t i) {
            if (i < 0 || i >= d.size())
              throw py::index_error("sample " + std::to_string(i) + " out of range 0.." + std::to_string(d.size() - 1));
            const std::vector<int64_t> chw = d.sample_shape();
            py::array_t<float> out(std::vector<py::ssize_t>(chw.begin(), chw.end()));
            float* dst = out.mutable_data();
            {
              py::gil_scoped_release nogil;
              d.read(i, dst);
            }
            return out;
          },
          py::arg("i"), "Sample i as a float32 array [C, H, W] in [0, 1].")
      .def(
          "subset",
          [](const py::object& self, const std::vector<std::string>& classes, bool remap_labels) {
            py::object r = py::cast(self.cast<const Dataset&>().subset(classes, remap_labels));
            // A subset of a view shares its arrays: keep them alive with it.
            if (py::hasattr(self, "_arrays")) r.attr("_arrays") = self.attr("_arrays");
            return r;
          },
          py::arg("classes"), py::arg("remap_labels") = true,
          "The samples whose class is in classes (names or indices); remap: labels 0..k-1 in that order.")
      .def(
          "statistics",
          [](const Dataset& d, int64_t max_samples) {
            std::vector<float> mean, std;
            {
              py::gil_scoped_release nogil;
              d.statistics(mean, std, max_samples);
            }
            return py::make_tuple(mean, std);
          },
          py::arg("max_samples") = 2000, "(mean, std) per channel over up to max_samples evenly spaced samples.")
      .def("resident_bytes", &Dataset::resident_bytes, "Bytes the data set keeps resident.")
      .def(
          "__repr__",
          [](const Dataset& d) {
            return "Dataset(size=" + std::to_string(d.size()) + ", sample_shape=" + shape_str(d.sample_shape()) +
                   ", classes=" + std::to_string(d.class_names().size()) + ")";
          },
          "Size, sample shape and number of classes.");
}

void bind_model_structs(py::module_& m) {
  Struct<ModelOptions>(m, "ModelOptions", "How to build or import a model.")
      .field("num_classes", &ModelOptions::num_classes, "zoo: outputs (0: 10); ONNX/checkpoint: re-target (0: keep)")
      .field("input_chw", &ModelOptions::input_chw,
             "zoo: input [C, H, W] (empty: the architecture's); ONNX: fixes dynamic dims")
      .field("width_mult", &ModelOptions::width_mult, "zoo: width multiplier (mobilenet_v2)")
      .field("seed", &ModelOptions::seed, "initialisation of fresh parameters")
      .done();
  Struct<LayerInfo>(m, "LayerInfo", "One layer of a model, as describe() lists it.", false)
      .field("name", &LayerInfo::name, "node name")
      .field("op", &LayerInfo::op, "operator, e.g. \"Conv2d\"")
      .field("output", &LayerInfo::output, "output shape at batch 1")
      .field("params", &LayerInfo::params, "parameters of this layer")
      .field("macs", &LayerInfo::macs, "forward multiply-accumulates per image")
      .done();
  Struct<ModelDescription>(m, "ModelDescription", "A model's layers and totals.", false)
      .field("arch", &ModelDescription::arch, "architecture or source file")
      .field("input_chw", &ModelDescription::input_chw, "[C, H, W]")
      .field("num_classes", &ModelDescription::num_classes, "logits")
      .field("layers", &ModelDescription::layers, "list of LayerInfo in execution order", false)
      .field("params", &ModelDescription::params, "parameters in all")
      .field("macs", &ModelDescription::macs, "forward MACs per image")
      .done();
  Struct<ParameterInfo>(m, "ParameterInfo", "A parameter's name and shape.", false)
      .field("name", &ParameterInfo::name, "e.g. \"layer1.0.conv1.weight\"")
      .field("shape", &ParameterInfo::shape, "row-major shape")
      .field("is_state", &ParameterInfo::is_state, "a BatchNorm running statistic rather than a trained parameter")
      .done();
  Struct<ExportOptions>(m, "ExportOptions", "Options of ONNX export.")
      .field("fold_batch_norm", &ExportOptions::fold_batch_norm, "fold BatchNorm into the convolution before it")
      .field("opset", &ExportOptions::opset, "ONNX opset 10..17")
      .done();
  Struct<PruneOptions>(m, "PruneOptions", "How to prune.")
      .field("level", &PruneOptions::level, "fraction of the parameters to remove (0..1)")
      .field("criterion", &PruneOptions::criterion, "how channels are ranked (PruneCriterion)")
      .field("seed", &PruneOptions::seed, "random criterion")
      .field("rank_batches", &PruneOptions::rank_batches, "data criteria: batches of the data to observe")
      .field("rank_batch", &PruneOptions::rank_batch, "data criteria: their size")
      .field("backend", &PruneOptions::backend, "data criteria: kernels (Backend)")
      .done();
  Struct<Evaluation>(m, "Evaluation", "Result of an evaluation.", false)
      .field("loss", &Evaluation::loss, "mean cross-entropy")
      .field("accuracy", &Evaluation::accuracy, "share of correct top-1 predictions")
      .field("samples", &Evaluation::samples, "evaluated")
      .field("seconds", &Evaluation::seconds, "wall time")
      .done();
  Struct<EvalOptions>(m, "EvalOptions", "Options of evaluation.")
      .field("batch", &EvalOptions::batch, "batch size")
      .field("engine", &EvalOptions::engine, "kernels and layouts (EngineOptions)")
      .property("on_progress", callback_getter(&EvalOptions::on_progress),
                callback_setter(&EvalOptions::on_progress, "on_progress"),
                "None or a callable(done, total) called after each batch (with the GIL held)")
      .done();
}

void bind_model_weights(py::class_<Model>& model) {
  model.def("parameters", &Model::parameters, "Parameters, then BatchNorm statistics (list of ParameterInfo).")
      .def(
          "parameter",
          [](const Model& model, const std::string& name) {
            const std::vector<float> values = model.parameter(name);
            std::vector<int64_t> shape{static_cast<int64_t>(values.size())};
            for (const ParameterInfo& p : model.parameters())
              if (p.name == name) shape = p.shape;
            return to_numpy(values.data(), shape);
          },
          py::arg("name"),
          "A parameter or statistic by name as a new float32 array of its shape; raises Error if unknown.")
      .def(
          "set_parameter",
          [](Model& model, const std::string& name,
             const py::array_t<float, py::array::c_style | py::array::forcecast>& values) {
            model.set_parameter(name, std::vector<float>(values.data(), values.data() + values.size()));
          },
          py::arg("name"), py::arg("values"),
          "Overwrites a parameter or statistic from an array of its exact element count (converted to float32).")
      .def("with_num_classes", &Model::with_num_classes, py::arg("num_classes"), py::arg("seed") = 1, release(),
           "The same network with a fresh classifier of num_classes outputs.")
      .def("pruned", py::overload_cast<const PruneOptions&>(&Model::pruned, py::const_), py::arg("options"), release(),
           "A smaller model with the lowest-ranked channels removed (weight criteria: l1, random).")
      .def("pruned", py::overload_cast<const PruneOptions&, const Dataset&>(&Model::pruned, py::const_),
           py::arg("options"), py::arg("data"), release(),
           "The same with a data criterion (activation, apoz, taylor) measured on data.")
      .def("pruned", py::overload_cast<const ChannelRanking&, double>(&Model::pruned, py::const_), py::arg("ranking"),
           py::arg("level"), release(),
           "A smaller model without the channels the ranking ranks lowest, about level of the parameters removed.")
      .def("evaluate", &evaluate_model, py::arg("data"), py::arg("options") = EvalOptions{},
           "Loss and accuracy on a data set in inference mode (Evaluation); releases the GIL.")
      .def(
          "__repr__",
          [](const Model& model) {
            return "Model(arch='" + model.arch() + "', input_chw=" + shape_str(model.input_chw()) +
                   ", num_classes=" + std::to_string(model.num_classes()) +
                   ", parameters=" + std::to_string(model.parameter_count()) + ")";
          },
          "Architecture, input, classes and parameter count.");
}

void bind_ranking(py::module_& m, py::class_<ChannelRanking>& ranking) {
  m.def("needs_data", &needs_data, py::arg("criterion"), "Whether a PruneCriterion measures data.");
  ranking
      .def_static("rank", py::overload_cast<const Model&, const PruneOptions&>(&ChannelRanking::rank), py::arg("model"),
                  py::arg("options") = PruneOptions{}, release(), "Ranks by a weight criterion (l1, random).")
      .def_static("rank", py::overload_cast<const Model&, const PruneOptions&, const Dataset&>(&ChannelRanking::rank),
                  py::arg("model"), py::arg("options"), py::arg("data"), release(),
                  "Ranks by any criterion; the data criteria observe batches of data.")
      .def_property_readonly("criterion", &ChannelRanking::criterion, "How it ranked (PruneCriterion).")
      .def_property_readonly("channels", &ChannelRanking::channels, "Prunable channels ranked.");
}

void bind_dataset(py::module_& m) {
  Struct<DataOptions>(m, "DataOptions", "How to open a data set spec.")
      .field("input_chw", &DataOptions::input_chw, "image folders: decode to this [C, H, W] (required for folder:)")
      .field("classes", &DataOptions::classes, "keep only these classes (names or indices); empty: all")
      .field("remap_labels", &DataOptions::remap_labels, "with classes: labels become 0..k-1 in the given order")
      .done();

  py::class_<Dataset> dataset(m, "Dataset",
                              "A labelled set of float CHW images in [0, 1]; copies share the (read-only) samples.",
                              py::dynamic_attr());
  dataset
      .def_static("open", &Dataset::open, py::arg("spec"), py::arg("options") = DataOptions{}, py::arg("test") = false,
                  release(),
                  "Opens \"fashion-mnist[:DIR]\", \"idx:IMAGES,LABELS\", \"cifar10:DIR\", \"cifar100:DIR\" or "
                  "\"folder:DIR\"; test=True picks the test split. Raises Error on bad input.")
      .def_static("has_test_split", &Dataset::has_test_split, py::arg("spec"), "Whether spec has its own test split.")
      .def_static(
          "from_arrays",
          [](const py::array_t<float, py::array::c_style | py::array::forcecast>& images,
             const py::array_t<int32_t, py::array::c_style | py::array::forcecast>& labels,
             std::vector<std::string> class_names) {
            const int64_t n = check_arrays(images, labels);
            return Dataset::from_arrays(images.data(), labels.data(), n, chw_of(images), std::move(class_names));
          },
          py::arg("images"), py::arg("labels"), py::arg("class_names") = std::vector<std::string>{},
          "A data set copied from images [n, C, H, W] (float32, pixels in [0, 1]) and labels [n] (int32); other "
          "numeric dtypes are converted. class_names empty: \"0\"..\"K-1\".")
      .def_static(
          "view_arrays",
          [](const py::object& images_obj, const py::object& labels_obj, std::vector<std::string> class_names) {
            auto images = exact_array<float>(images_obj, "images", 4);
            auto labels = exact_array<int32_t>(labels_obj, "labels", 1);
            const int64_t n = check_arrays(images, labels);
            py::object ds =
                py::cast(Dataset::view_arrays(images.data(), labels.data(), n, chw_of(images), std::move(class_names)));
            // The data set refers to the arrays' memory: it keeps them alive (do not modify them).
            ds.attr("_arrays") = py::make_tuple(images, labels);
            return ds;
          },
          py::arg("images"), py::arg("labels"), py::arg("class_names") = std::vector<std::string>{},
          "A data set over images [n, C, H, W] float32 and labels [n] int32 (both C-contiguous) without a copy: "
          "the data set keeps the arrays alive; do not modify them while it is used.");
  bind_dataset_access(dataset);
}

void bind_model(py::module_& m, py::class_<ChannelRanking>& ranking) {
  py::class_<Model> model(m, "Model",
                          "A network with its parameters, class names and input normalisation. Move-only in C++: "
                          "use clone() for an independent copy.");
  model
      .def_static("zoo", &Model::zoo, py::arg("arch"), py::arg("options") = ModelOptions{}, release(),
                  "A zoo architecture (see zoo_names()) with fresh parameters.")
      .def_static("zoo_names", &Model::zoo_names, "The architectures zoo() knows.")
      .def_static("load", &Model::load, py::arg("path"), py::arg("options") = ModelOptions{}, release(),
                  "A checkpoint written by save() or a TrainingSession.")
      .def_static("import_onnx", &Model::import_onnx, py::arg("path"), py::arg("options") = ModelOptions{}, release(),
                  "An ONNX file, as a trainable model.")
      .def_static("open", &Model::open, py::arg("name_or_path"), py::arg("options") = ModelOptions{}, release(),
                  "A zoo name, an \".onnx\" file, or else a checkpoint file.")
      .def("clone", &Model::clone, release(), "An independent copy (its own weights).")
      .def("save", &Model::save, py::arg("path"), py::arg("metadata") = std::map<std::string, std::string>{}, release(),
           "Writes a checkpoint (with a str -> str metadata dict) atomically.")
      .def("export_onnx", &Model::export_onnx, py::arg("path"), py::arg("options") = ExportOptions{}, release(),
           "Writes an ONNX inference graph (checked by onnx::checker) atomically.")
      .def("describe", &Model::describe, "Layers, shapes, parameters and MACs (ModelDescription).")
      .def("channel_groups", &Model::channel_groups,
           "Pruning's channel-group analysis: one line per group of channels pruned together.")
      .def_property_readonly("arch", &Model::arch, "Architecture or source file name.")
      .def_property_readonly("input_chw", &Model::input_chw, "[C, H, W] of an input image.")
      .def_property_readonly("num_classes", &Model::num_classes, "Logits.")
      .def_property_readonly("parameter_count", &Model::parameter_count, "Trained parameters' elements.")
      .def_property("class_names", &Model::class_names, &Model::set_class_names,
                    "Class names (index = class; may be empty).")
      .def_property_readonly("mean", &Model::mean, "Per-channel input mean sessions subtract (empty: none).")
      .def_property_readonly("stddev", &Model::stddev, "Per-channel input std sessions divide by (empty: none).")
      .def("set_normalization", &Model::set_normalization, py::arg("mean"), py::arg("std"),
           "Sets the input normalisation x' = (x - mean) / std that sessions apply.")
      .def(
          "normalize",
          [](const Model& model, const py::object& images_obj) {
            auto images = exact_array<float>(images_obj, "images", 4);
            const int64_t n = check_images(images, model.input_chw(), "images");
            py::array_t<float> out(std::vector<py::ssize_t>(images.shape(), images.shape() + 4));
            const float* src = images.data();
            float* dst = out.mutable_data();
            {
              py::gil_scoped_release nogil;
              if (n > 0) model.normalize(src, n, dst);
            }
            return out;
          },
          py::arg("images"),
          "Images [n, C, H, W] float32 normalised as sessions feed them to the network (a new array).");
  bind_model_weights(model);
  bind_ranking(m, ranking);
}

}  // namespace

void init_model(py::module_& m) {
  bind_dataset(m);
  bind_model_structs(m);
  // Registered before Model (whose pruned() takes one), defined after it (rank() takes a Model).
  py::class_<ChannelRanking> ranking(m, "ChannelRanking",
                                     "Every prunable channel of a model scored by a criterion, made once to prune at "
                                     "several levels (Model.pruned(ranking, level), TrainingSession.prune).");
  bind_model(m, ranking);
}

}  // namespace etpy
