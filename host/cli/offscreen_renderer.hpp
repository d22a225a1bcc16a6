#pragma once
// MuJoCo's offscreen renderer behind a hidden GLFW window (the GL context it needs). On a
// machine without a screen, run under Xvfb (`xvfb-run -a`; tools/render_tasks.sh does).
#include <mujoco/mujoco.h>

#include <string>
#include <vector>

struct GLFWwindow;

namespace amf {
namespace cli {

class OffscreenRenderer {
 public:
  // Throws amf::Error when no GL context can be made (e.g. no X display).
  OffscreenRenderer(const mjModel* model, int width, int height);
  ~OffscreenRenderer();
  OffscreenRenderer(const OffscreenRenderer&) = delete;
  OffscreenRenderer& operator=(const OffscreenRenderer&) = delete;

  // The scene as seen from the named fixed camera: width x height RGB, rows top-down.
  std::vector<unsigned char> render(const mjModel* model, mjData* data, const std::string& camera);
  int width() const { return width_; }
  int height() const { return height_; }

 private:
  int width_, height_;
  GLFWwindow* window_ = nullptr;
  mjvScene scene_;
  mjrContext context_;
  mjvOption options_;
};

// Writes width x height RGB pixels (rows top-down) as a PNG; throws amf::Error on failure.
void write_png(const std::string& path, const std::vector<unsigned char>& rgb, int width, int height);

}  // namespace cli
}  // namespace amf
