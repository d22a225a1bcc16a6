#pragma once
// Dropout whose masks come from a generator of the caller's own. LibTorch's torch::dropout draws
// from the global generator of its device, which every thread of the process shares and any of
// them may reseed: a study runs several jobs at a time, each fine-tuning its own policy, so
// masks from the global generator would depend on thread timing.
#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace amf {
namespace detail {

// A generator for dropout masks on `device` (the CPU, or a CUDA device: a fresh CUDA generator,
// not the device's default one), seeded with `seed`.
at::Generator dropout_generator(const torch::Device& device, std::uint64_t seed);

// amf::InvalidArgument (starting with `who`) unless `generator` can draw masks for a tensor on
// `device`: a CPU generator, or one on that device.
void check_dropout_generator(const at::Generator& generator, const torch::Device& device, const std::string& who);

// torch::dropout's arithmetic in training mode: h times a Bernoulli(1 - p) keep-mask scaled by
// 1 / (1 - p). The mask comes from `generator` when it is given, else from LibTorch's global
// generator (torch::dropout itself). A generator on h's device draws the mask there; a CPU
// generator draws it on the CPU and moves it to h's device. On the CPU the masks are those
// torch::dropout draws after torch::manual_seed with the generator's seed.
torch::Tensor dropout(const torch::Tensor& h, double p, at::Generator* generator);

}  // namespace detail
}  // namespace amf
