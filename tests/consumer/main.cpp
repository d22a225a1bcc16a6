// Which of 8 candidate goals should be demonstrated next, given 3 demonstrations?
#include <amf/backend.hpp>
#include <amf/criterion.hpp>
#include <amf/harness/demonstrations.hpp>
#include <cmath>
#include <iostream>
#include <vector>

int main(int argc, char** argv) {
  // Demonstrations in HDF5 (robomimic layout), or your own arrays through amf::Dataset.
  const amf::Dataset demos = amf::read_demonstrations(argc > 1 ? argv[1] : "examples/demos.h5");
  const amf::PoolArrays pool(demos);

  std::vector<double> candidates, targets, probs;  // tasks are 2-D goals on the unit circle
  for (int i = 0; i < 8; ++i) candidates.insert(candidates.end(), {std::cos(i * M_PI / 4), std::sin(i * M_PI / 4)});
  for (int k = 0; k < 12; ++k) targets.insert(targets.end(), {std::cos(k * M_PI / 6), std::sin(k * M_PI / 6)});
  probs.assign(12, 1.0 / 12);

  amf::CriterionProblem p;
  pool.attach(p);  // pool_states, pool_actions, traj_offsets, pool_tasks
  p.candidates = amf::MatrixView<double>(candidates.data(), 8, 2);
  p.targets = amf::MatrixView<double>(targets.data(), 12, 2);
  p.target_probs = amf::VectorView<double>(probs);
  p.kernel = {0.5, 0.5, 0.1};  // state length-scale, task length-scale, signal variance
  p.noise_variance = 0.0025;
  p.batch_size = 2;

  auto backend = amf::make_backend(amf::BackendKind::Auto);
  const amf::CriterionResult r = amf::select_batch(p, *backend);
  for (std::size_t b = 0; b < r.batch.size(); ++b)
    std::cout << "demonstrate candidate " << r.batch[b] << " (J = " << r.batch_J[b] << ")\n";
}
