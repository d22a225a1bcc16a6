"""An ACT-style transformer policy (Action Chunking with Transformers, Zhao et al. 2023), written
here because LeRobot cannot be installed next to this project's pins (see README, "Real
architectures"): LeRobot 0.4.x requires rerun-sdk >= 0.24, < 0.27, every release of which
requires numpy >= 2, and the project venv keeps numpy < 2 for Debian's matplotlib and h5py.

The layout follows LeRobot's ACTPolicy with use_vae=False and no image backbone (the image
encoder is amf.image_policy's job): the robot state and the task each become one token through a
Linear projection, with a learned position embedding per token; a DETR-style encoder (post-norm
layers, the position embedding added to queries and keys at every layer) turns them into a
memory; `chunk` decoder queries (zeros plus a learned position embedding per chunk step) attend
to themselves and to the memory; a Linear action head maps each query to one action. Attention is
torch's nn.MultiheadAttention, as in LeRobot, so its packed projections go through the
per-sample (torch.func) path of amf.loss_gradient_features while every Linear, Embedding and
LayerNorm has its exact factorised form.

Log-probability for the importance weights: the policy is deterministic (no VAE latent at
inference, as in ACT), and amf.select_batch_for_policy scores a logged chunk as a Gaussian
around the predicted chunk, log N(a_{t:t+H}; f(s_t, c), sigma_pi^2 I_{H da}); the pool's actions
must be chunks (amf.action_chunks.chunk_pool). The features are the gradient of
0.5 |f(s, c) - a_{t:t+H}|^2. ACT itself trains with an L1 loss; the squared error is the
gradient of the Gaussian log-likelihood the importance weights use, so the two agree.
"""
import torch
from torch import nn


class ActPolicy(nn.Module):
    """f(x) -> the flattened action chunk (P, chunk * action_dim), time-major, for x = [state,
    task] (P, state_dim + task_dim), the input amf.select_batch_for_policy builds.

    dropout defaults to 0 (LeRobot's is 0.1): amf needs each sample's gradient to depend on that
    sample alone, so a policy with dropout must be in eval mode when features are taken.
    """

    def __init__(self, state_dim, task_dim, action_dim, chunk=10, dim=64, heads=4, encoder_layers=2,
                 decoder_layers=1, feedforward=256, dropout=0.0):
        super().__init__()
        if dim % heads:
            raise ValueError(f"ActPolicy: dim ({dim}) must be a multiple of heads ({heads})")
        self.state_dim, self.task_dim, self.action_dim, self.chunk = state_dim, task_dim, action_dim, chunk
        self.state_proj = nn.Linear(state_dim, dim)
        self.task_proj = nn.Linear(task_dim, dim)
        self.encoder_pos = nn.Embedding(2, dim)
        self.encoder = nn.ModuleList(EncoderLayer(dim, heads, feedforward, dropout) for _ in range(encoder_layers))
        self.decoder_pos = nn.Embedding(chunk, dim)
        self.decoder = nn.ModuleList(DecoderLayer(dim, heads, feedforward, dropout) for _ in range(decoder_layers))
        self.action_head = nn.Linear(dim, action_dim)
        # Position indices as buffers, so that they follow .to(device) and stay integer.
        self.register_buffer("_encoder_index", torch.arange(2), persistent=False)
        self.register_buffer("_decoder_index", torch.arange(chunk), persistent=False)

    def forward(self, x):
        if x.dim() != 2 or x.shape[1] != self.state_dim + self.task_dim:
            raise ValueError(f"ActPolicy: inputs must be (P, {self.state_dim + self.task_dim}) [state, task] rows, "
                             f"got {tuple(x.shape)}")
        state, task = x[:, :self.state_dim], x[:, self.state_dim:]
        tokens = torch.stack([self.state_proj(state), self.task_proj(task)], dim=1)
        # The position indices are looked up per sample ((P, tokens), not (tokens,)): a lookup
        # without the sample axis would give amf's hooks one gradient summed over the batch.
        enc_pos = self.encoder_pos(self._encoder_index.expand(len(x), -1))
        for layer in self.encoder:
            tokens = layer(tokens, enc_pos)
        dec_pos = self.decoder_pos(self._decoder_index.expand(len(x), -1))
        queries = torch.zeros_like(dec_pos)
        for layer in self.decoder:
            queries = layer(queries, dec_pos, tokens, enc_pos)
        return self.action_head(queries).reshape(len(x), self.chunk * self.action_dim)


class EncoderLayer(nn.Module):
    """Post-norm self-attention and feed-forward block; positions enter queries and keys only."""

    def __init__(self, dim, heads, feedforward, dropout):
        super().__init__()
        self.attention = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.feedforward = nn.Sequential(nn.Linear(dim, feedforward), nn.ReLU(), nn.Dropout(dropout),
                                         nn.Linear(feedforward, dim))
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, pos):
        q = x + pos
        x = self.norm1(x + self.dropout(self.attention(q, q, x, need_weights=False)[0]))
        return self.norm2(x + self.dropout(self.feedforward(x)))


class DecoderLayer(nn.Module):
    """Post-norm self-attention over the chunk queries, cross-attention to the encoder memory,
    feed-forward."""

    def __init__(self, dim, heads, feedforward, dropout):
        super().__init__()
        self.self_attention = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.cross_attention = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.feedforward = nn.Sequential(nn.Linear(dim, feedforward), nn.ReLU(), nn.Dropout(dropout),
                                         nn.Linear(feedforward, dim))
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, pos, memory, memory_pos):
        q = x + pos
        x = self.norm1(x + self.dropout(self.self_attention(q, q, x, need_weights=False)[0]))
        x = self.norm2(x + self.dropout(self.cross_attention(x + pos, memory + memory_pos, memory,
                                                             need_weights=False)[0]))
        return self.norm3(x + self.dropout(self.feedforward(x)))
