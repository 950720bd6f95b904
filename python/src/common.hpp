// Shared helpers of the bindings: option/result struct classes with keyword constructors and reprs,
// Python callables as C++ callbacks (GIL-safe), and numpy argument checks.
#pragma once
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "edgetrain/edgetrain.hpp"

namespace py = pybind11;

namespace etpy {

// A numpy argument of the wrong dtype, shape or memory layout: Python's edgetrain.ArrayError, a
// subclass of both edgetrain.Error and ValueError.
struct ArrayError : edgetrain::Error {
  using edgetrain::Error::Error;
};

// The module's parts (one file each).
void init_options(py::module_& m);
void init_model(py::module_& m);
void init_sessions(py::module_& m);
void init_predictor(py::module_& m);
void init_adapter(py::module_& m);

// ---- structs -------------------------------------------------------------------------------------

// A plain struct as a Python class: fields as properties, a keyword constructor T(**fields) and a
// repr listing the fields. Option structs are read/write, result structs read-only.
template <class T>
class Struct {
 public:
  Struct(py::handle scope, const char* name, const char* doc, bool writable = true)
      : cls_(scope, name, doc), fields_(std::make_shared<std::vector<std::pair<std::string, bool>>>()),
        writable_(writable) {}

  // A field; `in_repr` false leaves it out of the repr (long lists).
  template <class D>
  Struct& field(const char* name, D T::*member, const char* doc, bool in_repr = true) {
    if (writable_)
      cls_.def_readwrite(name, member, doc);
    else
      cls_.def_readonly(name, member, doc);
    fields_->emplace_back(name, in_repr);
    return *this;
  }
  // A field with custom accessors (setter may be nullptr for read-only).
  template <class Get, class Set>
  Struct& property(const char* name, Get&& get, Set&& set, const char* doc, bool in_repr = true) {
    cls_.def_property(name, std::forward<Get>(get), std::forward<Set>(set), doc);
    fields_->emplace_back(name, in_repr);
    return *this;
  }

  // The keyword constructor and __repr__ (call after the fields).
  py::class_<T>& done() {
    auto fields = fields_;
    std::string doc = std::string("Keyword arguments: any of the fields (") + field_list() + ").";
    cls_.def(py::init([fields](const py::kwargs& kw) {
               auto value = std::make_unique<T>();
               py::object self = py::cast(value.get(), py::return_value_policy::reference);
               for (auto item : kw) {
                 const std::string key = py::str(item.first);
                 bool known = false;
                 for (const auto& f : *fields) known = known || f.first == key;
                 if (!known)
                   throw py::type_error(std::string(py::str(py::type::of(self).attr("__name__"))) +
                                        "() got an unexpected keyword argument '" + key + "'");
                 self.attr(item.first) = item.second;
               }
               return value;
             }),
             doc.c_str());
    cls_.def("__repr__", [fields](py::object self) {
      std::string s = std::string(py::str(py::type::of(self).attr("__name__"))) + "(";
      bool first = true;
      for (const auto& [name, in_repr] : *fields) {
        if (!in_repr) continue;
        s += (first ? "" : ", ") + name + "=" + std::string(py::repr(self.attr(name.c_str())));
        first = false;
      }
      return s + ")";
    }, "The fields and their values.");
    return cls_;
  }
  py::class_<T>& cls() { return cls_; }

 private:
  std::string field_list() const {
    std::string s;
    for (const auto& f : *fields_) s += (s.empty() ? "" : ", ") + f.first;
    return s;
  }
  py::class_<T> cls_;
  std::shared_ptr<std::vector<std::pair<std::string, bool>>> fields_;
  bool writable_;
};

// ---- callbacks -----------------------------------------------------------------------------------

// A Python object that C++ may copy and destroy without holding the GIL.
class PyRef {
 public:
  explicit PyRef(py::object o) : obj_(std::move(o)) {}
  PyRef(const PyRef& other) {
    py::gil_scoped_acquire gil;
    obj_ = other.obj_;
  }
  PyRef& operator=(const PyRef& other) {
    py::gil_scoped_acquire gil;
    obj_ = other.obj_;
    return *this;
  }
  ~PyRef() {
    if (!obj_) return;
    py::gil_scoped_acquire gil;
    obj_ = py::object();
  }
  const py::object& get() const { return obj_; }

 private:
  py::object obj_;
};

// The first exception a Python callback raised during one library call: the call is told to stop
// (bool callbacks return false, later calls are skipped) and the exception is re-raised after it.
struct CallbackErrors {
  std::mutex mutex;
  std::exception_ptr first;
  bool failed() {
    std::lock_guard<std::mutex> lock(mutex);
    return first != nullptr;
  }
  void record(std::exception_ptr e) {
    std::lock_guard<std::mutex> lock(mutex);
    if (!first) first = std::move(e);
  }
  void rethrow() {
    if (first) std::rethrow_exception(first);
  }
};

// A Python callable as a C++ callback: acquires the GIL to call it. A bool callback's None counts as
// true (continue). With `errors` set, an exception is recorded there instead of crossing the library.
template <class R, class... A>
struct PyCallback {
  PyRef fn;
  std::shared_ptr<CallbackErrors> errors;

  R operator()(A... args) const {
    if (errors && errors->failed()) return stop_value();
    py::gil_scoped_acquire gil;
    try {
      py::object r = fn.get()(args...);
      if constexpr (std::is_same_v<R, bool>) return r.is_none() || py::cast<bool>(r);
    } catch (...) {
      if (!errors) throw;
      errors->record(std::current_exception());
      return stop_value();
    }
    if constexpr (!std::is_void_v<R>) return R{};
  }
  static R stop_value() {
    if constexpr (std::is_same_v<R, bool>) return false;
    else if constexpr (!std::is_void_v<R>) return R{};
  }
};

// Python value (callable or None) -> std::function.
template <class R, class... A>
std::function<R(A...)> to_callback(const py::object& fn, const char* what) {
  if (fn.is_none()) return {};
  if (!PyCallable_Check(fn.ptr())) throw py::type_error(std::string(what) + " must be callable or None");
  return PyCallback<R, A...>{PyRef(fn), nullptr};
}

// std::function -> Python value (the original callable, a wrapper, or None).
template <class R, class... A>
py::object from_callback(const std::function<R(A...)>& f) {
  if (!f) return py::none();
  if (const auto* c = f.template target<PyCallback<R, A...>>()) return c->fn.get();
  return py::cpp_function(f);
}

// The same callback reporting its exceptions to `errors` (for one library call).
template <class R, class... A>
std::function<R(A...)> for_call(const std::function<R(A...)>& f, const std::shared_ptr<CallbackErrors>& errors) {
  if (const auto* c = f.template target<PyCallback<R, A...>>()) return PyCallback<R, A...>{c->fn, errors};
  return f;
}

// A read/write callback property of struct T (member M of type std::function<R(A...)>).
template <class T, class R, class... A>
auto callback_getter(std::function<R(A...)> T::*member) {
  return [member](const T& t) { return from_callback(t.*member); };
}
template <class T, class R, class... A>
auto callback_setter(std::function<R(A...)> T::*member, const char* what) {
  return [member, what](T& t, const py::object& fn) { t.*member = to_callback<R, A...>(fn, what); };
}

// ---- numpy ---------------------------------------------------------------------------------------

std::string shape_str(const std::vector<int64_t>& shape);
std::vector<int64_t> array_shape(const py::array& a);

// `obj` as a C-contiguous array of T (float32 or int32) of `ndim` dimensions, without copying it:
// throws ArrayError naming `what` for anything else.
template <class T>
py::array_t<T> exact_array(const py::handle& obj, const char* what, std::size_t ndim);

// Images [n, C, H, W] float32 C-contiguous whose C, H, W equal `chw`; returns n.
int64_t check_images(const py::array_t<float>& images, const std::vector<int64_t>& chw, const char* what);

// A float32 array of `shape` filled from `data`.
py::array_t<float> to_numpy(const float* data, const std::vector<int64_t>& shape);

}  // namespace etpy
