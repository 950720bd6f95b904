// The Adapter's inside (include/edgetrain/adapter.hpp): serving and deciding (adapter.cpp), the
// adaptation itself (adapter_job.cpp), and the state kept across restarts (adapter_state.cpp).
#pragma once
#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "adapt/label_prior.hpp"
#include "adapt/replay_buffer.hpp"
#include "edgetrain/adapter.hpp"
#include "edgetrain/inference_session.hpp"
#include "edgetrain/predictor.hpp"

namespace edgetrain::adapter_detail {

// A model restricted to some classes (their original ids, in the order of its outputs), with one
// more output for "none of them" where it was trained on frames of other classes.
struct Restricted {
  Model model;
  std::vector<int32_t> classes;
  bool other = false;
};

// How a frame is answered: the restricted model where there is one, it names one of its classes and
// is sure enough, else the original. `original_posterior` gets the original's posterior when it ran.
struct Answer {
  AdapterPrediction prediction;
  std::vector<float> original_posterior;
};
Answer answer(const float* frame, InferenceSession* restricted, const std::vector<int32_t>& classes,
              InferenceSession& original, double fallback_confidence);
// An inference session's options for one frame at a time.
InferenceOptions one_frame(const EngineOptions& engine);

// What an adaptation starts from: copies, so that serving goes on while it runs.
struct JobInput {
  int64_t frame = 0;
  std::vector<int32_t> subset;
  std::vector<float> train_images, held_images;    // [n, C, H, W], every buffered frame
  std::vector<int32_t> train_labels, held_labels;  // original class ids
  std::vector<bool> held_labelled;                 // the user's label (else a confident prediction)
  std::shared_ptr<const Restricted> serving;       // null: the original serves
};

struct JobResult {
  AdaptationReport report;
  std::shared_ptr<const Restricted> model;  // the adapted model when accepted
};

// Restricts, ranks, chooses a configuration within the budgets, retrains, validates. Stops early
// (result not accepted) when `stop` becomes true.
JobResult run_adaptation(const Model& original, const AdapterOptions& options, const Predictor* predictor,
                         const JobInput& in, const std::atomic<bool>& stop);

// The state directory: the adapted model and its classes (and the replay buffer) written atomically,
// read back at start. read_state returns the adapted model, or null with `problem` set when the
// directory holds a damaged state (empty `problem`: no state at all).
void write_state(const std::string& dir, const Restricted* adapted, int64_t generation);
std::shared_ptr<const Restricted> read_state(const std::string& dir, int64_t classes, std::string& problem,
                                             int64_t& generation);
void write_buffer(const std::string& dir, const adapt::ReplayBuffer& buffer, const std::vector<int64_t>& chw);
void read_buffer(const std::string& dir, adapt::ReplayBuffer& buffer, std::string& problem);

}  // namespace edgetrain::adapter_detail

namespace edgetrain {

struct Adapter::Impl {
  AdapterOptions options;
  Model original;
  std::vector<int64_t> chw;
  int64_t frame_size = 0, classes = 0;
  InferenceSession original_session;
  std::shared_ptr<const adapter_detail::Restricted> serving;  // null: the original serves
  std::optional<InferenceSession> serving_session;
  std::optional<Predictor> predictor;
  adapt::PosteriorWindow window;
  adapt::ReplayBuffer buffer;
  int64_t frames = 0, subset_since = 0, generation = 0;
  std::vector<int32_t> last_subset, rejected_subset;
  std::vector<double> source_prior;
  std::deque<bool> checks;  // adapted model serving: whether each checked frame lay outside its classes
  std::vector<AdaptationReport> reports;
  std::string status;

  std::thread worker;
  std::atomic<bool> busy{false}, stop{false};
  std::mutex done_mutex;
  std::optional<adapter_detail::JobResult> done;  // a finished job's result, for the serving thread

  Impl(Model deployed, const AdapterOptions& o);
  ~Impl();
  AdapterPrediction observe(const float* frame, std::optional<int32_t> label);
  void decide();
  void check_drift(int32_t truth);
  void start(adapter_detail::JobInput in);
  void collect();  // takes a finished job's result on the serving thread
  // Writes the serving model (and the buffer) to the state directory; a failure is reported in the
  // status, never thrown: serving goes on.
  void persist(bool with_buffer);
  void serve(std::shared_ptr<const adapter_detail::Restricted> model);
  std::vector<int32_t> current_subset() const;
  adapter_detail::JobInput job_input() const;
};

}  // namespace edgetrain
