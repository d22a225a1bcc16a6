"""The paper's Fig. 4 protocol for a scene driven from Python and a torch policy: AMF-NN against
uniform task selection, with and without parameter isolation, on uniform and skewed
pre-training. The same protocol as the C++ ``amf nn-study`` (host/study/nn_study.cpp), and the
same output files, so tools/plot_nn_study.py draws both.

A job is one (pre-training distribution, seed): its demonstrations, behaviour-cloned policy,
warm-start demonstrations and evaluation placements are shared by every arm (paired
comparisons). Per arm: the warm-start demonstrations (one per task) form the first pool and are
held back from training until a task of their partition is selected; AMF selects with a copy of
the policy never trained on them (paper App. I.3.4). Each round picks a batch of tasks,
demonstrates them with the scene's expert, fine-tunes (steps_per_round Adam steps on all training
demonstrations so far) and evaluates every task.

A scene provides task_names, num_tasks, state_dim, task_dim, action_dim, task_vector(k),
demonstrate(k, seed, placement_seed) and success(act, k, episodes, seed).
"""
import concurrent.futures
import contextlib
import dataclasses
import fcntl
import hashlib
import json
import multiprocessing
import os
import time

import numpy as np

from . import pool_from_demonstrations, write_study_outputs
from .torch_policy import select_batch_for_policy


@dataclasses.dataclass
class PolicyStudyConfig:
    env: str = "metaworld"
    figure: str = "fig4"
    pretrain: tuple = ("uniform", "skewed")
    pretrain_demos: int = 8          # behaviour-cloning demonstrations (skewed: the first two tasks only)
    budget: int = 12                 # demonstrations chosen by the selector (warm start excluded)
    batch_size: int = 2
    seeds: int = 4
    first_seed: int = 0
    eval_episodes: int = 5           # per task per evaluation
    width: int = 128
    depth: int = 2
    learning_rate: float = 1e-3
    minibatch: int = 256
    pretrain_steps: int = 1500
    steps_per_round: int = 200
    sigma_pi: float = 0.5            # Gaussian likelihood std around the deterministic policy
    noise_variances: tuple = (10.0,)  # one AMF arm per sigma^2 (mean Gram diagonal 66-150 at this size:
                                     # tools/metaworld_kernel_scale.py)
    selection_stride: int = 4        # every stride-th pool step enters the criterion
    clip: tuple = (-50.0, 50.0)
    min_weight: float = 1e-6
    confidence: float = 0.90
    interval: str = "t"              # CIs over seeds: "t" (Student-t) or "bootstrap" (percentile)
    bootstrap_resamples: int = 2000
    workers: int = 0                 # jobs at a time; 0: one per core

    def arms(self):
        arms = [{"label": f"amf s2={s2:g}", "selector": "amf", "noise_variance": float(s2), "isolation": True}
                for s2 in self.noise_variances]
        arms.append({"label": "uniform", "selector": "uniform", "isolation": True})
        arms.append({"label": "uniform, no isolation", "selector": "uniform", "isolation": False})
        # The baselines that decide whether AMF does more than find the task the policy is worst
        # at (issue #16; the same two as `amf nn-study`): privileged rebalancing sees the deployed
        # policy's success per task at the last evaluation; max-loss picks the tasks whose
        # warm-start demonstration the selection copy imitates worst.
        arms.append({"label": "rebalance (privileged)", "selector": "rebalance", "isolation": True})
        arms.append({"label": "max warm-start loss", "selector": "max-loss", "isolation": True})
        return arms

    def validate(self):
        positive = ("pretrain_demos", "budget", "batch_size", "seeds", "eval_episodes", "width", "depth", "minibatch",
                    "selection_stride", "bootstrap_resamples")
        for name in positive:
            if getattr(self, name) < 1:
                raise ValueError(f"policy study: {name} = {getattr(self, name)} (must be >= 1)")
        for name in ("pretrain_steps", "steps_per_round", "first_seed", "workers"):
            if getattr(self, name) < 0:
                raise ValueError(f"policy study: {name} = {getattr(self, name)} (must be >= 0)")
        for name in ("learning_rate", "sigma_pi"):
            if not getattr(self, name) > 0:
                raise ValueError(f"policy study: {name} = {getattr(self, name)} (must be > 0)")
        if not self.noise_variances or any(not s > 0 for s in self.noise_variances):
            raise ValueError(f"policy study: noise_variances = {self.noise_variances} (need at least one, all > 0)")
        if not self.pretrain or any(p not in ("uniform", "skewed") for p in self.pretrain):
            raise ValueError(f"policy study: pretrain = {self.pretrain} (each uniform or skewed)")
        if not 0 < self.confidence < 1:
            raise ValueError(f"policy study: confidence = {self.confidence} (must be in (0, 1))")

    def to_json(self):
        d = dataclasses.asdict(self)
        d["arms"] = self.arms()
        return d

    def fingerprint(self):
        """What a job's checkpoint must match to be reused: everything that changes a job's results.
        Not the job list (seeds, pre-training kinds: a job's seed depends on its own name only, so
        more seeds or one kind can reuse a directory) and not the summary's knobs."""
        d = self.to_json()
        for k in ("pretrain", "seeds", "first_seed", "workers", "confidence", "bootstrap_resamples", "interval"):
            d.pop(k)
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]


def _seed(*parts):
    """A 63-bit seed from names and numbers (stable across runs and processes)."""
    h = hashlib.sha256("/".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(h[:8], "little") >> 1


def _write_atomic(path, text):
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------
# One job: pre-training shared by the arms, then each arm's rounds.

class _Trainer:
    """Adam on the mean squared action error, minibatches drawn from a seeded generator; the
    optimiser state persists across rounds, as fine-tuning continues from round to round."""

    def __init__(self, policy, cfg, seed):
        import torch

        self.policy, self.cfg = policy, cfg
        self.opt = torch.optim.Adam(policy.parameters(), lr=cfg.learning_rate)
        self.gen = torch.Generator().manual_seed(seed)

    def train(self, demos, steps):
        import torch

        if not demos or steps == 0:
            return
        x = torch.as_tensor(np.concatenate([np.hstack([d["states"], np.tile(d["task"], (len(d["states"]), 1))])
                                            for d in demos]), dtype=torch.float32)
        y = torch.as_tensor(np.concatenate([d["actions"] for d in demos]), dtype=torch.float32)
        self.policy.train()
        for _ in range(steps):
            idx = torch.randint(len(x), (min(self.cfg.minibatch, len(x)),), generator=self.gen)
            loss = ((self.policy(x[idx]) - y[idx]) ** 2).sum(dim=1).mean()
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
        self.policy.eval()


class JobEvaluations:
    """The success rates of one job's evaluations, remembered by task and by the parameters of the
    copy that acts for it. A scene's success() is a pure function of the acting copy, the task,
    the episode count and the evaluation seed (every episode resets the simulator from its
    placement; tests/python_venv checks this for both real scenes), so an evaluation of a copy no
    round has changed is the earlier one, bit for bit: round 0 is the same pre-trained policy in
    every arm of a job, and a task-isolated copy stays untouched until its task is first picked.
    Evaluation is most of the cost of the MuJoCo studies (a failing episode runs all its steps)."""

    def __init__(self, scene, episodes, seed):
        self.scene, self.episodes, self.seed = scene, episodes, seed
        self._rates = {}
        self.computed = 0  # scene.success() calls made (the rest were remembered)

    @staticmethod
    def digest(module):
        """A hash of the module's parameters and buffers (names, shapes, dtypes and bytes)."""
        h = hashlib.blake2b(digest_size=20)
        for name, tensor in module.state_dict().items():
            t = tensor.detach().cpu().contiguous()
            h.update(f"{name}:{tuple(t.shape)}:{t.dtype};".encode())
            h.update(t.numpy().tobytes())
        return h.hexdigest()

    def success(self, act, k, acting):
        """scene.success(act, k, episodes, seed), where act(obs, k) runs the module `acting`."""
        key = (int(k), self.digest(acting))
        if key not in self._rates:
            self._rates[key] = self.scene.success(act, k, self.episodes, self.seed)
            self.computed += 1
        return self._rates[key]


def _pretrain_tasks(kind, num_tasks):
    return list(range(min(2, num_tasks))) if kind == "skewed" else list(range(num_tasks))


def _strided(demo, stride):
    return {"task": demo["task"], "states": demo["states"][::stride], "actions": demo["actions"][::stride]}


def top_tasks(score, batch, rng):
    """The batch of tasks with the highest score, ties broken at random; cycles when the batch is
    larger than the task count (as `amf nn-study` does)."""
    order = rng.permutation(len(score))
    order = order[np.argsort(-np.asarray(score, dtype=float)[order], kind="stable")]
    return [int(order[b % len(order)]) for b in range(batch)]


def warm_start_losses(selection, warm, tasks, part):
    """Mean squared action error per step of the selection copy on each task's warm-start
    demonstration, each task through the copy of its partition."""
    import torch

    losses = []
    with torch.no_grad():
        for k, demo in enumerate(warm):
            states = torch.as_tensor(demo["states"], dtype=torch.float32)
            x = torch.cat([states, torch.as_tensor(tasks[k], dtype=torch.float32).expand(len(states), -1)], dim=1)
            err = selection.copies[part[k]](x) - torch.as_tensor(demo["actions"], dtype=torch.float32)
            losses.append(float(err.pow(2).sum(dim=1).mean()))
    return losses


def _run_arm(scene, cfg, arm, pretrained, warm, job, job_seed, placement_seed, evaluations, observe=None):
    """One arm's rounds: {"rounds": success per round, "picks": the tasks demonstrated}.

    evaluations None runs the selection alone: the deployed policy is neither fine-tuned nor
    evaluated, which the picks of AMF and max-loss do not depend on (they see only the selection
    copy), and "rounds" stays empty; uniform and rebalance need the evaluations. observe(round,
    selection copy, pool, demonstrations in the pool, criterion result) is called after each AMF
    selection, before the picks are demonstrated (tools/metaworld_selection_trace.py records the
    criterion with it)."""
    import copy

    import torch

    from .isolation import TaskIsolatedPolicy

    K = scene.num_tasks
    tasks = np.stack([scene.task_vector(k) for k in range(K)])
    centres = tasks if arm["isolation"] else tasks.mean(axis=0, keepdims=True)
    arm_seed = _seed(job_seed, arm["label"])
    rng = np.random.default_rng(arm_seed)
    torch.manual_seed(arm_seed)
    deployed = TaskIsolatedPolicy(pretrained, centres, task_start=scene.state_dim)
    trainer = _Trainer(deployed, cfg, _seed(arm_seed, "deployed"))
    # The selection copy (AMF, max-loss) is never trained on the warm start.
    uses_selection_copy = arm["selector"] not in ("uniform", "rebalance")
    if evaluations is None and not uses_selection_copy:
        raise ValueError(f"arm '{arm['label']}' selects from the deployed policy's success or at random: "
                         "it cannot run without evaluations")
    if uses_selection_copy:
        selection = copy.deepcopy(deployed)
        sel_trainer = _Trainer(selection, cfg, _seed(arm_seed, "selection"))
    part = deployed.partition_of(tasks).tolist()
    released = set()  # partitions whose warm-start demonstrations are in the training set

    def act(obs, k):  # straight to task k's copy: the masked sum would run every copy
        with torch.no_grad():
            x = torch.as_tensor(np.concatenate([obs, tasks[k]]), dtype=torch.float32)
            return deployed.copies[part[k]](x.unsqueeze(0))[0].numpy()

    rounds, picks, selected = [], [], []

    def record(r):
        if evaluations is None:
            return
        per_task = [evaluations.success(act, k, deployed.copies[part[k]]) for k in range(K)]
        rounds.append({"pretrain": job["pretrain"], "arm": arm["label"], "seed": job["seed"], "round": r,
                       "demos": len(selected), "success": float(np.mean(per_task)), "task_success": per_task})

    record(0)
    r = 0
    while len(selected) < cfg.budget:
        b = min(cfg.batch_size, cfg.budget - len(selected))
        if arm["selector"] == "uniform":
            chosen = [int(rng.integers(K)) for _ in range(b)]
        elif arm["selector"] == "rebalance":
            chosen = top_tasks([1.0 - s for s in rounds[-1]["task_success"]], b, rng)
        elif arm["selector"] == "max-loss":
            chosen = top_tasks(warm_start_losses(selection, warm, tasks, part), b, rng)
        else:
            pool = pool_from_demonstrations([_strided(d, cfg.selection_stride) for d in warm + selected])
            result = select_batch_for_policy(selection, pool, tasks, tasks, sigma_pi=cfg.sigma_pi, batch_size=b,
                                             noise_variance=arm["noise_variance"], clip=cfg.clip,
                                             min_weight=cfg.min_weight, backend="cpu")
            chosen = [int(k) for k in result["batch"]]
            if observe is not None:
                observe(r, selection, pool, warm + selected, result)
        new = []
        for i, k in enumerate(chosen):
            picks.append({"pretrain": job["pretrain"], "arm": arm["label"], "seed": job["seed"], "round": r,
                          "task": scene.task_names[k]})
            new.append(scene.demonstrate(k, _seed(arm_seed, "demo", r, i), placement_seed))
            released.add(part[k])
        selected += new
        train = selected + [w for k, w in enumerate(warm) if part[k] in released]  # warm[k] shows task k
        if evaluations is not None:
            trainer.train(train, cfg.steps_per_round)
        if uses_selection_copy:
            sel_trainer.train(selected, cfg.steps_per_round)
        r += 1
        record(r)
    return {"rounds": rounds, "picks": picks}


def _job_path(out, job):
    return os.path.join(out, "jobs", f"job_{job['pretrain']}_seed{job['seed']}.json")


def _load_job(path, fingerprint):
    if not os.path.exists(path):
        return {}
    try:
        with open(path) as f:
            saved = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: unreadable checkpoint ({e}); delete it to recompute that job") from e
    if saved.get("fingerprint") != fingerprint:
        raise ValueError(f"{path}: written by another configuration (fingerprint {saved.get('fingerprint')}, this "
                         f"study {fingerprint}); use another --out directory")
    return saved.get("arms", {})


def job_seeds(cfg, job):
    """(job seed, placement seed) of a (pre-training, seed) job: from its names alone."""
    job_seed = _seed(cfg.env, job["pretrain"], job["seed"])
    return job_seed, _seed(job_seed, "placements") % (2**31)


def pretrain_job(scene, cfg, job):
    """A job's pre-trained policy and its warm-start demonstrations (one per task), shared by
    every arm of the job; also what tools/metaworld_kernel_scale.py measures."""
    import torch

    from .isolation import mlp_policy

    K = scene.num_tasks
    job_seed, placement_seed = job_seeds(cfg, job)
    allowed = _pretrain_tasks(job["pretrain"], K)
    pre = [scene.demonstrate(allowed[d % len(allowed)], _seed(job_seed, "pretrain", d), placement_seed)
           for d in range(cfg.pretrain_demos)]
    warm = [scene.demonstrate(k, _seed(job_seed, "warm", k), placement_seed) for k in range(K)]
    states = np.concatenate([d["states"] for d in pre])
    dc = scene.task_dim
    mean = np.concatenate([states.mean(axis=0), np.zeros(dc)])
    scale = np.concatenate([states.std(axis=0) + 1e-3, np.ones(dc)])
    torch.manual_seed(_seed(job_seed, "init"))
    pretrained = mlp_policy(scene.state_dim + dc, scene.action_dim, cfg.width, cfg.depth, mean, scale)
    _Trainer(pretrained, cfg, _seed(job_seed, "bc")).train(pre, cfg.pretrain_steps)
    return pretrained, warm


def _one_pretraining(done, arms):
    """Whether every arm is saved and all from one pre-trained policy: under one "pretrained" id,
    or, all saved before the ids, with one round-0 success per task."""
    if not all(a["label"] in done for a in arms):
        return False
    saved = [done[a["label"]] for a in arms]
    ids = {arm.get("pretrained") for arm in saved}
    round0 = {tuple(arm["rounds"][0]["task_success"]) for arm in saved}
    return len(ids) == 1 and (None not in ids or len(round0) == 1)


def _keep_arms_of_this_pretraining(done, job, pretrained_id, untouched_success):
    """Drops (to recompute) the saved arms of `done` that started from another pre-trained policy
    than this process's: pre-training is deterministic on one machine and build, but its float
    results differ between CPUs and builds, so a job resumed elsewhere would mix arms that are no
    longer paired. An arm saved with a "pretrained" id must carry this one; an older arm must show
    this pre-training's round-0 success per task, untouched_success() (necessary, not sufficient:
    it is kept on that evidence). Kept arms get the id. Returns whether `done` changed."""
    changed, round0 = False, None
    for label in list(done):
        arm = done[label]
        if "pretrained" in arm:
            if arm["pretrained"] == pretrained_id:
                continue
            why = f"it records pre-trained policy {arm['pretrained']}, this process's is {pretrained_id}"
        else:
            if round0 is None:
                round0 = [float(x) for x in untouched_success()]
            if [float(x) for x in arm["rounds"][0]["task_success"]] == round0:
                arm["pretrained"] = pretrained_id
                changed = True
                continue
            why = "its round-0 success per task differs from this pre-training's"
        print(f"[amf study] {job['pretrain']} seed {job['seed']}: arm '{label}' was computed from another pre-trained "
              f"policy ({why}; pre-training's float results differ between machines and builds); recomputing it "
              "so that every arm of the job starts from the same policy", flush=True)
        del done[label]
        changed = True
    return changed


def _untouched_success(scene, pretrained, evaluations):
    """The pre-trained policy's success per task, as every arm's round 0 evaluates it (under the
    same digest, so the arms reuse it)."""
    import torch

    tasks = np.stack([scene.task_vector(k) for k in range(scene.num_tasks)])

    def act(obs, k):
        with torch.no_grad():
            x = torch.as_tensor(np.concatenate([obs, tasks[k]]), dtype=torch.float32)
            return pretrained(x.unsqueeze(0))[0].numpy()

    return [evaluations.success(act, k, pretrained) for k in range(scene.num_tasks)]


def run_job(make_scene, cfg, job, out, parent=None):
    """Runs (or resumes) one job, checkpointing every finished arm; returns {label: arm result}.
    parent: the study's process id; a worker whose study died stops before its next arm instead
    of computing on as an orphan."""
    import torch

    torch.set_num_threads(1)  # jobs fill the cores; results must not depend on the thread count
    fingerprint = cfg.fingerprint()
    path = _job_path(out, job) if out else None
    done = _load_job(path, fingerprint) if path else {}
    arms = cfg.arms()
    if _one_pretraining(done, arms):
        return done  # what job_complete() promised run_jobs
    scene = make_scene()
    K = scene.num_tasks
    job_seed, placement_seed = job_seeds(cfg, job)
    eval_seed = _seed("evaluation", job["seed"]) % (2**31)
    pretrained, warm = pretrain_job(scene, cfg, job)
    evaluations = JobEvaluations(scene, cfg.eval_episodes, eval_seed)
    pretrained_id = JobEvaluations.digest(pretrained)
    untouched = lambda: _untouched_success(scene, pretrained, evaluations)  # noqa: E731
    if _keep_arms_of_this_pretraining(done, job, pretrained_id, untouched) and path:
        _write_atomic(path, json.dumps({"fingerprint": fingerprint, "job": job, "arms": done}) + "\n")
    for arm in arms:
        if arm["label"] in done:
            continue
        if parent is not None and os.getppid() != parent:
            raise SystemExit(f"[amf study] the study process {parent} is gone: stopping")
        start, computed = time.time(), evaluations.computed
        done[arm["label"]] = _run_arm(scene, cfg, arm, pretrained, warm, job, job_seed, placement_seed, evaluations)
        done[arm["label"]]["pretrained"] = pretrained_id
        if path:
            _write_atomic(path, json.dumps({"fingerprint": fingerprint, "job": job, "arms": done}) + "\n")
        rounds = done[arm["label"]]["rounds"]
        print(f"[amf study] {job['pretrain']} seed {job['seed']}: {arm['label']} done in {time.time() - start:.0f} s "
              f"(final success {rounds[-1]['success']:.2f}; {evaluations.computed - computed} of "
              f"{len(rounds) * K} task evaluations run, the rest unchanged copies)", flush=True)
    return done


def job_complete(cfg, job, out):
    """Whether out holds every arm of job from one pre-trained policy, so run_job returns it
    without computing."""
    return _one_pretraining(_load_job(_job_path(out, job), cfg.fingerprint()), cfg.arms())


def run_study(make_scene, cfg, out):
    """Every job, over `workers` processes, resuming from out/jobs; writes the output files and
    returns the summary table."""
    cfg.validate()
    os.makedirs(os.path.join(out, "jobs"), exist_ok=True)
    with exclusive(out):
        jobs, results = run_jobs(make_scene, cfg, out, run_job, job_complete)
        scene_tasks = make_scene().task_names
        return write_outputs(cfg, scene_tasks, jobs, results, out)


@contextlib.contextmanager
def exclusive(out):
    """One study per directory: two would compute the same jobs and race on their checkpoints.
    flock is released by the kernel when the holder dies, so a killed study leaves no stale lock."""
    with open(os.path.join(out, ".study.lock"), "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(f"{out}: another study is running in this directory") from None
        yield


def job_key(job):
    """A job's key in run_jobs' results: its values in key order, e.g. (pretrain, seed)."""
    return tuple(job.values())


@dataclasses.dataclass
class JobProgress:
    """Where run_jobs stands, the twin of the C++ studies' amf::StudyProgress: jobs read back whole
    from checkpoints finish at once, so they count as done but not towards the rate the time
    left is estimated from."""
    total: int
    done: int = 0
    restored: int = 0  # of `done`, read back whole from checkpoints
    elapsed: float = 0.0

    def seconds_left(self):
        """At the rate of the jobs this process computed; None until it has computed one."""
        computed = self.done - self.restored
        return self.elapsed / computed * (self.total - self.done) if computed > 0 else None

    def line(self):
        """"3/20 jobs done (2 from checkpoints), 10 s elapsed, about 50 s left", the C++ studies'
        line; tools/paper_runs.py reads "N/M jobs done" and "X s elapsed" back from study logs."""
        text = f"{self.done}/{self.total} jobs done"
        if self.restored:
            text += f" ({self.restored} from checkpoints)"
        text += f", {self.elapsed:.0f} s elapsed"
        left = self.seconds_left()
        return text + (f", about {left:.0f} s left" if left is not None else "")


def run_jobs(make_scene, cfg, out, job_runner, job_complete, jobs=None):
    """Runs job_runner(make_scene, cfg, job, out, parent) for every job over `workers` spawned
    processes (cfg.workers; cfg's pretrain, seeds, first_seed, env and figure too); returns
    (jobs, {job_key(job): the runner's result}). job_complete(cfg, job, out): whether the runner
    will return the job from its checkpoint without computing (for the time left). The jobs are
    {"pretrain", "seed"} for every pre-training and seed of cfg unless given (a study with its own
    protocol, amf.mt_study, adds keys); workers take them in order. The caller holds exclusive(out)."""
    if jobs is None:
        jobs = [{"pretrain": p, "seed": s} for p in cfg.pretrain for s in range(cfg.first_seed, cfg.first_seed + cfg.seeds)]
    workers = min(cfg.workers or os.cpu_count() or 1, len(jobs))
    start = time.time()
    saved = {job_key(job) for job in jobs if out and job_complete(cfg, job, out)}
    progress = JobProgress(total=len(jobs))
    results = {}
    print(f"[amf study] {cfg.env} {cfg.figure}: {len(jobs)} jobs x {len(cfg.arms())} arms on {workers} "
          f"process(es); checkpoints in {out}/jobs", flush=True)

    def finished(job, result):
        results[job_key(job)] = result
        progress.done += 1
        progress.restored += job_key(job) in saved
        progress.elapsed = time.time() - start
        print(f"[amf study] {progress.line()}", flush=True)

    if workers == 1:
        for job in jobs:
            finished(job, job_runner(make_scene, cfg, job, out))
    else:
        ctx = multiprocessing.get_context("spawn")  # torch and MuJoCo state must not be forked
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            futures = {pool.submit(job_runner, make_scene, cfg, job, out, os.getpid()): job for job in jobs}
            for f in concurrent.futures.as_completed(futures):
                try:
                    result = f.result()
                except BaseException:
                    for other in futures:  # fail now, not after every other job has run
                        other.cancel()
                    raise
                finished(futures[f], result)
    return jobs, results


# ---------------------------------------------------------------------------------------------
# Output files: the C++ studies' writer (amf::write_success_study_outputs), so both studies write
# the same formats, bootstrap seeds and tables.

def write_outputs(cfg, task_names, jobs, results, out):
    arms = [a["label"] for a in cfg.arms()]
    per_job = [results[job_key(job)][a] for job in jobs for a in arms]
    spec = {"env": cfg.env, "figure": cfg.figure, "task_names": list(task_names), "pretrain": list(cfg.pretrain),
            "arm_labels": arms, "budget": cfg.budget, "seeds": cfg.seeds,
            "bootstrap_resamples": cfg.bootstrap_resamples, "confidence": cfg.confidence, "interval": cfg.interval,
            "config_json": json.dumps(cfg.to_json())}
    return write_study_outputs(spec, [r for arm in per_job for r in arm["rounds"]],
                               [p for arm in per_job for p in arm["picks"]], out)


def plot(out):
    """PNG and SVG plots beside the CSVs (tools/plot_nn_study.py, shipped in the package)."""
    from .plot_nn_study import main

    main(out)

