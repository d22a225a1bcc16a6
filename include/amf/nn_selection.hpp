#pragma once
// AMF-NN selection for the project's MLP policy (libamf_torch): from a policy, the pool of
// demonstrations and the candidate and target tasks, build the feature criterion's inputs —
// log-probabilities N(a; f(s, c), sigma_pi^2 I) of every logged action with its state relabelled
// by every task, and the loss-gradient features of those points — and own them.
#include <memory>
#include <string>

#include "amf/dataset.hpp"
#include "amf/feature_problem.hpp"
#include "amf/torch_policy.hpp"

namespace amf {

enum class GradientEmbedding { Full, LastLayer };

// "full" | "last-layer"; amf::InvalidArgument otherwise.
GradientEmbedding parse_gradient_embedding(const std::string& name);

class NnSelectionInputs {
 public:
  NnSelectionInputs(MlpPolicy& policy, const Dataset& pool, const MatrixView<double>& candidates,
                    const MatrixView<double>& targets, const VectorView<double>& target_probs, double sigma_pi,
                    GradientEmbedding embedding);
  ~NnSelectionInputs();
  // noise_variance, clip, batch_size and min_weight are the caller's to set.
  FeatureCriterionProblem& problem();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The project's MLP checkpoints: parameters and the architecture in one file (torch::save
// archive). load_mlp_policy names the file on any failure.
void save_mlp_policy(MlpPolicy& policy, const std::string& path);
MlpPolicy load_mlp_policy(const std::string& path);

}  // namespace amf
