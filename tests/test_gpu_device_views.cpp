// Candidate features that already live on the device (a trainer's CUDA tensors), float64 and
// float32: the CUDA backend gathers them there and gives the CPU backend's result on the same
// values read from the host (1e-9 relative, as the gpu tests' other feature cases). Runs where a
// device is visible (tools/gpu_check.sh); skipped elsewhere, where test_array_views and
// test_device_gather check the host side and the gather's element rule.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "amf/backend.hpp"
#include "amf/criterion.hpp"
#include "feature_problem_fixture.hpp"

namespace {

// A device copy of a host float64 view, as float64 or rounded to float32; freed with the test.
class DeviceCopies {
 public:
  ~DeviceCopies() {
    for (void* p : owned_) cudaFree(p);
  }
  amf::ArrayView copy(const amf::ArrayView& host, bool single) {
    const amf::MatrixView<double> m = host.host_matrix("fixture");
    std::vector<double> compact(static_cast<std::size_t>(m.rows * m.cols));
    for (std::int64_t r = 0; r < m.rows; ++r)
      for (std::int64_t c = 0; c < m.cols; ++c) compact[r * m.cols + c] = m(r, c);
    void* d = nullptr;
    if (single) {
      std::vector<float> narrow(compact.begin(), compact.end());
      EXPECT_EQ(cudaMalloc(&d, narrow.size() * sizeof(float)), cudaSuccess);
      EXPECT_EQ(cudaMemcpy(d, narrow.data(), narrow.size() * sizeof(float), cudaMemcpyHostToDevice), cudaSuccess);
      owned_.push_back(d);
      return amf::ArrayView::cuda(static_cast<const float*>(d), m.rows, m.cols, 0);
    }
    EXPECT_EQ(cudaMalloc(&d, compact.size() * sizeof(double)), cudaSuccess);
    EXPECT_EQ(cudaMemcpy(d, compact.data(), compact.size() * sizeof(double), cudaMemcpyHostToDevice), cudaSuccess);
    owned_.push_back(d);
    return amf::ArrayView::cuda(static_cast<const double*>(d), m.rows, m.cols, 0);
  }

 private:
  std::vector<void*> owned_;
};

amf::FeatureSet on_device(const amf::FeatureSet& host, bool single, DeviceCopies& copies) {
  amf::FeatureSet d = host;
  if (host.has_embedding()) d.embedding = copies.copy(host.embedding, single);
  for (auto& layer : d.layers) {
    layer.inputs = copies.copy(layer.inputs, single);
    layer.signals = copies.copy(layer.signals, single);
  }
  return d;
}

// The same set with every value rounded to float32 and widened again, in host memory.
amf::FeatureSet rounded(const amf::FeatureSet& host, std::vector<std::vector<double>>& keep) {
  const auto round = [&](const amf::ArrayView& v) {
    const amf::MatrixView<double> m = v.host_matrix("fixture");
    std::vector<double>& out = keep.emplace_back(static_cast<std::size_t>(m.rows * m.cols));
    for (std::int64_t r = 0; r < m.rows; ++r)
      for (std::int64_t c = 0; c < m.cols; ++c) out[r * m.cols + c] = static_cast<float>(m(r, c));
    return amf::ArrayView(amf::MatrixView<double>(out.data(), m.rows, m.cols));
  };
  amf::FeatureSet r = host;
  if (host.has_embedding()) r.embedding = round(host.embedding);
  for (auto& layer : r.layers) {
    layer.inputs = round(layer.inputs);
    layer.signals = round(layer.signals);
  }
  return r;
}

class DeviceViews : public ::testing::TestWithParam<amf_test::FeatureForm> {};

TEST_P(DeviceViews, CudaBackendReadsDeviceFeaturesInPlace) {
  if (!amf::cuda_compiled() || amf::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device is visible";
  amf_test::OwnedFeatureProblem op(6, 7, 17, 3, GetParam());
  op.problem.batch_size = 3;
  auto cpu = amf::make_backend(amf::BackendKind::Cpu);
  auto cuda = amf::make_backend(amf::BackendKind::Cuda);
  for (const bool single : {false, true}) {
    SCOPED_TRACE(single ? "float32" : "float64");
    DeviceCopies copies;
    std::vector<std::vector<double>> keep;
    amf::FeatureCriterionProblem reference = op.problem, device = op.problem;
    if (single) reference.candidate_features = rounded(op.problem.candidate_features, keep);
    device.candidate_features = on_device(op.problem.candidate_features, single, copies);
    const auto a = amf::select_batch(reference, *cpu), b = amf::select_batch(device, *cuda);
    for (std::size_t c = 0; c < a.J.size(); ++c)
      EXPECT_NEAR(b.J[c], a.J[c], 1e-9 * (1 + std::abs(a.J[c]))) << "candidate " << c;
    EXPECT_EQ(a.batch, b.batch);
    // The CPU backend copies device views back and gives the same scores.
    const auto c = amf::select_batch(device, *cpu);
    EXPECT_EQ(c.J, a.J);
  }
}

INSTANTIATE_TEST_SUITE_P(Forms, DeviceViews,
                         ::testing::Values(amf_test::FeatureForm::Factorised, amf_test::FeatureForm::Embedding,
                                           amf_test::FeatureForm::Tokens));

}  // namespace
