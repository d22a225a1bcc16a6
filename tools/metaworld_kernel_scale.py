"""The scale of AMF-NN's loss-gradient kernel on real Metaworld, at the default and the paper's size.

  PYTHONPATH=build/python .venv/bin/python tools/metaworld_kernel_scale.py [--seeds 0 1] [--out DIR]

sigma^2 = 10 of amf.metaworld_study was fixed from the default-size (2 x 128) policy's kernel, whose
prior variances k(z, z) were about 35. This measures them for the policy each size pre-trains,
exactly as a job of the study does (same demonstrations, initial weights and Adam steps, from
amf.policy_study's seeds), so sigma^2 can be set against the kernel it regularises: the mean of
k(z, z) = |grad_theta 0.5 |f(s, c) - a|^2|^2 over the target points the criterion sees (every
warm-start demonstration's every 4th step, relabelled with each task, logged actions). With
parameter isolation each point routes to its task's copy, and at round 0 every copy equals the
pre-trained policy, so the plain pre-trained policy gives the same diagonal.
"""
import argparse
import json
import os
import sys
import time

import numpy as np


def mean_prior_variance(policy, states, tasks, actions):
    """Mean over points of k(z, z): the diagonal of the engine's own loss-gradient kernel (the
    features select_batch_for_policy hands over, the Gram amf.feature_select_batch forms)."""
    from amf.gradient_features import feature_gram, loss_gradient_features

    x = np.hstack([states, tasks])
    features = loss_gradient_features(policy, x, actions)
    diagonal = np.diag(feature_gram(features, features))
    return float(diagonal.mean()), int(len(x)), sum(p.numel() for p in policy.parameters())


def measure(size, pretrain, seed):
    import torch

    from amf.metaworld_scene import MetaworldScene
    from amf.metaworld_study import preset
    from amf.policy_study import pretrain_job

    torch.set_num_threads(1)
    cfg = preset(size)
    scene = MetaworldScene()
    # The study's own pre-training of this job: the same demonstrations, weights and Adam steps.
    policy, warm = pretrain_job(scene, cfg, {"pretrain": pretrain, "seed": seed})
    S = np.concatenate([d["states"][::cfg.selection_stride] for d in warm])
    A = np.concatenate([d["actions"][::cfg.selection_stride] for d in warm])
    per_task = []
    for k in range(scene.num_tasks):
        task = np.tile(scene.task_vector(k), (len(S), 1))
        per_task.append(mean_prior_variance(policy, S, task, A))
    values = [v for v, _, _ in per_task]
    return {"size": size, "pretrain": pretrain, "seed": seed, "width": cfg.width, "depth": cfg.depth,
            "parameters": per_task[0][2], "points_per_task": per_task[0][1],
            "mean_prior_variance": float(np.mean(values)), "per_task": dict(zip(scene.task_names, values)),
            "sigma2_used": list(cfg.noise_variances)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--pretrain", nargs="+", default=["skewed", "uniform"])
    ap.add_argument("--out", default="results/metaworld_kernel_scale")
    a = ap.parse_args(argv)
    rows = []
    for size in ("default", "paper"):
        for pretrain in a.pretrain:
            for seed in a.seeds:
                start = time.time()
                r = measure(size, pretrain, seed)
                rows.append(r)
                print(f"{size:7s} {r['depth']} x {r['width']:3d} ({r['parameters']} parameters) {pretrain:7s} seed {seed}: "
                      f"mean k(z, z) {r['mean_prior_variance']:.1f}  ({time.time() - start:.0f} s)", flush=True)
    os.makedirs(a.out, exist_ok=True)
    tmp = os.path.join(a.out, "kernel_scale.json.tmp")
    with open(tmp, "w") as f:
        json.dump(rows, f, indent=1)
    os.replace(tmp, os.path.join(a.out, "kernel_scale.json"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
