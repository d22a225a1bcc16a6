// Presets of the AMF-NN studies, one per figure, and the configuration's checks.
#include <algorithm>
#include <cmath>
#include <set>

#include "amf/backend.hpp"
#include "amf/harness/environments.hpp"
#include "amf/error.hpp"
#include "amf/torch/nn_study.hpp"
#include "study/number_format.hpp"

namespace amf {
namespace {

[[noreturn]] void fail(const std::string& msg) { throw InvalidArgument("nn study config: " + msg); }

std::string num(double v) { return detail::format_general(v); }

NnArm amf_arm(double s2, const std::string& label = "") {
  NnArm a;
  a.label = label.empty() ? "amf s2=" + num(s2) : label;
  a.noise_variance = s2;
  return a;
}

NnArm uniform_arm(bool isolation) {
  NnArm a;
  a.selector = "uniform";
  a.label = isolation ? "uniform" : "uniform, no isolation";
  a.forgetting = isolation ? Forgetting::ParameterIsolation : Forgetting::None;
  return a;
}

}  // namespace

// sigma^2 is on the scale of the loss-gradient kernel's prior variances: the mean diagonal of the
// target Gram of the skew-pre-trained default (2 x 128) policy in kitchen was 360 to 630 per task
// (measured once while choosing these values, 2026-11-30), so the three values span two orders
// of magnitude around it; with sigma^2 far below it every candidate's information gain saturates.
constexpr double kSigma2Low = 10.0, kSigma2Mid = 100.0, kSigma2High = 1000.0;

NnStudyConfig nn_study_preset(const std::string& figure, const std::string& env, const std::string& size) {
  NnStudyConfig c;
  c.env = env;
  c.figure = figure;
  if (size == "paper") {
    c.policy.depth = 4;
    c.policy.width = 256;
    c.seeds = 10;
    c.eval_episodes = 10;
    c.pretrain_demos = 20;
    c.budget = 20;
    c.finetune.epochs = 300;
    c.finetune.steps_per_round = 300;
  } else if (size == "default") {
    c.policy.depth = 2;
    c.policy.width = 128;
    c.seeds = 4;
    c.eval_episodes = 4;
    c.pretrain_demos = 10;
    c.budget = 12;
    c.finetune.epochs = 100;
    c.finetune.steps_per_round = 100;
  } else {
    fail("size '" + size + "' is unknown (choose default or paper)");
  }
  if (figure == "fig4") {
    c.arms = {amf_arm(kSigma2Low), amf_arm(kSigma2Mid), amf_arm(kSigma2High), uniform_arm(true), uniform_arm(false)};
  } else if (figure == "fig5") {
    c.budget = 20;
    for (int b = 1; b <= 4; ++b) {
      NnArm a = amf_arm(kSigma2Mid, "amf B=" + std::to_string(b));
      a.batch_size = b;
      c.arms.push_back(a);
    }
    c.arms.push_back(uniform_arm(true));
    c.arms.push_back(uniform_arm(false));
  } else if (figure == "fig6") {
    c.arms = {amf_arm(kSigma2Mid, "amf loss-gradient"), amf_arm(kSigma2Mid, "amf last-layer"), NnArm{}, uniform_arm(true)};
    c.arms[1].embedding = GradientEmbedding::LastLayer;
    c.arms[2].label = "dropout";
    c.arms[2].selector = "dropout";
  } else if (figure == "appg") {
    auto arm = [](const std::string& label, Forgetting f, double lambda) {
      NnArm a = amf_arm(kSigma2Mid, label);
      a.forgetting = f;
      a.forgetting_lambda = lambda;
      return a;
    };
    c.arms = {arm("isolation", Forgetting::ParameterIsolation, 0), arm("l2 lambda=0.01", Forgetting::L2, 0.01),
              arm("l2 lambda=1", Forgetting::L2, 1.0),           arm("ewc lambda=1", Forgetting::Ewc, 1.0),
              arm("ewc lambda=100", Forgetting::Ewc, 100.0),     arm("none", Forgetting::None, 0)};
  } else {
    fail("figure '" + figure + "' is unknown (choose fig4, fig5, fig6 or appg)");
  }
  validate(c);
  return c;
}

void validate(const NnStudyConfig& c) {
  const auto names = environment_names();
  if (c.env == "integrator2d" || std::find(names.begin(), names.end(), c.env) == names.end())
    fail("env '" + c.env + "' is not a MuJoCo scene of this build (choose cupfaucet or kitchen)");
  if (c.pretrain.empty()) fail("pretrain is empty");
  for (const auto& p : c.pretrain)
    if (p != "uniform" && p != "skewed") fail("pretrain '" + p + "' is unknown (choose uniform or skewed)");
  if (c.pretrain_demos < 1) fail("pretrain_demos = " + std::to_string(c.pretrain_demos) + " (must be >= 1)");
  if (c.warm_start_demos < -1) fail("warm_start_demos = " + std::to_string(c.warm_start_demos) + " (-1 or >= 0)");
  if (c.budget < 1) fail("budget = " + std::to_string(c.budget) + " (must be >= 1)");
  if (c.batch_size < 1) fail("batch_size = " + std::to_string(c.batch_size) + " (must be >= 1)");
  if (c.seeds < 1 || c.first_seed < 0) fail("seeds must be >= 1 and first_seed >= 0");
  if (c.eval_episodes < 1) fail("eval_episodes = " + std::to_string(c.eval_episodes) + " (must be >= 1)");
  if (c.policy.depth < 1 || c.policy.width < 1) fail("policy depth and width must be >= 1");
  if (!(c.sigma_pi > 0) || !std::isfinite(c.sigma_pi)) fail("sigma_pi = " + num(c.sigma_pi) + " (must be > 0)");
  if (!(c.clip.lo < c.clip.hi)) fail("clip needs lo < hi");
  if (c.selection_stride < 1) fail("selection_stride = " + std::to_string(c.selection_stride) + " (must be >= 1)");
  if (!(c.dropout > 0 && c.dropout < 1)) fail("dropout = " + num(c.dropout) + " (must be in (0, 1))");
  if (c.dropout_passes < 2) fail("dropout_passes = " + std::to_string(c.dropout_passes) + " (must be >= 2)");
  if (c.bootstrap_resamples < 1 || !(c.confidence > 0 && c.confidence < 1)) fail("bootstrap settings out of range");
  if (c.threads < 0) fail("threads must be >= 0");
  if (c.arms.empty()) fail("no arms");
  std::set<std::string> labels;
  for (const auto& a : c.arms) {
    if (a.label.empty() || !labels.insert(a.label).second) fail("arm labels must be non-empty and unique ('" + a.label + "')");
    if (a.selector != "amf" && a.selector != "uniform" && a.selector != "dropout")
      fail("arm '" + a.label + "': selector '" + a.selector + "' is unknown (choose amf, uniform or dropout)");
    if (!(a.noise_variance > 0) || !std::isfinite(a.noise_variance))
      fail("arm '" + a.label + "': noise_variance = " + num(a.noise_variance) + " (must be > 0)");
    if (!(a.forgetting_lambda >= 0)) fail("arm '" + a.label + "': forgetting_lambda must be >= 0");
    if (a.batch_size < 0) fail("arm '" + a.label + "': batch_size must be >= 0");
  }
  validate(c.finetune);
  parse_backend_kind(c.backend);
}

}  // namespace amf
