#include "amf/harness/environments.hpp"
#include "amf/error.hpp"
#include "amf/harness/integrator2d.hpp"
#ifdef AMF_HAVE_MUJOCO
#include "envs/cupfaucet.hpp"
#include "envs/kitchen.hpp"
#endif

namespace amf {

std::vector<std::string> environment_names() {
#ifdef AMF_HAVE_MUJOCO
  return {"integrator2d", "cupfaucet", "kitchen"};
#else
  return {"integrator2d"};
#endif
}

namespace {

[[noreturn]] void unknown(const std::string& name) {
  std::string known;
  for (const std::string& n : environment_names()) known += (known.empty() ? "" : ", ") + n;
#ifndef AMF_HAVE_MUJOCO
  if (name == "cupfaucet" || name == "kitchen")
    throw InvalidArgument("environment '" + name + "' needs MuJoCo, and amf was built without it "
                          "(AMF_WITH_MUJOCO=OFF); known: " + known);
#endif
  throw InvalidArgument("unknown environment '" + name + "' (known: " + known + ")");
}

}  // namespace

std::unique_ptr<Environment> make_environment(const std::string& name, const std::string& scene_file) {
  if (name == "integrator2d") {
    if (!scene_file.empty()) throw InvalidArgument("integrator2d has no scene file (got '" + scene_file + "')");
    return std::make_unique<Integrator2D>();
  }
#ifdef AMF_HAVE_MUJOCO
  if (name == "cupfaucet") return std::make_unique<envs::CupFaucet>(scene_file);
  if (name == "kitchen") return std::make_unique<envs::Kitchen>(scene_file);
#endif
  unknown(name);
}

std::unique_ptr<Expert> make_expert(const Environment& env) {
  if (const auto* e = dynamic_cast<const Integrator2D*>(&env)) return std::make_unique<Integrator2DExpert>(e->config());
#ifdef AMF_HAVE_MUJOCO
  if (const auto* e = dynamic_cast<const envs::CupFaucet*>(&env)) return std::make_unique<envs::CupFaucetExpert>(*e);
  if (const auto* e = dynamic_cast<const envs::Kitchen*>(&env)) return std::make_unique<envs::KitchenExpert>(*e);
#endif
  throw InvalidArgument("no scripted expert for environment '" + env.name() + "'");
}

double default_demo_noise(const std::string& name) {
  if (name == "integrator2d") return 0.05;
  if (name == "cupfaucet" || name == "kitchen") return 0.1;
  unknown(name);
}

}  // namespace amf
