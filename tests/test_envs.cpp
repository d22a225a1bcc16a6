// The environments behind one interface: scenes load, experts reach the success criteria under
// the default demonstration noise, doing nothing does not, resets are deterministic per seed, and
// bad names or scene files fail with a message naming them.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "amf/harness/environments.hpp"
#include "amf/error.hpp"
#include "amf/harness/integrator2d.hpp"

namespace {

// Expects `f` to throw amf::InvalidArgument whose message contains every one of `parts`.
template <class F>
void expect_invalid(F f, std::initializer_list<const char*> parts) {
  try {
    f();
    ADD_FAILURE() << "no amf::InvalidArgument";
  } catch (const amf::InvalidArgument& e) {
    for (const char* p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
}

int successes(amf::Environment& env, const amf::Expert& expert, int task, double noise, int episodes) {
  int ok = 0;
  for (int seed = 0; seed < episodes; ++seed) {
    amf::demonstrate(env, expert, env.task_vector(task), noise, 1000 + seed);
    ok += env.success();
  }
  return ok;
}

class SceneTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SceneTest, LoadsWithConsistentDimensions) {
  auto env = amf::make_environment(GetParam());
  EXPECT_EQ(env->name(), GetParam());
  EXPECT_EQ(env->action_dim(), 3);
  EXPECT_EQ(env->task_dim(), env->num_tasks());
  ASSERT_EQ(static_cast<int>(env->task_names().size()), env->num_tasks());
  for (int t = 0; t < env->num_tasks(); ++t) {
    EXPECT_EQ(env->task_index(env->task_names()[t]), t);
    const std::vector<double> v = env->task_vector(t);
    ASSERT_EQ(static_cast<int>(v.size()), env->task_dim());
    for (int i = 0; i < env->task_dim(); ++i) EXPECT_EQ(v[i], i == t ? 1.0 : 0.0);
    EXPECT_EQ(static_cast<int>(env->reset(v, 3).size()), env->state_dim());
  }
}

// 50 seeds per task with the default demonstration noise (0.1 of the action bound).
TEST_P(SceneTest, NoisyExpertSucceedsOnEveryTask) {
  auto env = amf::make_environment(GetParam());
  auto expert = amf::make_expert(*env);
  const double noise = amf::default_demo_noise(GetParam());
  for (int t = 0; t < env->num_tasks(); ++t) {
    const int ok = successes(*env, *expert, t, noise, 50);
    EXPECT_GE(ok, 48) << env->task_names()[t] << ": " << ok << "/50";  // >= 95 %
  }
}

// The success criteria mean something: holding still achieves no task, and the expert of one
// task does not achieve another (a policy has to read the task vector).
TEST_P(SceneTest, DoingNothingOrAnotherTaskFails) {
  auto env = amf::make_environment(GetParam());
  auto expert = amf::make_expert(*env);
  const std::vector<double> still(env->action_dim(), 0.0);
  for (int t = 0; t < env->num_tasks(); ++t) {
    for (int seed = 0; seed < 5; ++seed) {
      env->reset(env->task_vector(t), seed);
      for (int k = 0; k < env->horizon(); ++k) env->step(still);
      EXPECT_FALSE(env->success()) << env->task_names()[t] << " seed " << seed;
    }
    const int other = (t + 1) % env->num_tasks();
    const amf::Trajectory demo = amf::demonstrate(*env, *expert, env->task_vector(other), 0.0, 7);
    env->reset(env->task_vector(t), 7);
    for (int k = 0; k < env->horizon(); ++k)
      env->step(std::vector<double>(demo.actions.begin() + k * env->action_dim(),
                                    demo.actions.begin() + (k + 1) * env->action_dim()));
    EXPECT_FALSE(env->success()) << env->task_names()[other] << "'s expert achieved " << env->task_names()[t];
  }
}

TEST_P(SceneTest, EpisodesAreDeterministicPerSeed) {
  auto env = amf::make_environment(GetParam());
  auto expert = amf::make_expert(*env);
  const std::vector<double> task = env->task_vector(env->num_tasks() - 1);
  const amf::Trajectory a = amf::demonstrate(*env, *expert, task, 0.1, 42);
  auto other_env = amf::make_environment(GetParam());  // a fresh scene: no state carried over
  const amf::Trajectory b = amf::demonstrate(*other_env, *expert, task, 0.1, 42);
  const amf::Trajectory c = amf::demonstrate(*env, *expert, task, 0.1, 43);
  EXPECT_EQ(a.states, b.states);  // bit-identical
  EXPECT_EQ(a.actions, b.actions);
  EXPECT_NE(a.states, c.states);
  // The initial object placement is randomised from the seed.
  const std::vector<double> s42 = env->reset(task, 42);
  const std::vector<double> s43 = env->reset(task, 43);
  EXPECT_NE(s42, s43);
  EXPECT_EQ(env->reset(task, 42), s42);
}

TEST_P(SceneTest, RejectsBadTaskVectorsAndActions) {
  auto env = amf::make_environment(GetParam());
  expect_invalid([&] { env->reset(std::vector<double>(env->task_dim() + 1, 0.0), 0); }, {"one-hot"});
  expect_invalid([&] { env->reset(std::vector<double>(env->task_dim(), 0.5), 0); }, {"one-hot"});
  env->reset(env->task_vector(0), 0);
  expect_invalid([&] { env->step({0.0, 0.0}); }, {"action"});
  expect_invalid([&] { env->task_vector(env->num_tasks()); }, {"task index"});
}

INSTANTIATE_TEST_SUITE_P(Mujoco, SceneTest, ::testing::Values("cupfaucet", "kitchen"));

TEST(Environments, UnknownTaskNameListsTheValidOnes) {
  auto env = amf::make_environment("kitchen");
  expect_invalid([&] { env->task_index("make_coffee"); }, {"make_coffee", "kitchen", "knob_on", "microwave_open"});
  auto integrator = amf::make_environment("integrator2d");
  expect_invalid([&] { integrator->task_index("goal_45deg"); }, {"goal_45deg", "goal_30deg"});
}

TEST(Environments, UnknownEnvironmentNameListsTheKnownOnes) {
  expect_invalid([] { amf::make_environment("pong"); }, {"pong", "integrator2d", "cupfaucet", "kitchen"});
}

TEST(Environments, SceneFileThatDoesNotParseIsNamed) {
  const std::string path = ::testing::TempDir() + "amf_bad_scene.xml";
  std::ofstream(path) << "<mujoco><worldbody><body name='x'><geom type='sphere'/></wrong></mujoco>";
  expect_invalid([&] { amf::make_environment("cupfaucet", path); }, {path.c_str(), "does not load"});
  expect_invalid([] { amf::make_environment("kitchen", "/nonexistent/scene.xml"); }, {"/nonexistent/scene.xml"});
  // Parses, but lacks what the environment needs: named too.
  std::ofstream(path, std::ios::trunc) << "<mujoco><worldbody><geom type='sphere' size='1'/></worldbody></mujoco>";
  expect_invalid([&] { amf::make_environment("cupfaucet", path); }, {path.c_str(), "hand"});
  std::remove(path.c_str());
}

TEST(Environments, IntegratorTasksAreItsEvaluationGoals) {
  auto env = amf::make_environment("integrator2d");
  auto expert = amf::make_expert(*env);
  ASSERT_EQ(env->num_tasks(), 12);
  EXPECT_EQ(env->task_names()[3], "goal_90deg");
  for (int t = 0; t < env->num_tasks(); ++t) {
    EXPECT_EQ(env->task_vector(t), amf::evaluation_task(t, 12, 1.0));
    amf::demonstrate(*env, *expert, env->task_vector(t), 0.0, 0);
    EXPECT_TRUE(env->success()) << env->task_names()[t];
    env->reset(env->task_vector(t), 0);
    EXPECT_FALSE(env->success());  // the origin is a radius away from every goal
  }
}

}  // namespace
