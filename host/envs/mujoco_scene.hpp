#pragma once
// RAII ownership of one loaded MuJoCo scene (mjModel + mjData), name lookups that throw, and the
// search for the scene files that ship with amf.
#include <mujoco/mujoco.h>

#include <array>
#include <string>

namespace amf {
namespace envs {

using Vec3 = std::array<double, 3>;

// Where the MJCF scenes live: $AMF_SCENE_DIR if set, else the installed share/amf/scenes found
// relative to the loaded libamf (wherever the install was moved), else the source tree's scenes/
// (compiled in; what a build directory's libamf uses). Throws InvalidArgument if none holds
// `file_name`.
std::string find_scene_file(const std::string& file_name);

class MujocoScene {
 public:
  // Loads an MJCF file; throws InvalidArgument naming the file and MuJoCo's parser message.
  explicit MujocoScene(const std::string& xml_path);
  ~MujocoScene();
  MujocoScene(const MujocoScene&) = delete;
  MujocoScene& operator=(const MujocoScene&) = delete;

  const mjModel* model() const { return model_; }
  mjModel* model() { return model_; }
  const mjData* data() const { return data_; }
  mjData* data() { return data_; }
  const std::string& path() const { return path_; }

  // The id of a named object of `type`; throws InvalidArgument naming the scene and the object.
  int id(mjtObj type, const std::string& name) const;
  int qpos_address(const std::string& joint) const { return model_->jnt_qposadr[id(mjOBJ_JOINT, joint)]; }

 private:
  std::string path_;
  mjModel* model_ = nullptr;
  mjData* data_ = nullptr;
};

}  // namespace envs
}  // namespace amf
