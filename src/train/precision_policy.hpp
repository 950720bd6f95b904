// MuPPET's precision-switching policy (docs/METHODS §4): training starts in 8-bit fixed point and
// moves up the ladder fx8 → fx12 → fx14 → fx16 → f32 when the gradients say the current precision
// has stopped informing the descent. At each epoch's end the last mini-batch's gradient g_l of every
// trained parameter l is pooled (sum_squares_l += ||g_l||^2, sum_l += g_l); every `resolution` epochs
// the gradient diversity Delta_l = sum_squares_l / ||sum_l||^2 is averaged over the parameters into S
// and the pool restarts. max S is tracked since the last switch; an estimate with
// max S / S > T(j) = 1 + 1.5 e^(-0.1 j) (j: the epoch) is a violation, and `violations_to_switch`
// violations move to the next precision (and restart max S and the count). At f32 the policy rests.
// MuPPET's f32 phase (15 epochs per learning rate, x0.1) is not imposed: the run's own schedule holds.
#pragma once
#include <cstddef>
#include <vector>

#include "core/dtype.hpp"

namespace edgetrain {

struct PrecisionPolicyOptions {
  int resolution = 3;            // r: epochs pooled into one diversity estimate (at least 2)
  int violations_to_switch = 2;  // violations of T(j) that move to the next precision
};

// The regimes in order.
const std::vector<DType>& muppet_ladder();

// What the policy decided at one epoch's end.
struct PolicyDecision {
  int epoch = 0;                  // the epoch that ended (1-based)
  DType trained_in = DType::fx8;  // its regime
  bool estimated = false;         // a diversity estimate was made at its end
  double diversity = 0;           // S (when estimated)
  double max_diversity = 0;       // max S since the last switch
  double threshold = 0;           // T(epoch)
  int violations = 0;             // since the last switch, after this epoch
  DType next = DType::fx8;        // the regime of the next epoch
};

// Everything the policy carries between epochs (a checkpoint stores it: a resumed run decides alike).
struct PrecisionPolicyState {
  int rung = 0;           // index into muppet_ladder()
  int epochs_pooled = 0;  // since the last estimate
  double max_diversity = 0;
  int violations = 0;
  std::vector<double> sum_squares;       // per parameter
  std::vector<std::vector<float>> sums;  // per parameter (empty: nothing pooled yet)
  std::vector<PolicyDecision> decisions;
};

class PrecisionPolicy {
 public:
  // For a network of `parameters` parameter tensors.
  explicit PrecisionPolicy(std::size_t parameters, PrecisionPolicyOptions options = {});
  // Continues from a saved state (throws Error when it does not fit).
  PrecisionPolicy(std::size_t parameters, PrecisionPolicyState state, PrecisionPolicyOptions options = {});

  DType regime() const { return muppet_ladder()[static_cast<std::size_t>(state_.rung)]; }
  // Epoch `epoch` (1-based) ended; `gradients[l]` is parameter l's gradient of its last step, row-major
  // (empty for a parameter that does not train).
  const PolicyDecision& end_epoch(int epoch, const std::vector<std::vector<float>>& gradients);
  // The parameters changed shape (pruning): the pool restarts; the regime and max S stay.
  void restart_pool();

  const PrecisionPolicyState& state() const { return state_; }
  static double threshold(int epoch);  // T(j)

 private:
  double diversity() const;  // S of the pool; 0 when no parameter has a nonzero pooled sum

  PrecisionPolicyOptions options_;
  PrecisionPolicyState state_;
};

}  // namespace edgetrain
