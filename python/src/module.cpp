// The module edgetrain._edgetrain: version, logging, exceptions, byte-size helpers, and the parts.
#include <cstring>

#include "common.hpp"

namespace etpy {

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s.append(", ");
    s.append(std::to_string(shape[i]));
  }
  return s.append("]");
}

std::vector<int64_t> array_shape(const py::array& a) {
  return std::vector<int64_t>(a.shape(), a.shape() + a.ndim());
}

template <class T>
py::array_t<T> exact_array(const py::handle& obj, const char* what, std::size_t ndim) {
  const char* dtype = std::is_same_v<T, float> ? "float32" : "int32";
  if (!py::isinstance<py::array>(obj))
    throw ArrayError(std::string(what) + " must be a numpy " + dtype + " array, got " +
                     std::string(py::str(py::type::of(obj).attr("__name__"))) + ": pass numpy.asarray(x, numpy." +
                     dtype + ")");
  auto a = py::reinterpret_borrow<py::array>(obj);
  if (!a.dtype().is(py::dtype::of<T>()))
    throw ArrayError(std::string(what) + " must be " + dtype + ", got " + std::string(py::str(a.dtype())) +
                     ": convert with .astype(numpy." + dtype + ")");
  if (static_cast<std::size_t>(a.ndim()) != ndim)
    throw ArrayError(std::string(what) + " must have " + std::to_string(ndim) + " dimensions, got shape " +
                     shape_str(array_shape(a)));
  if (!(a.flags() & py::array::c_style))
    throw ArrayError(std::string(what) + " must be C-contiguous (it is used in place, not copied): pass "
                     "numpy.ascontiguousarray(x)");
  return py::reinterpret_borrow<py::array_t<T>>(obj);
}
template py::array_t<float> exact_array<float>(const py::handle&, const char*, std::size_t);
template py::array_t<int32_t> exact_array<int32_t>(const py::handle&, const char*, std::size_t);

int64_t check_images(const py::array_t<float>& images, const std::vector<int64_t>& chw, const char* what) {
  const std::vector<int64_t> shape = array_shape(images);
  if (shape.size() != 4 || std::vector<int64_t>(shape.begin() + 1, shape.end()) != chw)
    throw ArrayError(std::string(what) + " must be [n, " + std::to_string(chw.at(0)) + ", " + std::to_string(chw.at(1)) +
                     ", " + std::to_string(chw.at(2)) + "] (the model's input), got " + shape_str(shape));
  return shape[0];
}

py::array_t<float> to_numpy(const float* data, const std::vector<int64_t>& shape) {
  py::array_t<float> out(std::vector<py::ssize_t>(shape.begin(), shape.end()));
  if (out.size() > 0) std::memcpy(out.mutable_data(), data, static_cast<std::size_t>(out.size()) * sizeof(float));
  return out;
}

}  // namespace etpy

PYBIND11_MODULE(_edgetrain, m) {
  using namespace etpy;
  m.doc() = "edgetrain's C++ API (import the package edgetrain, which re-exports these names)";

  m.def("version", [] { return std::string(edgetrain::version()); }, "The linked library's version, \"MAJOR.MINOR.PATCH\".");
  m.def("set_log_level", &edgetrain::set_log_level, py::arg("level"),
        "Diagnostics to stderr: 0 silent (default), 1 one CSV line per executed step, 2 also kernel choices.");
  m.def("log_level", &edgetrain::log_level, "The current diagnostics level.");
  m.def("parse_bytes", &edgetrain::parse_bytes, py::arg("text"),
        "Bytes of \"512M\", \"2G\", \"1.5GiB\" or \"65536\"; raises Error otherwise.");
  m.def("format_bytes", &edgetrain::format_bytes, py::arg("bytes"), "\"1.5 MiB\"-style text of a byte count.");

  // edgetrain.Error(RuntimeError): every bad input the library reports. edgetrain.ArrayError(Error,
  // ValueError): a numpy argument of the wrong dtype, shape or layout.
  auto& error = py::register_exception<edgetrain::Error>(m, "Error", PyExc_RuntimeError);
  error.doc() = "Raised by edgetrain on bad input: missing or corrupt files, wrong shapes, invalid options.";
  // Registered after Error, so tried first for the subclass.
  auto& array_error =
      py::register_exception<ArrayError>(m, "ArrayError", py::make_tuple(error, py::handle(PyExc_ValueError)));
  array_error.doc() = "A numpy argument of the wrong dtype, shape or memory layout (an Error and a ValueError).";

  init_options(m);
  init_model(m);
  init_sessions(m);
  init_predictor(m);
  init_adapter(m);
}
