#include "step_config.hpp"

#include "api/convert.hpp"
#include "common.hpp"
#include "environment.hpp"
#include "graph/trainable.hpp"
#include "optim/optimizer_config.hpp"

namespace edgetrain::cli {

void add_step_options(CLI::App& app, StepConfig& c) {
  add_model_options(app, c.model);
  app.add_option("--batch", c.batch, "batch size")->capture_default_str();
  app.add_option("--trainable", c.trainable, "all | classifier | last:K | bias | names:GLOB[,GLOB]")
      ->capture_default_str();
  app.add_option("--optimizer", c.optimizer, "sgd | adam | adamw (decides optimizer state)")->capture_default_str();
  app.add_flag("--freeze-bn", c.freeze_bn, "BatchNorm uses running statistics");
  app.add_option("--backend", c.backend,
                 "kernels: auto (fastest available), onednn, native (edgetrain's own loops), ref (reference loops)")
      ->capture_default_str();
  add_precision_option(app, c.precision);
}

TrainingOptions training_options(const StepConfig& c, int64_t batch) {
  TrainingOptions t;
  t.batch = batch;
  t.trainable = Trainable::parse(c.trainable);
  t.freeze_bn = c.freeze_bn;
  t.optimizer.kind = parse_optimizer(c.optimizer);
  t.optimizer.momentum = 0.9;
  t.engine = engine_options(c.backend, c.precision);
  return t;
}

CompileOptions compile_options(const StepConfig& c, int64_t batch) {
  CompileOptions o;
  o.batch = batch;
  o.training = true;
  o.trainable = parse_trainable(c.trainable);
  o.freeze_bn_stats = c.freeze_bn;
  o.optimizer.kind = optim::parse_optimizer(c.optimizer);
  o.optimizer.momentum = 0.9;
  o.backend = parse_backend_choice(c.backend);
  o.activations = api::activation_type(parse_precision(c.precision));
  return with_environment(o);
}

}  // namespace edgetrain::cli
