#pragma once
// Fine-tuning of an off-the-shelf TorchScript policy (paper section 5.5): the trunk stays
// frozen, only the linear head (weight, bias; the interface in amf/torch/nn_selection.hpp) learns.
#include <vector>

#include "amf/torch/finetune.hpp"
#include "amf/torch/nn_selection.hpp"

namespace amf {

// config.steps_per_round Adam steps on the BC loss of `data`, each on min(batch_size, N) rows
// drawn with replacement from the seeded generator. The trunk features are computed once (the
// trunk is frozen), the head trains on the configured device and is written back into the
// module in its own dtype. Returns the loss of every step. amf::InvalidArgument when the data's
// action size differs from the head's output size or the trunk's width from the head's input.
std::vector<double> fine_tune_head(TorchScriptPolicy& policy, const BcData& data, const FinetuneConfig& config);

}  // namespace amf
