#include "amf/torch/parameter_isolation.hpp"

#include "amf/error.hpp"
#include "torch/dropout_masks.hpp"

namespace amf {

TaskPartition::TaskPartition(const torch::Tensor& centres) {
  if (!centres.defined() || centres.dim() != 2 || centres.size(0) < 1 || centres.size(1) < 1)
    throw InvalidArgument("TaskPartition: centres must be a (P, task_dim) tensor with P >= 1");
  centres_ = centres.detach().to(torch::kCPU, torch::kFloat64).contiguous().clone();
  if (!torch::isfinite(centres_).all().item<bool>()) throw InvalidArgument("TaskPartition: the centres contain NaN or infinity");
}

torch::Tensor TaskPartition::assign(const torch::Tensor& tasks) const {
  if (!tasks.defined() || tasks.dim() != 2 || tasks.size(1) != centres_.size(1))
    throw InvalidArgument("TaskPartition::assign: tasks must be (N, " + std::to_string(centres_.size(1)) + "), got " +
                          (tasks.defined() && tasks.dim() == 2 ? "(" + std::to_string(tasks.size(0)) + ", " +
                                                                     std::to_string(tasks.size(1)) + ")"
                                                               : std::to_string(tasks.defined() ? tasks.dim() : 0) + "-D"));
  const auto t = tasks.detach().to(torch::kCPU, torch::kFloat64);
  if (!torch::isfinite(t).all().item<bool>()) throw InvalidArgument("TaskPartition::assign: the tasks contain NaN or infinity");
  // Exact differences rather than |t|^2 - 2 t.c + |c|^2: no cancellation near a boundary.
  return (t.unsqueeze(1) - centres_.unsqueeze(0)).pow(2).sum(2).argmin(1);
}

std::vector<torch::Tensor> stack_copies(MlpPolicy& policy, int copies) {
  if (copies < 1) throw InvalidArgument("stack_copies: copies must be >= 1");
  std::vector<torch::Tensor> out;
  for (const auto& p : policy->parameters()) {
    std::vector<std::int64_t> reps(p.dim() + 1, 1);
    reps[0] = copies;
    out.push_back(p.detach().unsqueeze(0).repeat(reps).contiguous());
  }
  return out;
}

torch::Tensor stacked_forward(const MlpPolicyConfig& c, const std::vector<torch::Tensor>& params, const torch::Tensor& x,
                              bool train, at::Generator* generator) {
  const std::size_t per_block = c.layer_norm ? 4 : 2;
  if (params.size() != per_block * c.depth + 2)
    throw InvalidArgument("stacked_forward: " + std::to_string(params.size()) + " parameter tensors for an MLP of depth " +
                          std::to_string(c.depth) + " (expected " + std::to_string(per_block * c.depth + 2) + ")");
  const std::int64_t copies = params.front().size(0);
  if (x.dim() != 3 || x.size(0) != copies || x.size(2) != c.input_dim)
    throw InvalidArgument("stacked_forward: inputs must be (" + std::to_string(copies) + ", B, " + std::to_string(c.input_dim) +
                          "), got " + std::to_string(x.dim()) + "-D");
  if (copies == 1) {
    // One copy: the 2-D kernels (addmm, fused affine LayerNorm) the MlpPolicy itself runs.
    torch::Tensor h = x[0];
    std::size_t i = 0;
    for (int l = 0; l < c.depth; ++l) {
      h = torch::addmm(params[i + 1][0], h, params[i][0].t());
      i += 2;
      if (c.layer_norm) {
        h = torch::layer_norm(h, {c.width}, params[i][0], params[i + 1][0], 1e-5);
        i += 2;
      }
      h = torch::relu(h);
      if (train && c.dropout > 0) h = detail::dropout(h, c.dropout, generator);
    }
    return torch::addmm(params[i + 1][0], h, params[i][0].t()).unsqueeze(0);
  }
  torch::Tensor h = x;
  std::size_t i = 0;
  for (int l = 0; l < c.depth; ++l) {
    // h W^T + b for every copy at once: (C, B, in) x (C, in, out).
    h = torch::baddbmm(params[i + 1].unsqueeze(1), h, params[i].transpose(1, 2));
    i += 2;
    if (c.layer_norm) {
      h = torch::layer_norm(h, {c.width}, {}, {}, 1e-5);  // LayerNormOptions' default eps
      h = torch::addcmul(params[i + 1].unsqueeze(1), h, params[i].unsqueeze(1));
      i += 2;
    }
    h = torch::relu(h);
    if (train && c.dropout > 0) h = detail::dropout(h, c.dropout, generator);
  }
  return torch::baddbmm(params[i + 1].unsqueeze(1), h, params[i].transpose(1, 2));
}

MlpPolicy unstack_copy(const MlpPolicyConfig& config, const std::vector<torch::Tensor>& params, int copy) {
  if (params.empty() || copy < 0 || copy >= params.front().size(0))
    throw InvalidArgument("unstack_copy: copy " + std::to_string(copy) + " out of range");
  MlpPolicy policy(config);
  policy->to(params.front().device(), params.front().scalar_type());
  torch::NoGradGuard no_grad;
  auto mine = policy->parameters();
  if (mine.size() != params.size()) throw InvalidArgument("unstack_copy: the parameters do not match the config");
  for (std::size_t i = 0; i < mine.size(); ++i) mine[i].copy_(params[i][copy]);
  return policy;
}

}  // namespace amf
