#include "amf/backend.hpp"

#include <spdlog/spdlog.h>

#include <mutex>

#include "amf/error.hpp"
#include "cpu/cpu_backend.hpp"
#include "cuda/device_probe.hpp"

namespace amf {

BackendKind parse_backend_kind(const std::string& name) {
  if (name == "auto") return BackendKind::Auto;
  if (name == "cpu") return BackendKind::Cpu;
  if (name == "cuda") return BackendKind::Cuda;
  throw InvalidArgument("backend '" + name + "' is unknown (choose auto, cpu or cuda)");
}

bool cuda_compiled() { return detail::cuda_built(); }
int cuda_device_count() { return detail::cuda_devices(); }

std::unique_ptr<Backend> make_backend(BackendKind kind, const BackendOptions& options) {
  // The CUDA criterion backend arrives with the selection-engine work; until then a device
  // is reported but the criterion runs on the CPU.
  constexpr bool cuda_backend_available = false;
  if (kind == BackendKind::Cuda)
    throw Error("backend 'cuda' is not available in this build: " +
                std::string(!cuda_compiled() ? "CUDA was not compiled in"
                            : cuda_device_count() == 0 ? "no CUDA device is visible"
                                                       : "the CUDA criterion backend is not implemented yet") +
                " (use --backend cpu or auto)");
  if (kind == BackendKind::Auto) {
    static std::once_flag logged;  // one line per process, not per selection
    std::call_once(logged, [] {
      if (!cuda_compiled())
        spdlog::info("amf: CUDA not compiled in; using the CPU backend");
      else if (cuda_device_count() == 0)
        spdlog::info("amf: no CUDA device found; using the CPU backend");
      else if (!cuda_backend_available)
        spdlog::info("amf: {} CUDA device(s) found, but the CUDA criterion backend is not built yet; "
                     "using the CPU backend", cuda_device_count());
    });
  }
  return std::make_unique<CpuBackend>(options.cpu_threads);
}

}  // namespace amf
