"""A Diffusion Policy action head (Chi et al. 2023): a 1D temporal convolutional U-Net that
predicts the noise added to an action chunk, FiLM-conditioned on the observation and task and on
the diffusion timestep. Written here because LeRobot cannot be installed next to this project's
pins (amf.act_policy says why); the layout follows LeRobot's DiffusionConditionalUnet1d: residual
blocks of (Conv1d, GroupNorm, Mish) x 2 with a FiLM scale and shift from the condition between
them, a strided Conv1d to go down a level, and skip connections on the way up. Two changes, both
so that every layer has an exact factorised form in amf.loss_gradient_features: going up is a
nearest-neighbour upsampling followed by a Conv1d (LeRobot uses ConvTranspose1d, which amf
would take through its slower per-sample path), and the condition is the [state, task] vector
itself (no image encoder; amf.image_policy is the image one).

Noise schedule and sampling: DDPM's squared-cosine schedule over `train_steps` timesteps, epsilon
prediction (as LeRobot's defaults); actions are divided by `action_scale` before noise is added,
so that they are of unit order like the noise, and the sampler clips its clean-sample estimate to
[-clip_sample, clip_sample] in those units (LeRobot clips to [-1, 1] after normalising actions to
that range): choose action_scale so that the scaled actions lie within clip_sample.

Loss for the features: the denoising loss at fixed, seeded noise draws and timesteps,
DenoisingLoss: for draws k = 1..K fixed once by `seed` (noise eps_k of the chunk's shape and a
timestep t_k, one per equal-width stratum of [0, train_steps), so the draws cover the schedule),
loss(x, a) = (1/K) sum_k 0.5 |eps_theta(sqrt(abar_k) a + sqrt(1 - abar_k) eps_k, t_k, x) - eps_k|^2.
The same draws serve every sample and every call, so the loss, its gradient and the features are
deterministic and a sample's features do not depend on which other samples share its batch.

Log-probability for the importance weights: a Gaussian around the denoised mean, log N(a; mu(x),
sigma_pi^2 I) with mu(x) = forward(x): the deterministic DDIM sampler (eta = 0, `sample_steps`
steps) run from `mean_draws` fixed, seeded initial noises and averaged. A diffusion policy's own
likelihood has no closed form; this is the Gaussian of the other architectures around the action
the policy would execute, and sigma_pi plays the same role.
"""
import math

import torch
from torch import nn
import torch.nn.functional as F


def squared_cosine_alphas(steps, max_beta=0.999):
    """abar_t of DDPM's squared-cosine schedule (Nichol & Dhariwal 2021), t = 0..steps-1."""
    def f(t):
        return math.cos((t / steps + 0.008) / 1.008 * math.pi / 2) ** 2

    betas = [min(1 - f(t + 1) / f(t), max_beta) for t in range(steps)]
    return torch.cumprod(1 - torch.tensor(betas, dtype=torch.float64), dim=0)


class DiffusionPolicy(nn.Module):
    """forward(x) -> the denoised mean chunk (P, horizon * action_dim), time-major, for x =
    [state, task] (P, state_dim + task_dim); noise_prediction() is the U-Net; denoising_loss()
    the fixed-draw training loss whose gradient amf uses as features."""

    def __init__(self, state_dim, task_dim, action_dim, horizon=8, channels=(32, 64), kernel=5, groups=8,
                 time_dim=32, train_steps=100, sample_steps=10, mean_draws=4, action_scale=1.0, clip_sample=1.0,
                 seed=0):
        super().__init__()
        if horizon % (2 ** (len(channels) - 1)):
            raise ValueError(f"DiffusionPolicy: horizon ({horizon}) must be divisible by 2^(levels - 1) = "
                             f"{2 ** (len(channels) - 1)} for the U-Net's {len(channels)} levels")
        if sample_steps > train_steps:
            raise ValueError(f"DiffusionPolicy: sample_steps ({sample_steps}) must be at most train_steps ({train_steps})")
        self.state_dim, self.task_dim, self.action_dim, self.horizon = state_dim, task_dim, action_dim, horizon
        self.train_steps, self.sample_steps, self.action_scale = train_steps, sample_steps, float(action_scale)
        self.clip_sample = clip_sample
        self.net = ConditionalUnet1d(action_dim, state_dim + task_dim, channels, kernel, groups, time_dim)
        self.register_buffer("alphas_cumprod", squared_cosine_alphas(train_steps), persistent=False)
        g = torch.Generator().manual_seed(seed)
        self.register_buffer("mean_noise", torch.randn(mean_draws, horizon, action_dim, generator=g,
                                                       dtype=torch.float64), persistent=False)

    def noise_prediction(self, noisy, t, x):
        """eps_theta(noisy (P, horizon, action_dim), t (P,) integer timesteps, x (P, cond))."""
        return self.net(noisy, t, x)

    def forward(self, x):
        if x.dim() != 2 or x.shape[1] != self.state_dim + self.task_dim:
            raise ValueError(f"DiffusionPolicy: inputs must be (P, {self.state_dim + self.task_dim}) [state, task] "
                             f"rows, got {tuple(x.shape)}")
        abar = self.alphas_cumprod.to(x.dtype)
        # DDIM's timesteps: evenly spaced from the last one down to 0.
        times = torch.linspace(self.train_steps - 1, 0, self.sample_steps).round().long().tolist()
        total = 0
        for noise in self.mean_noise.to(x.dtype):
            sample = noise.expand(len(x), -1, -1)
            for i, t in enumerate(times):
                eps = self.noise_prediction(sample, torch.full((len(x),), t, device=x.device), x)
                clean = (sample - (1 - abar[t]).sqrt() * eps) / abar[t].sqrt()
                if self.clip_sample is not None:  # abar is ~0 at the first steps: 1/sqrt(abar) is huge
                    clean = clean.clamp(-self.clip_sample, self.clip_sample)
                if i + 1 == len(times):
                    sample = clean
                else:
                    prev = abar[times[i + 1]]
                    sample = prev.sqrt() * clean + (1 - prev).sqrt() * eps
            total = total + sample
        return (total / len(self.mean_noise) * self.action_scale).reshape(len(x), -1)

    def denoising_loss(self, draws=8, seed=0):
        """The DenoisingLoss module over this policy, with `draws` fixed draws seeded by `seed`."""
        return DenoisingLoss(self, draws, seed)

    def random_denoising_loss(self, x, a, generator=None):
        """The usual training loss: one fresh noise draw and timestep per sample, mean over the
        batch (for fitting the policy; the features use DenoisingLoss's fixed draws)."""
        clean = a.reshape(len(a), self.horizon, self.action_dim) / self.action_scale
        noise = torch.randn(clean.shape, generator=generator, dtype=clean.dtype).to(clean.device)
        t = torch.randint(0, self.train_steps, (len(a),), generator=generator).to(clean.device)
        abar = self.alphas_cumprod.to(clean.dtype)[t].view(-1, 1, 1)
        noisy = abar.sqrt() * clean + (1 - abar).sqrt() * noise
        return 0.5 * (self.noise_prediction(noisy, t, x) - noise).pow(2).sum((1, 2)).mean()


class DenoisingLoss(nn.Module):
    """loss(x, a) -> (P,): the denoising loss of each sample at the K fixed draws (module
    docstring). Holds the policy as a submodule, so its parameters are this module's, named
    "policy.net...."; pass it to amf.select_batch_for_policy as training_loss."""

    def __init__(self, policy, draws=8, seed=0):
        super().__init__()
        if not isinstance(policy, DiffusionPolicy):
            raise TypeError(f"DenoisingLoss: policy must be a DiffusionPolicy, got {type(policy).__name__}")
        self.policy = policy
        g = torch.Generator().manual_seed(seed)
        noise = torch.randn(draws, policy.horizon, policy.action_dim, generator=g, dtype=torch.float64)
        # One timestep per stratum [k T / K, (k + 1) T / K): seeded, and spread over the schedule.
        t = ((torch.arange(draws, dtype=torch.float64) + torch.rand(draws, generator=g, dtype=torch.float64))
             * policy.train_steps / draws).floor().long().clamp(max=policy.train_steps - 1)
        self.register_buffer("noise", noise, persistent=False)
        self.register_buffer("timesteps", t, persistent=False)

    def forward(self, x, a):
        p = self.policy
        clean = a.reshape(len(a), p.horizon, p.action_dim) / p.action_scale
        abar = p.alphas_cumprod.to(clean.dtype)
        total = 0
        # One U-Net call per draw on the whole batch: every layer then sees the samples on its
        # first axis (the draws add calls, i.e. tokens, to amf's per-layer forms).
        for noise, t in zip(self.noise.to(clean.dtype), self.timesteps.tolist()):
            noisy = abar[t].sqrt() * clean + (1 - abar[t]).sqrt() * noise
            eps = p.noise_prediction(noisy, torch.full((len(a),), t, device=clean.device), x)
            total = total + 0.5 * (eps - noise).pow(2).sum((1, 2))
        return total / len(self.noise)


def timestep_embedding(t, dim):
    """Sinusoidal embedding of integer timesteps (P,) -> (P, dim), as in DDPM and LeRobot."""
    half = dim // 2
    freq = torch.exp(-math.log(10000) * torch.arange(half, device=t.device, dtype=torch.float64) / (half - 1))
    angle = t.double()[:, None] * freq[None, :]
    return torch.cat([angle.sin(), angle.cos()], dim=1)


class ConditionalUnet1d(nn.Module):
    """eps_theta(noisy (P, H, da), t (P,), cond (P, dc)) -> (P, H, da); convolutions run over the
    H time steps with the action dimensions as channels."""

    def __init__(self, action_dim, cond_dim, channels, kernel, groups, time_dim):
        super().__init__()
        self.time_dim = time_dim
        self.time_mlp = nn.Sequential(nn.Linear(time_dim, 4 * time_dim), nn.Mish(), nn.Linear(4 * time_dim, time_dim))
        film = time_dim + cond_dim
        widths = [action_dim] + list(channels)
        self.down = nn.ModuleList()
        for i, (cin, cout) in enumerate(zip(widths[:-1], widths[1:])):
            last = i == len(channels) - 1
            self.down.append(nn.ModuleList([ResidualBlock(cin, cout, film, kernel, groups),
                                            ResidualBlock(cout, cout, film, kernel, groups),
                                            nn.Identity() if last else nn.Conv1d(cout, cout, 3, stride=2, padding=1)]))
        self.mid = nn.ModuleList([ResidualBlock(channels[-1], channels[-1], film, kernel, groups) for _ in range(2)])
        self.up = nn.ModuleList()
        for i, (cout, cin) in enumerate(reversed(list(zip(channels[:-1], channels[1:])))):
            self.up.append(nn.ModuleList([ResidualBlock(2 * cin, cout, film, kernel, groups),
                                          ResidualBlock(cout, cout, film, kernel, groups),
                                          nn.Conv1d(cout, cout, 3, padding=1)]))
        self.final = nn.Sequential(ConvBlock(channels[0], channels[0], kernel, groups),
                                   nn.Conv1d(channels[0], action_dim, 1))

    def forward(self, noisy, t, cond):
        emb = self.time_mlp(timestep_embedding(t, self.time_dim).to(noisy.dtype))
        film = torch.cat([emb, cond], dim=1)
        h = noisy.transpose(1, 2)  # (P, da, H)
        skips = []
        for block1, block2, down in self.down:
            h = block2(block1(h, film), film)
            skips.append(h)
            h = down(h)
        for block in self.mid:
            h = block(h, film)
        for block1, block2, conv in self.up:
            h = block2(block1(torch.cat([h, skips.pop()], dim=1), film), film)
            h = conv(F.interpolate(h, scale_factor=2, mode="nearest"))
        return self.final(h).transpose(1, 2)


class ConvBlock(nn.Sequential):
    def __init__(self, cin, cout, kernel, groups):
        super().__init__(nn.Conv1d(cin, cout, kernel, padding=kernel // 2), nn.GroupNorm(groups, cout), nn.Mish())


class ResidualBlock(nn.Module):
    """Two conv blocks with a FiLM scale and shift from the condition between them."""

    def __init__(self, cin, cout, film, kernel, groups):
        super().__init__()
        self.block1, self.block2 = ConvBlock(cin, cout, kernel, groups), ConvBlock(cout, cout, kernel, groups)
        self.film = nn.Sequential(nn.Mish(), nn.Linear(film, 2 * cout))
        self.residual = nn.Conv1d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, film):
        scale, shift = self.film(film).unsqueeze(-1).chunk(2, dim=1)
        h = self.block2(self.block1(x) * scale + shift)
        return h + self.residual(x)
