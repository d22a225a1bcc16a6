// amf render: a strip of frames of a noise-free expert episode per task, so a person can see what
// the tasks of a MuJoCo scene are.
#include <filesystem>
#include <iostream>

#include "amf/harness/environments.hpp"
#include "amf/error.hpp"
#include "cli/commands.hpp"
#include "cli/offscreen_renderer.hpp"
#include "envs/mujoco_task_env.hpp"

namespace amf {
namespace cli {
namespace {

struct RenderOptions {
  std::string env = "cupfaucet";
  std::string out = "docs/tasks";
  int frames = 5;
  int width = 200;
  int height = 150;
  std::uint64_t seed = 0;
};

int run_render(const RenderOptions& o) {
  if (o.frames < 2) throw InvalidArgument("--frames must be >= 2");
  std::unique_ptr<Environment> made = make_environment(o.env);
  auto* env = dynamic_cast<envs::MujocoTaskEnv*>(made.get());
  if (!env) throw InvalidArgument("amf render draws the MuJoCo scenes (cupfaucet, kitchen), not '" + o.env + "'");
  std::unique_ptr<Expert> expert = make_expert(*env);
  std::filesystem::create_directories(o.out);
  OffscreenRenderer renderer(env->scene().model(), o.width, o.height);

  for (int t = 0; t < env->num_tasks(); ++t) {
    const std::vector<double> task = env->task_vector(t);
    // Frames at evenly spaced steps from the first state to the last, side by side.
    const int strip_width = o.width * o.frames;
    std::vector<unsigned char> strip(3 * strip_width * o.height);
    std::vector<double> s = env->reset(task, o.seed);
    int next_frame = 0;
    for (int step = 0; step <= env->horizon(); ++step) {
      if (next_frame < o.frames && step == next_frame * env->horizon() / (o.frames - 1)) {
        const std::vector<unsigned char> rgb = renderer.render(env->scene().model(), env->scene().data(), "overview");
        for (int y = 0; y < o.height; ++y)
          std::copy(rgb.begin() + 3 * o.width * y, rgb.begin() + 3 * o.width * (y + 1),
                    strip.begin() + 3 * (strip_width * y + o.width * next_frame));
        ++next_frame;
      }
      if (step < env->horizon()) {
        env->step(expert->act(s, task));
        s = env->state();
      }
    }
    const std::string path = o.out + "/" + o.env + "_" + env->task_names()[t] + ".png";
    write_png(path, strip, strip_width, o.height);
    std::cout << path << (env->success() ? "  (success)" : "  (NOT achieved)") << "\n";
  }
  return kExitOk;
}

}  // namespace

Command add_render(CLI::App& app) {
  auto* sub = app.add_subcommand("render", "PNG strips of a noise-free expert episode per task of a MuJoCo scene "
                                           "(needs an X display: run under `xvfb-run -a` on a headless machine)");
  auto o = std::make_shared<RenderOptions>();
  sub->add_option("--env", o->env, "cupfaucet or kitchen")->capture_default_str();
  sub->add_option("--out", o->out, "output directory (one <env>_<task>.png per task)")->capture_default_str();
  sub->add_option("--frames", o->frames, "frames per strip, first to last step")->capture_default_str();
  sub->add_option("--width", o->width, "frame width in pixels")->capture_default_str();
  sub->add_option("--height", o->height, "frame height in pixels")->capture_default_str();
  sub->add_option("--seed", o->seed, "episode seed (initial positions)")->capture_default_str();
  return [o] { return run_render(*o); };
}

}  // namespace cli
}  // namespace amf
