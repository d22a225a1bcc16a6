#include "cli/offscreen_renderer.hpp"

#include <GLFW/glfw3.h>
#include <png.h>

#include <cstdio>
#include <cstring>
#include <memory>

#include "amf/error.hpp"

namespace amf {
namespace cli {

OffscreenRenderer::OffscreenRenderer(const mjModel* model, int width, int height)
    : width_(width), height_(height) {
  if (width > model->vis.global.offwidth || height > model->vis.global.offheight)
    throw InvalidArgument("render size " + std::to_string(width) + "x" + std::to_string(height) +
                          " exceeds the scene's offscreen buffer " + std::to_string(model->vis.global.offwidth) +
                          "x" + std::to_string(model->vis.global.offheight));
  if (!glfwInit())
    throw Error("cannot initialise GLFW (no X display?): run under Xvfb, e.g. `xvfb-run -a amf render ...` "
                "(tools/render_tasks.sh does)");
  glfwWindowHint(GLFW_VISIBLE, GLFW_FALSE);  // only the GL context is wanted, never a window on screen
  window_ = glfwCreateWindow(width, height, "amf render", nullptr, nullptr);
  if (!window_) {
    glfwTerminate();
    throw Error("cannot create a GL context through GLFW (no OpenGL on this display?)");
  }
  glfwMakeContextCurrent(window_);
  mjv_defaultOption(&options_);
  mjv_defaultScene(&scene_);
  mjr_defaultContext(&context_);
  mjv_makeScene(model, &scene_, 1000);
  mjr_makeContext(model, &context_, mjFONTSCALE_100);
  mjr_setBuffer(mjFB_OFFSCREEN, &context_);
  if (context_.currentBuffer != mjFB_OFFSCREEN) {
    mjr_freeContext(&context_);
    mjv_freeScene(&scene_);
    glfwDestroyWindow(window_);
    glfwTerminate();
    throw Error("MuJoCo's offscreen framebuffer is not supported by this GL context");
  }
}

OffscreenRenderer::~OffscreenRenderer() {
  mjr_freeContext(&context_);
  mjv_freeScene(&scene_);
  glfwDestroyWindow(window_);
  glfwTerminate();
}

std::vector<unsigned char> OffscreenRenderer::render(const mjModel* model, mjData* data, const std::string& camera) {
  mjvCamera cam;
  mjv_defaultCamera(&cam);
  cam.type = mjCAMERA_FIXED;
  cam.fixedcamid = mj_name2id(model, mjOBJ_CAMERA, camera.c_str());
  if (cam.fixedcamid < 0) throw InvalidArgument("the scene has no camera named '" + camera + "'");
  const mjrRect viewport{0, 0, width_, height_};
  mjv_updateScene(model, data, &options_, nullptr, &cam, mjCAT_ALL, &scene_);
  mjr_render(viewport, &scene_, &context_);
  std::vector<unsigned char> bottom_up(3 * width_ * height_);
  mjr_readPixels(bottom_up.data(), nullptr, viewport, &context_);
  // OpenGL hands rows over bottom-up; images are stored top-down.
  std::vector<unsigned char> rgb(bottom_up.size());
  const int row = 3 * width_;
  for (int y = 0; y < height_; ++y)
    std::memcpy(rgb.data() + y * row, bottom_up.data() + (height_ - 1 - y) * row, row);
  return rgb;
}

void write_png(const std::string& path, const std::vector<unsigned char>& rgb, int width, int height) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!file) throw Error("cannot write '" + path + "'");
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!info || setjmp(png_jmpbuf(png))) {  // libpng reports errors by longjmp
    png_destroy_write_struct(&png, &info);
    throw Error("libpng failed writing '" + path + "'");
  }
  png_init_io(png, file.get());
  png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_compression_level(png, 9);
  png_write_info(png, info);
  for (int y = 0; y < height; ++y)
    png_write_row(png, const_cast<png_bytep>(rgb.data() + 3 * width * y));
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
}

}  // namespace cli
}  // namespace amf
