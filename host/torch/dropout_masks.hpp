#pragma once
// Dropout whose masks come from a generator of the caller's own. LibTorch's torch::dropout draws
// from the global generator of its device, which every thread of the process shares and any of
// them may reseed: a study runs several jobs at a time, each fine-tuning its own policy, so
// masks from the global generator would depend on thread timing.
#include <torch/torch.h>

#include <cstdint>

namespace amf {
namespace detail {

// A generator for dropout masks on `device` (the CPU, or a CUDA device: a fresh CUDA generator,
// not the device's default one), seeded with `seed`.
at::Generator dropout_generator(const torch::Device& device, std::uint64_t seed);

// Reseeds `generator` (under its lock: a generator is not thread-safe on its own).
void reseed(at::Generator& generator, std::uint64_t seed);

// torch::dropout's arithmetic in training mode: h times a Bernoulli(1 - p) keep-mask scaled by
// 1 / (1 - p), with the mask drawn from `generator`. A generator on h's device draws the mask
// there; a CPU generator draws it on the CPU and moves it to h's device. On the CPU the masks are
// those torch::dropout draws after torch::manual_seed with the generator's seed.
torch::Tensor dropout_from(const torch::Tensor& h, double p, at::Generator& generator);

}  // namespace detail
}  // namespace amf
