#pragma once
// Environments and their scripted experts by name: "integrator2d", "cupfaucet", "kitchen".
// The MuJoCo scenes (cupfaucet, kitchen) load their MJCF file from $AMF_SCENE_DIR, else the
// source tree's scenes/, else the installed share/amf/scenes; README "Environments" describes
// their tasks, state, action and success criteria.
#include <memory>
#include <string>
#include <vector>

#include "amf/harness/environment.hpp"

namespace amf {

// The names make_environment knows (the MuJoCo ones only when amf was built with MuJoCo).
std::vector<std::string> environment_names();

// Throws InvalidArgument for an unknown name (listing the known ones). `scene_file` replaces the
// scene's default MJCF file (MuJoCo environments only); a file that does not load throws
// InvalidArgument naming it and MuJoCo's message.
std::unique_ptr<Environment> make_environment(const std::string& name, const std::string& scene_file = "");

// The scripted expert of an environment made by make_environment (it reads the scene's geometry).
std::unique_ptr<Expert> make_expert(const Environment& env);

// Action noise std the demonstrations use by default (i.i.d. Gaussian per action coordinate):
// 0.1 of the action bound for the MuJoCo scenes (actions in [-1, 1]), the study's 0.05 for the
// integrator.
double default_demo_noise(const std::string& name);

}  // namespace amf
