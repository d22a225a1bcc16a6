#pragma once
// A TorchScript policy saved by the tests themselves, following the documented interface of
// amf/torch/nn_selection.hpp: forward(x), trunk(x) (tanh of one linear layer) and a linear `head`.
#include <torch/script.h>
#include <torch/torch.h>

#include <string>

namespace amf_test {

inline std::string save_scripted_policy(const std::string& path, int din, int hidden, int da) {
  torch::manual_seed(4);
  torch::jit::Module head("Head");
  head.register_parameter("weight", torch::randn({da, hidden}, torch::kFloat64), false);
  head.register_parameter("bias", torch::randn({da}, torch::kFloat64), false);
  head.define("def forward(self, h):\n    return h.matmul(self.weight.t()) + self.bias\n");
  torch::jit::Module m("Policy");
  m.register_parameter("w1", 0.5 * torch::randn({hidden, din}, torch::kFloat64), false);
  m.register_parameter("b1", torch::randn({hidden}, torch::kFloat64), false);
  m.register_module("head", head);
  m.define(R"(
def trunk(self, x):
    return torch.tanh(x.matmul(self.w1.t()) + self.b1)

def forward(self, x):
    return self.head.forward(self.trunk(x))
)");
  m.save(path);
  return path;
}

}  // namespace amf_test
