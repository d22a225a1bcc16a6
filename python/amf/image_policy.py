"""An image-based policy: a small CNN encoder on camera frames (amf.scene_frames renders them from
the project's MuJoCo scenes), a spatial-softmax keypoint layer (as LeRobot's Diffusion Policy
and robomimic use after their image backbones), and an MLP head on [keypoints, task].

The pool's states are the frames flattened (3 * height * width values in [0, 1]); the policy's
input x = [frame, task] is what amf.select_batch_for_policy builds from them. Every layer with
parameters is a Conv2d or a Linear, so amf.loss_gradient_features takes all of them in exact
factorised form (a convolution as a Linear layer on its unfolded patches); for a large first
layer the patches are the memory cost, and a projection (projection=k) bounds it.

Log-probability for the importance weights: the policy is deterministic, and a logged action is
scored as a Gaussian around its output, log N(a; f(frame, c), sigma_pi^2 I); the features are
the gradient of 0.5 |f(frame, c) - a|^2.
"""
import torch
from torch import nn


class SpatialSoftmax(nn.Module):
    """(P, C, H, W) feature maps -> (P, 2C) expected (x, y) image coordinates in [-1, 1] of each
    channel's softmax over the pixels: where in the frame each feature fires. No parameters."""

    def forward(self, maps):
        p, c, h, w = maps.shape
        weights = torch.softmax(maps.reshape(p, c, h * w), dim=-1)
        ys, xs = torch.meshgrid(torch.linspace(-1, 1, h, dtype=maps.dtype, device=maps.device),
                                torch.linspace(-1, 1, w, dtype=maps.dtype, device=maps.device), indexing="ij")
        grid = torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=1)  # (H W, 2)
        return (weights @ grid).reshape(p, 2 * c)


class ImagePolicy(nn.Module):
    """f([frame, task]) -> action, frame (3, height, width) flattened channel-major."""

    def __init__(self, task_dim, action_dim, height=64, width=64, channels=(16, 32, 32), hidden=128):
        super().__init__()
        self.task_dim, self.action_dim, self.image_shape = task_dim, action_dim, (3, height, width)
        layers, cin = [], 3
        for i, cout in enumerate(channels):
            # The first layer strides 2 with a 5x5 kernel (a 64x64 frame -> 32x32), the rest 3x3.
            kernel, stride = (5, 2) if i == 0 else (3, 1 if i == len(channels) - 1 else 2)
            layers += [nn.Conv2d(cin, cout, kernel, stride=stride, padding=kernel // 2), nn.ReLU()]
            cin = cout
        self.encoder = nn.Sequential(*layers, SpatialSoftmax())
        self.head = nn.Sequential(nn.Linear(2 * cin + task_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                                  nn.ReLU(), nn.Linear(hidden, action_dim))

    def forward(self, x):
        pixels = self.image_shape[0] * self.image_shape[1] * self.image_shape[2]
        if x.dim() != 2 or x.shape[1] != pixels + self.task_dim:
            raise ValueError(f"ImagePolicy: inputs must be (P, {pixels} + {self.task_dim}) [frame {self.image_shape} "
                             f"flattened, task] rows, got {tuple(x.shape)}")
        frames, task = x[:, :pixels].reshape(len(x), *self.image_shape), x[:, pixels:]
        return self.head(torch.cat([self.encoder(frames), task], dim=1))
