#include "envs/mujoco_scene.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <fstream>

#include "amf/error.hpp"

namespace amf {
namespace envs {
namespace {

bool readable(const std::string& path) { return std::ifstream(path).good(); }

// The directory of the library this function is compiled into (libamf), "" if unknown.
std::string this_library_directory() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&this_library_directory), &info) == 0 || info.dli_fname == nullptr)
    return {};
  const std::string path = info.dli_fname;
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

}  // namespace

std::string find_scene_file(const std::string& file_name) {
  std::string tried;
  auto candidate = [&](const std::string& dir) {
    const std::string path = dir + "/" + file_name;
    tried += "\n  " + path;
    return readable(path) ? path : std::string();
  };
  if (const char* dir = std::getenv("AMF_SCENE_DIR"); dir && *dir) {
    if (std::string p = candidate(dir); !p.empty()) return p;
  }
#ifdef AMF_INSTALL_SCENE_SUBDIR
  if (const std::string lib = this_library_directory(); !lib.empty()) {
    if (std::string p = candidate(lib + "/" + AMF_INSTALL_SCENE_SUBDIR); !p.empty()) return p;
  }
#endif
#ifdef AMF_SOURCE_SCENE_DIR
  if (std::string p = candidate(AMF_SOURCE_SCENE_DIR); !p.empty()) return p;
#endif
  throw InvalidArgument("scene file '" + file_name + "' not found (set AMF_SCENE_DIR); tried:" + tried);
}

MujocoScene::MujocoScene(const std::string& xml_path) : path_(xml_path) {
  if (!readable(xml_path)) throw InvalidArgument("scene file '" + xml_path + "' cannot be read");
  char error[1024] = "";
  model_ = mj_loadXML(xml_path.c_str(), nullptr, error, sizeof error);
  if (!model_)
    throw InvalidArgument("scene file '" + xml_path + "' does not load: " +
                          (error[0] ? std::string(error) : std::string("unknown MuJoCo error")));
  data_ = mj_makeData(model_);
  if (!data_) {
    mj_deleteModel(model_);
    throw Error("scene file '" + xml_path + "': MuJoCo could not allocate its data");
  }
}

MujocoScene::~MujocoScene() {
  if (data_) mj_deleteData(data_);
  if (model_) mj_deleteModel(model_);
}

int MujocoScene::id(mjtObj type, const std::string& name) const {
  const int i = mj_name2id(model_, type, name.c_str());
  if (i < 0)
    throw InvalidArgument("scene file '" + path_ + "' has no " + mju_type2Str(type) + " named '" + name + "'");
  return i;
}

}  // namespace envs
}  // namespace amf
