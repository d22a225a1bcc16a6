"""Active multi-task fine-tuning over a large task space: a generalist transformer policy on
Metaworld's MT10 / MT50 environments with many placements each (amf.metaworld_mt_scene), where
every (environment, placement) pair is a candidate task and the targets are held-out
placements, the same number per environment.

A job is one (pre-training, seed): behaviour cloning of an ACT-style transformer
(amf.act_policy, chunk 1) on demonstrations of some environments ("skewed": the first half,
"uniform": all), one warm-start demonstration per environment, and the evaluation of the
pre-trained policy on every target; all shared by the job's arms (paired comparisons). Each arm
runs at every batch size of the configuration: rounds of select -> demonstrate -> fine-tune ->
evaluate until the budget is spent. The records of batch size B are written under the
pre-training name "<pretrain> b=B", so the tables, paired differences and plots of the shared
writer (amf.policy_study) compare arms at equal batch size.

Fine-tuning isolates parameters per environment (one copy of the policy per environment,
amf.isolation.TaskIsolatedPolicy routed by the environment one-hot), or not ("no isolation"
arms). As in amf.policy_study, the warm-start demonstrations form the first selection pool and
enter training only once their environment's partition is chosen, and AMF selects with a copy of
the policy that is never trained on them.

Arms (each at every batch size):
  amf all              AMF-NN on projected loss-gradient features of the whole policy
  amf head             AMF-NN on the action head's loss gradient only
  uniform              uniform over candidates (the reference of the paired differences)
  uniform over envs    an environment uniformly, then one of its placements uniformly
  rebalance            privileged: the environments with the lowest target success at the last
                       evaluation, a placement of each uniformly
  uniform, no isolation / amf all, no isolation: one shared copy for every environment
"""
import copy
import dataclasses
import hashlib
import json
import os
import time

import numpy as np

from . import pool_from_demonstrations, write_study_outputs
from .policy_study import (JobEvaluations, _keep_arms_of_this_pretraining, _load_job, _one_pretraining, _seed, _Trainer,
                           _write_atomic, exclusive, job_key, run_jobs, top_tasks)

ARMS = {  # selector name -> (label, isolation)
    "amf-all": ("amf all", True),
    "amf-head": ("amf head", True),
    "uniform": ("uniform", True),
    "uniform-envs": ("uniform over envs", True),
    "rebalance": ("rebalance (privileged)", True),
    "uniform-no-isolation": ("uniform, no isolation", False),
    "amf-all-no-isolation": ("amf all, no isolation", False),
}


@dataclasses.dataclass
class MtStudyConfig:
    env: str = "metaworld-mt"
    figure: str = "mt"
    benchmark: str = "mt10"
    envs: tuple = ()                 # environment names; empty: the benchmark's
    placements: int = 50             # candidates per environment
    target_placements: int = 5       # held-out targets per environment
    candidate_seed: int = 1          # Metaworld's placement seeds of candidates and targets
    target_seed: int = 2
    pretrain: tuple = ("skewed",)
    pretrain_demos: int = 40         # behaviour-cloning demonstrations, spread over the pre-training environments
    budget: int = 20
    batch_sizes: tuple = (5, 20)
    seeds: int = 5
    first_seed: int = 0
    arm_names: tuple = tuple(ARMS)
    eval_steps: int = 150
    dim: int = 64                    # the transformer's width, heads, layers, feed-forward width
    heads: int = 4
    encoder_layers: int = 1
    decoder_layers: int = 1
    feedforward: int = 128
    learning_rate: float = 1e-3
    minibatch: int = 256
    pretrain_steps: int = 1500
    steps_per_round: int = 200
    sigma_pi: float = 0.5
    noise_variance: float = 10.0
    projection: int = 64             # per-layer sketch size of the "amf all" features
    selection_stride: int = 4
    clip: tuple = (-50.0, 50.0)
    min_weight: float = 1e-6
    # The candidate-target Gram GEMMs of AMF-NN's criterion in float32 (accumulated in float64;
    # README "Backends, CUDA and speed"): 3-4x faster, which the shared-policy arm's recomputed pairs need to fit
    # the default study in an hour here. "float64" for the exact criterion.
    gram_precision: str = "float32"
    confidence: float = 0.90
    interval: str = "t"
    bootstrap_resamples: int = 2000
    workers: int = 0

    def arms(self):
        return [{"label": ARMS[n][0], "selector": n, "isolation": ARMS[n][1]} for n in self.arm_names]

    def record_pretrain(self):
        """The writer's pre-training keys: one per (pre-training, batch size)."""
        return [f"{p} b={b}" for p in self.pretrain for b in self.batch_sizes]

    def scene_kwargs(self):
        return {"benchmark": self.benchmark, "envs": list(self.envs) or None, "placements": self.placements,
                "target_placements": self.target_placements, "candidate_seed": self.candidate_seed,
                "target_seed": self.target_seed, "eval_steps": self.eval_steps}

    def validate(self):
        where = "metaworld MT study"
        for name in ("placements", "target_placements", "pretrain_demos", "budget", "seeds", "dim", "heads",
                     "encoder_layers", "decoder_layers", "feedforward", "minibatch", "projection", "selection_stride",
                     "bootstrap_resamples", "eval_steps"):
            if getattr(self, name) < 1:
                raise ValueError(f"{where}: {name} = {getattr(self, name)} (must be >= 1)")
        for name in ("pretrain_steps", "steps_per_round", "first_seed", "workers"):
            if getattr(self, name) < 0:
                raise ValueError(f"{where}: {name} = {getattr(self, name)} (must be >= 0)")
        for name in ("learning_rate", "sigma_pi", "noise_variance"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{where}: {name} = {getattr(self, name)} (must be > 0)")
        if self.dim % self.heads:
            raise ValueError(f"{where}: dim = {self.dim} is not a multiple of heads = {self.heads}")
        if not self.batch_sizes or any(b < 1 for b in self.batch_sizes) or len(set(self.batch_sizes)) < len(
                self.batch_sizes):
            raise ValueError(f"{where}: batch_sizes = {self.batch_sizes} (distinct, each >= 1)")
        if not self.pretrain or any(p not in ("uniform", "skewed") for p in self.pretrain):
            raise ValueError(f"{where}: pretrain = {self.pretrain} (each uniform or skewed)")
        unknown = [n for n in self.arm_names if n not in ARMS]
        if not self.arm_names or unknown:
            raise ValueError(f"{where}: arm_names {unknown or '(none)'} unknown (choose from {', '.join(ARMS)})")
        if not 0 < self.confidence < 1:
            raise ValueError(f"{where}: confidence = {self.confidence} (must be in (0, 1))")
        if self.gram_precision not in ("float32", "float64"):
            raise ValueError(f"{where}: gram_precision = '{self.gram_precision}' (float32 or float64)")

    def to_json(self):
        d = dataclasses.asdict(self)
        d["arms"] = self.arms()
        return d

    def fingerprint(self):
        """What a job's checkpoint must match: everything that changes a job's results (not the
        job list, the arm list -- each arm is checkpointed on its own -- or the summary's knobs)."""
        d = self.to_json()
        for k in ("pretrain", "seeds", "first_seed", "workers", "confidence", "bootstrap_resamples", "interval",
                  "arm_names", "arms"):
            d.pop(k)
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]


# ---------------------------------------------------------------------------------------------


def _policy(scene, cfg, mean, scale):
    import torch

    from .act_policy import ActPolicy
    from .isolation import Standardize

    act = ActPolicy(scene.state_dim, scene.task_dim, scene.action_dim, chunk=1, dim=cfg.dim, heads=cfg.heads,
                    encoder_layers=cfg.encoder_layers, decoder_layers=cfg.decoder_layers,
                    feedforward=cfg.feedforward)
    return torch.nn.Sequential(Standardize(mean, scale), act)


def _strided(demo, stride):
    return {"task": demo["task"], "states": demo["states"][::stride], "actions": demo["actions"][::stride]}


class _Evaluator:
    """Success on every target, per environment. With parameter isolation, fine-tuning changes
    only the copies of the environments it trained on, and a Metaworld episode of a deterministic
    policy is deterministic, so only the environments whose copy changed are evaluated again (the
    copy's parameters are compared, not assumed)."""

    def __init__(self, scene, deployed, env_part, initial):
        self.scene, self.deployed, self.env_part = scene, deployed, env_part
        self.env_success = list(initial)
        self.snapshots = [self._snapshot(p) for p in range(len(deployed.copies))]

    def _snapshot(self, p):
        return [t.detach().clone() for t in self.deployed.copies[p].parameters()]

    def update(self):
        import torch

        changed = set()
        for p in range(len(self.deployed.copies)):
            now = self._snapshot(p)
            if any(not torch.equal(a, b) for a, b in zip(now, self.snapshots[p])):
                changed.add(p)
                self.snapshots[p] = now
        envs = [e for e in range(self.scene.num_envs) if self.env_part[e] in changed]
        for e, s in zip(envs, target_success(self.scene, self.deployed, envs)):
            self.env_success[e] = s
        return list(self.env_success)


def target_success(scene, policy, envs):
    """Success rate on the targets of each environment in envs: the policy (a TaskIsolatedPolicy
    or a plain module) acts through the copy of each target's environment."""
    import torch

    targets = scene.target_vectors()
    copies = getattr(policy, "copies", None)
    part = policy.partition_of(targets[:, :scene.num_envs]).tolist() if copies is not None else None
    out = []
    for e in envs:
        wins = 0
        js = np.flatnonzero(scene.target_env == e)
        for j in js:
            net = copies[part[j]] if copies is not None else policy

            def act(obs, j, net=net):
                with torch.no_grad():
                    x = torch.as_tensor(np.concatenate([obs, targets[j]]), dtype=torch.float32)
                    return net(x.unsqueeze(0))[0].numpy()

            wins += scene.target_success(act, j)
        out.append(wins / len(js))
    return out


def _choose(arm, b, scene, rng, env_success, selection, cfg, pool_demos, candidates, targets, round_seed):
    N, P = scene.num_tasks, scene.placements
    sel = arm["selector"]
    if sel.startswith("uniform-envs"):
        return [int(e) * P + int(rng.integers(P)) for e in rng.integers(scene.num_envs, size=b)]
    if sel.startswith("uniform"):
        return [int(k) for k in rng.integers(N, size=b)]
    if sel == "rebalance":
        return [e * P + int(rng.integers(P)) for e in top_tasks([1.0 - s for s in env_success], b, rng)]
    from .torch_policy import select_batch_for_policy

    pool = pool_from_demonstrations([_strided(d, cfg.selection_stride) for d in pool_demos])
    head = sel == "amf-head"
    result = select_batch_for_policy(selection, pool, candidates, targets, sigma_pi=cfg.sigma_pi, batch_size=b,
                                     noise_variance=cfg.noise_variance, clip=cfg.clip, min_weight=cfg.min_weight,
                                     gram_precision=cfg.gram_precision,
                                     backend="cpu", parameters="head" if head else "all",
                                     projection=None if head else cfg.projection, seed=round_seed % (2**62))
    return [int(k) for k in result["batch"]]


def _run_arm(scene, cfg, arm, B, pretrained, warm, initial_success, job, job_seed):
    import torch

    from .isolation import TaskIsolatedPolicy

    E = scene.num_envs
    key = f"{job['pretrain']} b={B}"
    arm_seed = _seed(job_seed, arm["label"], B)
    rng = np.random.default_rng(arm_seed)
    torch.manual_seed(arm_seed)
    centres = np.eye(E) if arm["isolation"] else np.full((1, E), 1.0 / E)
    # eval mode from the start (a new module is in train mode): the selection copy takes features
    # before its first fine-tuning, and the routed forward of train mode has no per-row hooks.
    deployed = TaskIsolatedPolicy(pretrained, centres, task_start=scene.state_dim, route=True).eval()
    trainer = _Trainer(deployed, cfg, _seed(arm_seed, "deployed"))
    uses_selection = arm["selector"].startswith("amf")
    if uses_selection:
        selection = copy.deepcopy(deployed)
        sel_trainer = _Trainer(selection, cfg, _seed(arm_seed, "selection"))
    env_part = deployed.partition_of(np.eye(E)).tolist()
    evaluator = _Evaluator(scene, deployed, env_part, initial_success)
    candidates, targets = scene.candidate_vectors(), scene.target_vectors()
    released, selected, picks = set(), [], []
    rounds = [{"pretrain": key, "arm": arm["label"], "seed": job["seed"], "round": 0, "demos": 0,
               "success": float(np.mean(initial_success)), "task_success": list(initial_success)}]
    r = 0
    while len(selected) < cfg.budget:
        b = min(B, cfg.budget - len(selected))
        start = time.time()
        chosen = _choose(arm, b, scene, rng, rounds[-1]["task_success"], selection if uses_selection else None, cfg,
                         warm + selected, candidates, targets, _seed(arm_seed, "select", r))
        select_s = time.time() - start
        for i, k in enumerate(chosen):
            picks.append({"pretrain": key, "arm": arm["label"], "seed": job["seed"], "round": r,
                          "task": scene.task_names[k]})
            selected.append(scene.demonstrate(k, _seed(arm_seed, "demo", r, i)))
            released.add(env_part[scene.candidate_env[k]])
        train = selected + [w for e, w in enumerate(warm) if env_part[e] in released]
        trainer.train(train, cfg.steps_per_round)
        if uses_selection:
            sel_trainer.train(selected, cfg.steps_per_round)
        r += 1
        env_success = evaluator.update()
        rounds.append({"pretrain": key, "arm": arm["label"], "seed": job["seed"], "round": r, "demos": len(selected),
                       "success": float(np.mean(env_success)), "task_success": env_success,
                       "selection_s": round(select_s, 3)})
    return {"rounds": rounds, "picks": picks}


def _job_path(out, job):
    return os.path.join(out, "jobs", f"job_{job['pretrain']}_seed{job['seed']}_b{job['batch']}.json")


def mt_jobs(cfg):
    """One job per (pre-training, seed, batch size): a job pre-trains its policy (the same for
    every batch size of a seed: the seeds do not depend on it) and runs every arm at its batch
    size. Smaller batches first: they select more rounds and take longest, so the workers end
    together instead of one finishing a long job alone."""
    return [{"pretrain": p, "seed": s, "batch": B} for B in sorted(cfg.batch_sizes) for p in cfg.pretrain
            for s in range(cfg.first_seed, cfg.first_seed + cfg.seeds)]


def _saved_arms(cfg, job, out):
    """{"<label> b=B": arm result} of job's checkpoint in out (empty without one)."""
    if not out:
        return {}
    saved = _load_job(_job_path(out, job), cfg.fingerprint())
    B = job["batch"]
    if not saved:
        # A checkpoint of the layout before jobs were split by batch size (one file per seed for
        # every batch size): its finished arms at this batch size are kept, not run again.
        whole_seed = os.path.join(out, "jobs", f"job_{job['pretrain']}_seed{job['seed']}.json")
        if os.path.exists(whole_seed):
            saved = {k: v for k, v in _load_job(whole_seed, cfg.fingerprint()).items() if k.endswith(f" b={B}")}
    return saved


def _arm_keys(cfg, B):
    return [{"label": f"{arm['label']} b={B}"} for arm in cfg.arms()]


def mt_job_complete(cfg, job, out):
    """Whether out holds every arm of job from one pre-trained policy, so run_mt_job returns it
    without computing."""
    return _one_pretraining(_saved_arms(cfg, job, out), _arm_keys(cfg, job["batch"]))


def run_mt_job(make_scene, cfg, job, out, parent=None):
    """Runs (or resumes) one job of mt_jobs, checkpointing every finished arm; returns
    {arm label: {"rounds", "picks"}}."""
    import torch

    torch.set_num_threads(1)  # jobs fill the cores; results must not depend on the thread count
    fingerprint = cfg.fingerprint()
    path = _job_path(out, job) if out else None
    saved = _saved_arms(cfg, job, out)
    B = job["batch"]
    if not _one_pretraining(saved, _arm_keys(cfg, B)):
        _run_missing(make_scene, cfg, job, B, saved, path, fingerprint, parent)
    return {arm["label"]: saved[f"{arm['label']} b={B}"] for arm in cfg.arms()}


def _run_missing(make_scene, cfg, job, B, saved, path, fingerprint, parent):
    """Pre-trains the job, drops saved arms of another pre-training, and runs the arms missing."""
    import torch

    scene = make_scene()
    E, P = scene.num_envs, scene.placements
    job_seed = _seed(cfg.env, job["pretrain"], job["seed"])
    rng = np.random.default_rng(_seed(job_seed, "placements"))
    allowed = list(range((E + 1) // 2)) if job["pretrain"] == "skewed" else list(range(E))
    pre = [scene.demonstrate(allowed[d % len(allowed)] * P + int(rng.integers(P)), _seed(job_seed, "pretrain", d))
           for d in range(cfg.pretrain_demos)]
    warm = [scene.demonstrate(e * P + int(rng.integers(P)), _seed(job_seed, "warm", e)) for e in range(E)]
    states = np.concatenate([d["states"] for d in pre])
    mean = np.concatenate([states.mean(axis=0), np.zeros(scene.task_dim)])
    scale = np.concatenate([states.std(axis=0) + 1e-3, np.ones(scene.task_dim)])
    torch.manual_seed(_seed(job_seed, "init"))
    pretrained = _policy(scene, cfg, mean, scale)
    start = time.time()
    _Trainer(pretrained, cfg, _seed(job_seed, "bc")).train(pre, cfg.pretrain_steps)
    initial = target_success(scene, pretrained, range(E))
    print(f"[amf study] {job['pretrain']} seed {job['seed']}: pre-trained and evaluated in {time.time() - start:.0f} s "
          f"(success {np.mean(initial):.2f})", flush=True)
    pretrained_id = JobEvaluations.digest(pretrained)
    if _keep_arms_of_this_pretraining(saved, job, pretrained_id, lambda: initial) and path:
        _write_atomic(path, json.dumps({"fingerprint": fingerprint, "job": job, "arms": saved}) + "\n")
    todo = [(arm, B) for arm in cfg.arms() if f"{arm['label']} b={B}" not in saved]
    for arm, B in todo:
        if parent is not None and os.getppid() != parent:
            raise SystemExit(f"[amf study] the study process {parent} is gone: stopping")
        start = time.time()
        result = _run_arm(scene, cfg, arm, B, pretrained, warm, initial, job, job_seed)
        result["pretrained"] = pretrained_id
        saved[f"{arm['label']} b={B}"] = result
        if path:
            _write_atomic(path, json.dumps({"fingerprint": fingerprint, "job": job, "arms": saved}) + "\n")
        print(f"[amf study] {job['pretrain']} seed {job['seed']}: {arm['label']} b={B} done in "
              f"{time.time() - start:.0f} s (final success {result['rounds'][-1]['success']:.2f})", flush=True)


def run_mt_study(make_scene, cfg, out):
    """Every job over `workers` processes, resuming from out/jobs; writes the shared output files
    (task columns: the environments) and picks_placements.csv; returns the summary table."""
    cfg.validate()
    os.makedirs(os.path.join(out, "jobs"), exist_ok=True)
    with exclusive(out):
        jobs, results = run_jobs(make_scene, cfg, out, run_mt_job, mt_job_complete, jobs=mt_jobs(cfg))
        scene = make_scene()
        return write_mt_outputs(cfg, scene.env_names, jobs, results, out)


def write_mt_outputs(cfg, env_names, jobs, results, out):
    labels = [a["label"] for a in cfg.arms()]
    arms = [results[job_key({"pretrain": p, "seed": s, "batch": B})][label] for p in cfg.pretrain
            for s in range(cfg.first_seed, cfg.first_seed + cfg.seeds) for B in cfg.batch_sizes for label in labels]
    spec = {"env": cfg.env, "figure": cfg.figure, "task_names": list(env_names), "pretrain": cfg.record_pretrain(),
            "arm_labels": labels, "budget": cfg.budget, "seeds": cfg.seeds,
            "bootstrap_resamples": cfg.bootstrap_resamples, "confidence": cfg.confidence, "interval": cfg.interval,
            "config_json": json.dumps(cfg.to_json())}
    rounds = [{k: v for k, v in r.items() if k != "selection_s"} for arm in arms for r in arm["rounds"]]
    table = write_study_outputs(spec, rounds, [p for arm in arms for p in arm["picks"]], out)
    timing = ["pretrain,arm,seed,round,selection_s"]
    timing += [f"{r['pretrain']},\"{r['arm']}\",{r['seed']},{r['round']},{r['selection_s']}"
               for arm in arms for r in arm["rounds"] if "selection_s" in r]
    _write_atomic(os.path.join(out, "selection_times.csv"), "\n".join(timing) + "\n")
    return table
