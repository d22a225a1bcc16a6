#include "amf/torch/nn_selection.hpp"

#include <cmath>
#include <filesystem>

#include "amf/error.hpp"
#include "amf/torch/fine_tuner.hpp"
#include "amf/harness/io.hpp"
#include "torch/tensors.hpp"
#include <torch/script.h>

namespace amf {

GradientEmbedding parse_gradient_embedding(const std::string& name) {
  if (name == "full") return GradientEmbedding::Full;
  if (name == "last-layer") return GradientEmbedding::LastLayer;
  throw InvalidArgument("gradient embedding '" + name + "' is unknown (choose full or last-layer)");
}

struct NnSelectionInputs::Impl {
  std::vector<std::int64_t> offsets;
  torch::Tensor cand_logp, targ_logp, own_logp;
  std::vector<double> probs;
  FactorisedFeatures cand_features, targ_features;
  FeatureCriterionProblem problem;
};

namespace {

// The label-free last-layer embedding (Holzmueller et al. 2023; the paper's Fig. 6): the head's
// input activations h with a constant 1 for its bias, k = h . h' + 1, whatever the actions. Kept
// in the factorised Linear form with a signal of 1, so parameter isolation's block layout (the
// signal of copy p in column p) still zeroes the kernel between partitions.
void keep_last_layer(FactorisedFeatures& f) {
  f.kinds = {FactorisedLayer::Kind::Linear};
  f.inputs = {f.inputs.back()};
  f.signals = {torch::ones({f.inputs.back().size(0), 1}, torch::kFloat64)};
}

}  // namespace

NnSelectionInputs::NnSelectionInputs(MlpPolicy& policy, const Dataset& pool, const MatrixView<double>& candidates,
                                     const MatrixView<double>& targets, const VectorView<double>& target_probs,
                                     double sigma_pi, GradientEmbedding embedding)
    : impl_(std::make_unique<Impl>()) {
  const int ds = pool.state_dim(), da = pool.action_dim(), dc = pool.task_dim();
  if (policy->config().input_dim != ds + dc || policy->config().action_dim != da)
    throw InvalidArgument("NN selection: the policy maps " + std::to_string(policy->config().input_dim) + " inputs to " +
                          std::to_string(policy->config().action_dim) + " actions, the demonstrations have states of " +
                          std::to_string(ds) + ", tasks of " + std::to_string(dc) + " and actions of " + std::to_string(da));
  policy->to(torch::kFloat64);
  build([&](const torch::Tensor& x) { return policy->forward(x); },
        [&](const torch::Tensor& x, const torch::Tensor& a) {
          FactorisedFeatures f = loss_gradient_features(policy, x, a);
          if (embedding == GradientEmbedding::LastLayer) keep_last_layer(f);
          return f;
        },
        pool, candidates, targets, target_probs, sigma_pi);
}

NnSelectionInputs::NnSelectionInputs(FineTuner& tuner, const Dataset& pool, const MatrixView<double>& candidates,
                                     const MatrixView<double>& targets, const VectorView<double>& target_probs,
                                     double sigma_pi, GradientEmbedding embedding)
    : impl_(std::make_unique<Impl>()) {
  const auto& pc = tuner.policy_config();
  const int ds = pool.state_dim(), da = pool.action_dim(), dc = pool.task_dim();
  if (pc.input_dim != ds + dc || pc.action_dim != da)
    throw InvalidArgument("NN selection: the policy maps " + std::to_string(pc.input_dim) + " inputs to " +
                          std::to_string(pc.action_dim) + " actions, the demonstrations have states of " +
                          std::to_string(ds) + ", tasks of " + std::to_string(dc) + " and actions of " + std::to_string(da));
  // float64 CPU copies of every partition's parameters, made once.
  std::vector<MlpPolicy> copies;
  for (int p = 0; p < tuner.partitions(); ++p) {
    copies.push_back(tuner.policy(p));
    copies.back()->to(torch::kCPU, torch::kFloat64);
    copies.back()->eval();  // no dropout in the features
  }
  auto partition_rows = [&](const torch::Tensor& x) {
    const auto part = tuner.partition_of(x.narrow(1, ds, dc));
    std::vector<torch::Tensor> rows;
    for (int p = 0; p < tuner.partitions(); ++p) rows.push_back((part == p).nonzero().squeeze(1));
    return rows;
  };
  build(
      [&](const torch::Tensor& x) {
        auto out = torch::empty({x.size(0), da}, torch::kFloat64);
        const auto rows = partition_rows(x);
        for (int p = 0; p < tuner.partitions(); ++p)
          if (rows[p].numel() > 0) out.index_copy_(0, rows[p], copies[p]->forward(x.index_select(0, rows[p])));
        return out;
      },
      [&](const torch::Tensor& x, const torch::Tensor& a) {
        // Copy p's features sit in block p of every layer's signal (and, for a LayerNorm, its
        // normalised input is repeated in every block): the factorised inner product of points
        // of different partitions is then exactly zero, since their copies share no parameter.
        const auto rows = partition_rows(x);
        const std::int64_t P = tuner.partitions();
        FactorisedFeatures out;
        for (int p = 0; p < P; ++p) {
          if (rows[p].numel() == 0) continue;
          FactorisedFeatures f = loss_gradient_features(copies[p], x.index_select(0, rows[p]), a.index_select(0, rows[p]));
          if (embedding == GradientEmbedding::LastLayer) keep_last_layer(f);
          if (out.kinds.empty()) {
            out.kinds = f.kinds;
            for (std::size_t l = 0; l < f.inputs.size(); ++l) {
              const bool norm = f.kinds[l] == FactorisedLayer::Kind::LayerNorm;
              out.inputs.push_back(torch::zeros({x.size(0), f.inputs[l].size(1) * (norm ? P : 1)}, torch::kFloat64));
              out.signals.push_back(torch::zeros({x.size(0), f.signals[l].size(1) * P}, torch::kFloat64));
            }
          }
          for (std::size_t l = 0; l < f.inputs.size(); ++l) {
            const bool norm = f.kinds[l] == FactorisedLayer::Kind::LayerNorm;
            const std::int64_t d = f.signals[l].size(1);
            out.inputs[l].index_copy_(0, rows[p], norm ? f.inputs[l].repeat({1, P}) : f.inputs[l]);
            out.signals[l].narrow(1, p * d, d).index_copy_(0, rows[p], f.signals[l]);
          }
        }
        return out;
      },
      pool, candidates, targets, target_probs, sigma_pi);
}

NnSelectionInputs::NnSelectionInputs(TorchScriptPolicy& policy, const Dataset& pool,
                                     const MatrixView<double>& candidates, const MatrixView<double>& targets,
                                     const VectorView<double>& target_probs, double sigma_pi)
    : impl_(std::make_unique<Impl>()) {
  build([&](const torch::Tensor& x) { return policy.forward(x); },
        [&](const torch::Tensor& x, const torch::Tensor& a) {
          // The head's gradient: weight gradient delta (x) h, bias gradient delta.
          torch::NoGradGuard no_grad;
          FactorisedFeatures f;
          const auto h = policy.trunk(x);
          const auto delta = policy.forward(x) - a;
          f.kinds = {FactorisedLayer::Kind::Linear};
          f.inputs = {h.to(torch::kFloat64).contiguous()};
          f.signals = {delta.to(torch::kFloat64).contiguous()};
          return f;
        },
        pool, candidates, targets, target_probs, sigma_pi);
}

void NnSelectionInputs::build(const Forward& forward, const Features& features, const Dataset& pool,
                              const MatrixView<double>& candidates, const MatrixView<double>& targets,
                              const VectorView<double>& target_probs, double sigma_pi) {
  if (!(std::isfinite(sigma_pi) && sigma_pi > 0)) throw InvalidArgument("sigma_pi must be a finite number > 0");
  if (pool.size() == 0) throw InvalidArgument("NN selection: the pool of demonstrations is empty");
  const int ds = pool.state_dim(), da = pool.action_dim(), dc = pool.task_dim();
  if (candidates.cols != dc || targets.cols != dc)
    throw InvalidArgument("NN selection: candidate and target tasks must have " + std::to_string(dc) + " columns");
  auto& d = *impl_;
  const std::int64_t n = pool.total_steps();
  auto S = torch::empty({n, ds}, torch::kFloat64), A = torch::empty({n, da}, torch::kFloat64);
  auto own_tasks = torch::empty({n, dc}, torch::kFloat64);
  d.offsets.push_back(0);
  for (const auto& t : pool.trajectories()) {
    const std::int64_t steps = static_cast<std::int64_t>(t.states.size()) / ds, r0 = d.offsets.back();
    for (std::int64_t s = 0; s < steps; ++s) {
      for (int k = 0; k < ds; ++k) S[r0 + s][k] = t.states[s * ds + k];
      for (int k = 0; k < da; ++k) A[r0 + s][k] = t.actions[s * da + k];
      for (int k = 0; k < dc; ++k) own_tasks[r0 + s][k] = t.task[k];
    }
    d.offsets.push_back(r0 + steps);
  }
  const double log_norm = 0.5 * da * std::log(2 * M_PI * sigma_pi * sigma_pi);
  // Every pool step relabelled with every task: rows task * n + t.
  auto relabel = [&](const torch::Tensor& tasks) {
    return torch::cat({S.repeat({tasks.size(0), 1}), tasks.repeat_interleave(n, 0)}, 1);
  };
  auto logp = [&](const torch::Tensor& x, const torch::Tensor& a) {
    torch::NoGradGuard no_grad;
    const auto f = forward(x).to(torch::kFloat64);
    if (f.dim() != 2 || f.size(0) != x.size(0) || f.size(1) != da)
      throw InvalidArgument("NN selection: the policy returned actions of shape " + std::to_string(f.dim() == 2 ? f.size(1) : -1) +
                            " per row, the demonstrations have " + std::to_string(da));
    return (-0.5 * (f - a).pow(2).sum(1) / (sigma_pi * sigma_pi) - log_norm).contiguous();
  };
  const auto C = detail::to_tensor(candidates), Tt = detail::to_tensor(targets);
  const auto xc = relabel(C), xt = relabel(Tt);
  const auto ac = A.repeat({C.size(0), 1}), at = A.repeat({Tt.size(0), 1});
  d.cand_logp = logp(xc, ac);
  d.targ_logp = logp(xt, at);
  d.own_logp = logp(torch::cat({S, own_tasks}, 1), A);
  d.cand_features = features(xc, ac);
  d.targ_features = features(xt, at);
  d.probs.assign(target_probs.data, target_probs.data + target_probs.size);
  auto& p = d.problem;
  p.traj_offsets = VectorView<std::int64_t>(d.offsets);
  p.candidate_logp = MatrixView<double>(d.cand_logp.data_ptr<double>(), C.size(0), n);
  p.target_logp = MatrixView<double>(d.targ_logp.data_ptr<double>(), Tt.size(0), n);
  p.own_logp = VectorView<double>(d.own_logp.data_ptr<double>(), n);
  p.target_probs = VectorView<double>(d.probs);
  p.candidate_features = d.cand_features.view();
  p.target_features = d.targ_features.view();
}

NnSelectionInputs::~NnSelectionInputs() = default;

FeatureCriterionProblem& NnSelectionInputs::problem() { return impl_->problem; }

void save_mlp_policy(MlpPolicy& policy, const std::string& path) {
  torch::serialize::OutputArchive archive;
  policy->save(archive);
  const auto& c = policy->config();
  archive.write("amf_mlp_config", torch::tensor({static_cast<std::int64_t>(c.input_dim), static_cast<std::int64_t>(c.action_dim),
                                                 static_cast<std::int64_t>(c.depth), static_cast<std::int64_t>(c.width),
                                                 static_cast<std::int64_t>(c.layer_norm)}));
  archive.write("amf_mlp_dropout", torch::tensor({c.dropout}, torch::kFloat64));
  const std::string tmp = path + ".tmp";
  archive.save_to(tmp);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw Error("cannot move " + tmp + " to " + path + ": " + ec.message());
}

MlpPolicy load_mlp_policy(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) throw InvalidArgument(path + ": no such policy checkpoint");
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    torch::Tensor cfg;
    if (!archive.try_read("amf_mlp_config", cfg) || cfg.numel() != 5)
      throw InvalidArgument(path + ": not an amf MLP checkpoint (no amf_mlp_config)");
    const auto c = cfg.to(torch::kLong);
    MlpPolicy policy(MlpPolicyConfig{static_cast<int>(c[0].item<std::int64_t>()), static_cast<int>(c[1].item<std::int64_t>()),
                                     static_cast<int>(c[2].item<std::int64_t>()), static_cast<int>(c[3].item<std::int64_t>()),
                                     c[4].item<std::int64_t>() != 0});
    torch::Tensor dropout;  // absent from checkpoints written before the dropout variant
    if (archive.try_read("amf_mlp_dropout", dropout) && dropout.numel() == 1) {
      MlpPolicyConfig with = policy->config();
      with.dropout = dropout.item<double>();
      policy = MlpPolicy(with);
    }
    policy->to(torch::kFloat64);  // load float64 parameters without a round trip through float32
    policy->load(archive);
    return policy;
  } catch (const InvalidArgument&) {
    throw;
  } catch (const std::exception& e) {
    throw InvalidArgument(path + ": cannot load the policy checkpoint (" + std::string(e.what()).substr(0, 200) + ")");
  }
}

}  // namespace amf

namespace amf {

struct TorchScriptPolicy::Impl {
  std::string path;
  torch::jit::Module module;
  torch::ScalarType dtype = torch::kFloat64;
};

TorchScriptPolicy::TorchScriptPolicy(const std::string& path) : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  if (!std::filesystem::is_regular_file(path)) throw InvalidArgument(path + ": no such TorchScript file");
  try {
    impl_->module = torch::jit::load(path);
  } catch (const std::exception& e) {
    throw InvalidArgument(path + ": not a TorchScript module (" + std::string(e.what()).substr(0, 200) + ")");
  }
  if (!impl_->module.find_method("trunk"))
    throw InvalidArgument(path + ": the TorchScript policy has no trunk(x) method (see amf/torch/nn_selection.hpp)");
  if (!impl_->module.hasattr("head"))
    throw InvalidArgument(path + ": the TorchScript policy has no `head` submodule (see amf/torch/nn_selection.hpp)");
  const auto head = impl_->module.attr("head").toModule();
  if (!head.hasattr("weight") || !head.hasattr("bias"))
    throw InvalidArgument(path + ": the TorchScript policy's head has no weight and bias");
  impl_->dtype = head.attr("weight").toTensor().scalar_type();
  impl_->module.eval();
}

TorchScriptPolicy::~TorchScriptPolicy() = default;

torch::Tensor TorchScriptPolicy::forward(const torch::Tensor& x) {
  try {
    return impl_->module.forward({x.to(impl_->dtype)}).toTensor().to(torch::kFloat64);
  } catch (const c10::Error& e) {
    throw InvalidArgument(impl_->path + ": forward(x) failed on inputs of shape (" + std::to_string(x.size(0)) + ", " +
                          std::to_string(x.size(1)) + "): " + std::string(e.what()).substr(0, 200));
  }
}

torch::Tensor TorchScriptPolicy::trunk(const torch::Tensor& x) {
  try {
    return impl_->module.get_method("trunk")({x.to(impl_->dtype)}).toTensor().to(torch::kFloat64);
  } catch (const c10::Error& e) {
    throw InvalidArgument(impl_->path + ": trunk(x) failed: " + std::string(e.what()).substr(0, 200));
  }
}

const std::string& TorchScriptPolicy::path() const { return impl_->path; }

std::vector<torch::Tensor> TorchScriptPolicy::head_parameters() {
  const auto head = impl_->module.attr("head").toModule();
  return {head.attr("weight").toTensor(), head.attr("bias").toTensor()};
}

}  // namespace amf
