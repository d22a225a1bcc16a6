#include "torch/dropout_masks.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/detail/CUDAHooksInterface.h>

#include <mutex>
#include <string>

#include "amf/error.hpp"

namespace amf {
namespace detail {

at::Generator dropout_generator(const torch::Device& device, std::uint64_t seed) {
  if (device.is_cpu()) return at::detail::createCPUGenerator(seed);
  if (!device.is_cuda()) throw InvalidArgument("dropout_generator: no dropout generator for device " + device.str());
  // Through the CUDA hooks, so this library needs no CUDA headers of LibTorch's own.
  at::Generator generator = at::detail::getCUDAHooks().getNewGenerator(device.has_index() ? device.index() : -1);
  reseed(generator, seed);
  return generator;
}

void reseed(at::Generator& generator, std::uint64_t seed) {
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_current_seed(seed);
}

torch::Tensor dropout_from(const torch::Tensor& h, double p, at::Generator& generator) {
  if (!generator.defined()) throw InvalidArgument("dropout: the generator is undefined");
  const torch::Device on = generator.device();
  const bool same_index = !on.has_index() || !h.device().has_index() || on.index() == h.device().index();
  if (on.type() == h.device().type() && same_index) {
    torch::Tensor keep = torch::empty_like(h);
    keep.bernoulli_(1 - p, generator);
    return h * keep.div_(1 - p);
  }
  if (!on.is_cpu())
    throw InvalidArgument("dropout: a generator on " + on.str() + " cannot draw masks for a tensor on " + h.device().str());
  torch::Tensor keep = torch::empty(h.sizes(), h.options().device(torch::kCPU));
  keep.bernoulli_(1 - p, generator);
  keep.div_(1 - p);
  return h * keep.to(h.device());
}

}  // namespace detail
}  // namespace amf
