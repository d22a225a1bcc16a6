"""One AMF-NN selection round over Metaworld MT50 placements (amf.metaworld_mt_scene), timed by
phase, at growing candidate and pool sizes:

  log-probabilities   the policy on the pool relabelled with every candidate and target
  pruning             amf.kept_candidate_pairs and amf.kept_target_steps (the importance
                      weights need the log-probabilities only; pairs below min_weight are
                      dropped, for the candidates and for the target occupancy)
  features            loss-gradient features of the kept (candidate, trajectory) steps and of
                      the kept target steps (projected, whole policy; or the action head), each
                      row holding its own copy's terms (feature groups; --padded: every copy's)
  criterion           amf.feature_select_batch (importance weights formed, greedy batch)

The phases are those of amf.select_batch_for_policy, run here one by one with the same public
functions so that each can be timed (the first configuration is checked against
select_batch_for_policy's batch). The policy is the study's: an ACT-style transformer with one
copy per environment (amf.isolation.TaskIsolatedPolicy, routed), briefly behaviour-cloned on the
pool so that its copies differ and relabelling to another environment is pruned as in a study.

  PYTHONPATH=build/python .venv/bin/python bench/mt_selection_time.py --candidates 200 2000 --pool-demos 25 100
"""
import argparse
import os
import time

import numpy as np


def load_average():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--candidates", type=int, nargs="+", default=[200, 500, 2000], help="multiples of 50")
    ap.add_argument("--pool-demos", type=int, nargs="+", default=[25, 100])
    ap.add_argument("--targets-per-env", type=int, default=4)
    ap.add_argument("--stride", type=int, default=4, help="every stride-th pool step enters the criterion")
    ap.add_argument("--parameters", default="all", choices=("all", "head"))
    ap.add_argument("--projection", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=5)
    ap.add_argument("--noise-variance", type=float, default=10.0)
    ap.add_argument("--gram-precision", default="float64", choices=("float64", "float32"))
    ap.add_argument("--session-cache-gb", type=float, default=None,
                    help="the CPU session's kept-block budget (default: the engine's, min(memory / 4, available / 2))")
    ap.add_argument("--no-check", action="store_true",
                    help="skip repeating the first configuration through select_batch_for_policy (it doubles the time)")
    ap.add_argument("--out", default=None, help="CSV of the measurements (default: print only)")
    ap.add_argument("--padded", action="store_true",
                    help="every copy's terms on every row (the layout before feature groups), for comparison")
    args = ap.parse_args()

    import torch

    import amf
    from amf.isolation import Standardize, TaskIsolatedPolicy
    from amf.act_policy import ActPolicy
    from amf.metaworld_mt_scene import MetaworldMTScene
    from amf.policy_study import _Trainer
    from amf.mt_study import MtStudyConfig

    torch.set_num_threads(1)
    per_env = max(args.candidates) // 50
    t0 = time.time()
    scene = MetaworldMTScene(benchmark="mt50", placements=per_env, target_placements=args.targets_per_env)
    cand_all, targets = scene.candidate_vectors(), scene.target_vectors()
    print(f"scene: {scene.num_tasks} candidates, {scene.num_targets} targets in {time.time() - t0:.0f} s "
          f"(load {load_average()})", flush=True)
    rng = np.random.default_rng(0)
    t0 = time.time()
    demos = [scene.demonstrate((d % 50) * per_env + int(rng.integers(per_env)), seed=d)
             for d in range(max(args.pool_demos))]
    print(f"{len(demos)} pool demonstrations in {time.time() - t0:.0f} s", flush=True)

    cfg = MtStudyConfig()
    states = np.concatenate([d["states"] for d in demos])
    mean = np.concatenate([states.mean(0), np.zeros(scene.task_dim)])
    scale = np.concatenate([states.std(0) + 1e-3, np.ones(scene.task_dim)])
    torch.manual_seed(0)
    base = torch.nn.Sequential(Standardize(mean, scale), ActPolicy(39, scene.task_dim, 4, chunk=1, dim=cfg.dim,
                               heads=cfg.heads, encoder_layers=cfg.encoder_layers,
                               decoder_layers=cfg.decoder_layers, feedforward=cfg.feedforward))
    policy = TaskIsolatedPolicy(base, np.eye(50), task_start=39, route=True)
    t0 = time.time()
    _Trainer(policy, cfg, 0).train(demos, 300)
    print(f"behaviour cloning (300 steps) in {time.time() - t0:.0f} s", flush=True)

    rows = ["candidates,pool_demos,pool_steps,targets,parameters,logp_s,prune_s,features_s,criterion_s,total_s,"
            "pairs,kept_pairs,target_points,feature_rows,load_average"]
    for D in args.pool_demos:
        pool = amf.pool_from_demonstrations([{"task": d["task"], "states": d["states"][::args.stride],
                                              "actions": d["actions"][::args.stride]} for d in demos[:D]])
        for N in args.candidates:
            idx = np.concatenate([e * per_env + np.arange(N // 50) for e in range(50)])
            r = one_round(policy, pool, cand_all[idx], targets, args)
            line = (f"{N},{D},{len(pool['pool_states'])},{len(targets)},{args.parameters}{'-padded' if args.padded else ''},{r['logp']:.2f},"
                    f"{r['prune']:.2f},{r['features']:.2f},{r['criterion']:.2f},{r['total']:.2f},{r['pairs']},"
                    f"{r['kept']},{r['target_points']},{r['feature_rows']},{load_average()}")
            print(line, flush=True)
            rows.append(line)
            if N == args.candidates[0] and D == args.pool_demos[0] and not args.no_check:
                check = amf.select_batch_for_policy(policy, pool, cand_all[idx], targets, batch_size=args.batch_size,
                                                    noise_variance=args.noise_variance, backend="cpu",
                                                    parameters=args.parameters, projection=projection(args), seed=1,
                                                    gram_precision=args.gram_precision)
                assert list(check["batch"]) == list(r["batch"]), (check["batch"], r["batch"])
    if args.out:
        with open(args.out, "w") as f:
            f.write("\n".join(rows) + "\n")


def projection(args):
    return None if args.parameters == "head" else args.projection


def one_round(policy, pool, candidates, targets, args):
    """select_batch_for_policy's steps (amf/torch_policy.py), timed one by one."""
    import torch

    import amf

    S, A, offsets, own_tasks = (np.asarray(pool[k], dtype=float) for k in
                                ("pool_states", "pool_actions", "traj_offsets", "pool_tasks"))
    offsets = offsets.astype(np.int64)
    n = len(S)
    own = np.repeat(own_tasks, np.diff(offsets), axis=0)
    sigma = 0.5
    log_norm = 0.5 * A.shape[1] * np.log(2 * np.pi * sigma ** 2)

    def logp(tasks):
        out = []
        with torch.no_grad():
            for t in tasks:  # one task at a time: n rows
                x = torch.as_tensor(np.hstack([S, np.tile(t, (n, 1))]), dtype=torch.float32)
                f = policy(x).double().numpy()
                out.append(-0.5 * ((f - A) ** 2).sum(1) / sigma ** 2 - log_norm)
        return np.stack(out)

    t = [time.time()]
    cand_logp, target_logp = logp(candidates), logp(targets)
    with torch.no_grad():
        f = policy(torch.as_tensor(np.hstack([S, own]), dtype=torch.float32)).double().numpy()
    own_logp = -0.5 * ((f - A) ** 2).sum(1) / sigma ** 2 - log_norm
    t.append(time.time())
    pairs, _ = amf.kept_candidate_pairs(offsets, cand_logp, own_logp, clip=(-50.0, 50.0), min_weight=1e-6)
    target_steps = amf.kept_target_steps(offsets, target_logp, own_logp, clip=(-50.0, 50.0), min_weight=1e-6)
    t.append(time.time())
    steps = np.concatenate([c * n + np.arange(offsets[i], offsets[i + 1]) for c, i in pairs])
    feature_rows = np.full(len(candidates) * n, -1, dtype=np.int64)
    feature_rows[steps] = np.arange(len(steps))
    xc = np.hstack([S[steps % n], candidates[steps // n]])
    target_rows = np.full(len(targets) * n, -1, dtype=np.int64)
    target_rows[target_steps] = np.arange(len(target_steps))
    xt = np.hstack([S[target_steps % n], targets[target_steps // n]])
    kw = dict(parameters=args.parameters, projection=projection(args), seed=1, token_form="auto",
              groups=not args.padded)
    fc = policy.loss_gradient_features(xc, A[steps % n], **kw)
    ft = policy.loss_gradient_features(xt, A[target_steps % n], **kw)
    first = lambda tasks: np.hstack([S[:1].repeat(len(tasks), 0), tasks])  # noqa: E731 (a row per task)
    groups = {} if args.padded else dict(candidate_groups=policy.feature_groups(first(candidates)),
                                         target_groups=policy.feature_groups(first(targets)))
    t.append(time.time())
    result = amf.feature_select_batch(offsets, cand_logp, target_logp, own_logp, fc, ft, None,
                                      batch_size=args.batch_size, noise_variance=args.noise_variance,
                                      clip=(-50.0, 50.0), min_weight=1e-6, backend="cpu",
                                      gram_precision=args.gram_precision,
                                      session_cache_bytes=None if args.session_cache_gb is None
                                      else int(args.session_cache_gb * 2**30),
                                      candidate_feature_rows=feature_rows, target_feature_rows=target_rows, **groups)
    t.append(time.time())
    return {"logp": t[1] - t[0], "prune": t[2] - t[1], "features": t[3] - t[2], "criterion": t[4] - t[3],
            "total": t[4] - t[0], "pairs": len(candidates) * len(own_tasks), "kept": len(pairs),
            "target_points": len(target_steps), "feature_rows": len(steps) + len(xt), "batch": result["batch"]}


if __name__ == "__main__":
    main()
