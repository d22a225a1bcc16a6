#pragma once
// AMF-NN selection for the project's MLP policy (libamf_torch): from a policy, the pool of
// demonstrations and the candidate and target tasks, build the feature criterion's inputs —
// log-probabilities N(a; f(s, c), sigma_pi^2 I) of every logged action with its state relabelled
// by every task, and the loss-gradient features of those points — and own them.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "amf/dataset.hpp"
#include "amf/feature_problem.hpp"
#include "amf/torch/torch_policy.hpp"

namespace amf {

class FineTuner;  // amf/torch/fine_tuner.hpp

// Full: the loss gradient of every layer (factorised). LastLayer: the label-free last-layer
// embedding, the head's input activations (k = h . h' + 1; no action labels enter it).
enum class GradientEmbedding { Full, LastLayer };

// "full" | "last-layer"; amf::InvalidArgument otherwise.
GradientEmbedding parse_gradient_embedding(const std::string& name);

// An off-the-shelf policy as TorchScript (paper section 5.5), with this documented interface:
//   forward(x) -> actions          x = [state, task] rows, actions (P, da)
//   trunk(x)   -> features (P, H)  the feature trunk
//   head                           a submodule with parameters `weight` (da, H) and `bias` (da),
//                                  the linear head: forward(x) == trunk(x) @ weight^T + bias
// Selection uses the last-layer (head) loss-gradient embedding: inputs trunk(x), signals
// f(x) - a. The constructor names the file and the missing piece on any failure.
class TorchScriptPolicy {
 public:
  explicit TorchScriptPolicy(const std::string& path);
  ~TorchScriptPolicy();
  torch::Tensor forward(const torch::Tensor& x);  // float64 in and out
  torch::Tensor trunk(const torch::Tensor& x);
  const std::string& path() const;
  // The head's {weight (da, H), bias (da)}: the module's own tensors (writing into them changes
  // the policy; amf/torch/head_finetune.hpp does).
  std::vector<torch::Tensor> head_parameters();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class NnSelectionInputs {
 public:
  NnSelectionInputs(MlpPolicy& policy, const Dataset& pool, const MatrixView<double>& candidates,
                    const MatrixView<double>& targets, const VectorView<double>& target_probs, double sigma_pi,
                    GradientEmbedding embedding);
  // A fine-tuned policy (amf/torch/fine_tuner.hpp): every relabelled point goes through the copy of its
  // task's partition, for the log-probabilities and for the loss-gradient features, so under
  // parameter isolation each candidate is judged by the parameters its demonstration would
  // train. The copies share no parameter, so the kernel between points of different
  // partitions is zero: a demonstration informs only its own partition's targets.
  NnSelectionInputs(FineTuner& policy, const Dataset& pool, const MatrixView<double>& candidates,
                    const MatrixView<double>& targets, const VectorView<double>& target_probs, double sigma_pi,
                    GradientEmbedding embedding);
  // A TorchScript policy: always the last-layer embedding.
  NnSelectionInputs(TorchScriptPolicy& policy, const Dataset& pool, const MatrixView<double>& candidates,
                    const MatrixView<double>& targets, const VectorView<double>& target_probs, double sigma_pi);
  ~NnSelectionInputs();
  // noise_variance, clip, batch_size and min_weight are the caller's to set.
  FeatureCriterionProblem& problem();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  using Forward = std::function<torch::Tensor(const torch::Tensor&)>;
  using Features = std::function<FactorisedFeatures(const torch::Tensor&, const torch::Tensor&)>;
  void build(const Forward& forward, const Features& features, const Dataset& pool,
             const MatrixView<double>& candidates, const MatrixView<double>& targets,
             const VectorView<double>& target_probs, double sigma_pi);
};

// The project's MLP checkpoints: parameters and the architecture in one file (torch::save
// archive). load_mlp_policy names the file on any failure.
void save_mlp_policy(MlpPolicy& policy, const std::string& path);
MlpPolicy load_mlp_policy(const std::string& path);

}  // namespace amf

