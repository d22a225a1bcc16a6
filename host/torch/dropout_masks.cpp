#include "torch/dropout_masks.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/detail/CUDAHooksInterface.h>

#include <mutex>

#include "amf/error.hpp"

namespace amf {
namespace detail {

at::Generator dropout_generator(const torch::Device& device, std::uint64_t seed) {
  if (device.is_cpu()) return at::detail::createCPUGenerator(seed);
  if (!device.is_cuda()) throw InvalidArgument("dropout_generator: no dropout generator for device " + device.str());
  // Through the CUDA hooks, so this library needs no CUDA headers of LibTorch's own.
  at::Generator generator = at::detail::getCUDAHooks().getNewGenerator(device.has_index() ? device.index() : -1);
  std::lock_guard<std::mutex> lock(generator.mutex());  // a generator is not thread-safe on its own
  generator.set_current_seed(seed);
  return generator;
}

namespace {

bool on_device(const at::Generator& generator, const torch::Device& device) {
  const torch::Device on = generator.device();
  return on.type() == device.type() && (!on.has_index() || !device.has_index() || on.index() == device.index());
}

}  // namespace

void check_dropout_generator(const at::Generator& generator, const torch::Device& device, const std::string& who) {
  if (!generator.defined()) throw InvalidArgument(who + ": the dropout generator is undefined");
  if (!generator.device().is_cpu() && !on_device(generator, device))
    throw InvalidArgument(who + ": a dropout generator on " + generator.device().str() +
                          " cannot draw masks for a tensor on " + device.str() +
                          " (give a CPU generator or one on that device)");
}

torch::Tensor dropout(const torch::Tensor& h, double p, at::Generator* generator) {
  if (!generator) return torch::dropout(h, p, /*train=*/true);
  check_dropout_generator(*generator, h.device(), "dropout");
  const bool here = on_device(*generator, h.device());
  torch::Tensor keep = here ? torch::empty_like(h) : torch::empty(h.sizes(), h.options().device(torch::kCPU));
  keep.bernoulli_(1 - p, *generator);
  keep.div_(1 - p);
  return h * (here ? keep : keep.to(h.device()));
}

}  // namespace detail
}  // namespace amf
