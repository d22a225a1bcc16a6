"""Metaworld v3's multi-task benchmarks (MT10, MT50) as a task space of hundreds to thousands of
candidate tasks: each task is an (environment, placement) pair, a placement being one of the
object/goal positions Metaworld's own sampling draws (``metaworld.MT1(name, seed).train_tasks``:
the 50 distinct placements its benchmarks use per environment and seed).

Candidates are the first `placements` placements of each environment under `candidate_seed`;
the targets are the first `target_placements` placements under another seed, `target_seed`, so
the policy is scored on placements it was never shown, the same number per environment (the
target distribution is uniform over environments).

The task vector the policy sees after the 39-dimensional observation is the environment as a
one-hot, then the normalised initial object position and goal position (observation entries 4:7
and 36:39 right after the reset: the same layout in every environment, whatever each one's
internal placement vector holds). The observation already shows both positions (Metaworld's MT
benchmarks make the goal observable); the task vector repeats them so that candidates of one
environment differ as tasks, which the selection needs to tell placements apart.

Experts are Metaworld's 50 scripted policies (``metaworld.policies.ENV_POLICY_MAP``). A
demonstration adds Gaussian action noise (std demo_noise) to the executed action and records the
expert's clean action, as amf.metaworld_scene does. Metaworld resets a placement to the same
state every time, so an evaluation episode of a deterministic policy is deterministic.

The interface is amf.metaworld_scene.MetaworldScene's (task_names, num_tasks, state_dim,
task_dim, action_dim, task_vector(k), demonstrate(k, seed, placement_seed), success(act, k,
episodes, seed)), with k a candidate index, plus the environment structure and the held-out
targets (env_names, candidate_env, target_vectors(), target_env, target_success(act, j)).
"""
import warnings

import numpy as np

from .metaworld_scene import ACTION_DIM, OBS_DIM, _import_metaworld, run_episode

BENCHMARKS = ("mt10", "mt50")
# Observation entries of the first object's and the goal's position (Metaworld v3's layout).
OBJECT_SLICE, GOAL_SLICE = slice(4, 7), slice(36, 39)
# Positions are mapped to about [-1, 1] by Metaworld's workspace (the table top in front of the
# Sawyer arm); fixed numbers rather than statistics of the candidates, so a task's vector does not
# depend on which other tasks are in the set.
_WORKSPACE_CENTRE = np.array([0.0, 0.65, 0.15])
_WORKSPACE_HALF = np.array([0.5, 0.3, 0.2])


def benchmark_envs(benchmark):
    """The environment names of Metaworld's MT10 or MT50 benchmark, in Metaworld's order."""
    _import_metaworld()
    from metaworld import env_dict

    if benchmark not in BENCHMARKS:
        raise ValueError(f"metaworld MT scene: benchmark '{benchmark}' is unknown (choose {' or '.join(BENCHMARKS)})")
    return list((env_dict.MT10_V3 if benchmark == "mt10" else env_dict.MT50_V3).keys())


class MetaworldMTScene:
    """envs: environment names (default: the benchmark's). placements: candidates per
    environment (at most 50, Metaworld's count per seed); target_placements: held-out targets per
    environment (at most 50). demo_steps / eval_steps cap an episode (Metaworld's experts finish
    most tasks in 50-150 steps; its own episode limit is 500)."""

    def __init__(self, benchmark="mt10", envs=None, placements=50, target_placements=5, candidate_seed=1,
                 target_seed=2, demo_steps=200, eval_steps=150, demo_noise=0.1):
        self._mw = _import_metaworld()
        import metaworld.policies
        from metaworld import env_dict

        self._env_classes = env_dict.ALL_V3_ENVIRONMENTS
        known = set(self._env_classes)
        self.env_names = list(envs) if envs is not None else benchmark_envs(benchmark)
        unknown = [e for e in self.env_names if e not in known]
        if not self.env_names or unknown:
            raise ValueError(f"metaworld MT scene: envs {unknown or '(none)'} are not Metaworld v3 environments")
        if len(set(self.env_names)) != len(self.env_names):
            raise ValueError(f"metaworld MT scene: envs lists an environment twice ({self.env_names})")
        for name, value in (("placements", placements), ("target_placements", target_placements)):
            if not (isinstance(value, int) and 1 <= value <= 50):
                raise ValueError(f"metaworld MT scene: {name} = {value} (must be an integer in [1, 50]: Metaworld "
                                 "draws 50 placements per environment and seed)")
        if candidate_seed == target_seed:
            raise ValueError(f"metaworld MT scene: candidate_seed and target_seed are both {candidate_seed} (the "
                             "targets must be held-out placements)")
        self.placements, self.target_placements = placements, target_placements
        self.candidate_seed, self.target_seed = candidate_seed, target_seed
        self.demo_steps, self.eval_steps, self.demo_noise = demo_steps, eval_steps, demo_noise
        E = len(self.env_names)
        self.num_envs = E
        self.num_tasks = E * placements
        self.num_targets = E * target_placements
        self.candidate_env = np.repeat(np.arange(E), placements)
        self.target_env = np.repeat(np.arange(E), target_placements)
        self.task_names = [f"{e}/{p}" for e in self.env_names for p in range(placements)]
        self.state_dim, self.action_dim = OBS_DIM, ACTION_DIM
        self.task_dim = E + 6
        self._experts = {e: metaworld.policies.ENV_POLICY_MAP[e]() for e in self.env_names}
        self._envs, self._placement_sets, self._vectors = {}, {}, {}

    # -- placements and task vectors (built on first use: about 0.6 s per environment and seed)

    def _env(self, name):
        if name not in self._envs:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._envs[name] = self._env_classes[name]()
        return self._envs[name]

    def _placement_set(self, name, seed):
        key = (name, seed)
        if key not in self._placement_sets:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._placement_sets[key] = self._mw.MT1(name, seed=int(seed)).train_tasks
        return self._placement_sets[key]

    def _candidate(self, k):
        self._check_index(k, self.num_tasks, "candidate")
        e, p = divmod(int(k), self.placements)
        return self.env_names[e], self._placement_set(self.env_names[e], self.candidate_seed)[p]

    def _target(self, j):
        self._check_index(j, self.num_targets, "target")
        e, p = divmod(int(j), self.target_placements)
        return self.env_names[e], self._placement_set(self.env_names[e], self.target_seed)[p]

    @staticmethod
    def _check_index(i, n, what):
        if not 0 <= int(i) < n:
            raise IndexError(f"metaworld MT scene: {what} {i} out of range [0, {n})")

    def _vector(self, name, placement):
        key = (name, placement.data)
        if key not in self._vectors:
            env = self._env(name)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                env.set_task(placement)
                obs, _ = env.reset()
            onehot = np.eye(self.num_envs)[self.env_names.index(name)]
            positions = [(obs[s] - _WORKSPACE_CENTRE) / _WORKSPACE_HALF for s in (OBJECT_SLICE, GOAL_SLICE)]
            self._vectors[key] = np.concatenate([onehot, *positions])
        return self._vectors[key]

    def task_vector(self, k):
        """Candidate k's task vector: environment one-hot, normalised object and goal position."""
        return self._vector(*self._candidate(k))

    def candidate_vectors(self):
        return np.stack([self.task_vector(k) for k in range(self.num_tasks)])

    def target_vectors(self):
        return np.stack([self._vector(*self._target(j)) for j in range(self.num_targets)])

    # -- episodes

    def _episode(self, name, placement, act, max_steps, rng=None, noise=0.0, record=False):
        return run_episode(self._env(name), placement, self._experts[name], act, max_steps, rng, noise, record)

    def demonstrate(self, k, seed, placement_seed=0):
        """One noisy expert demonstration of candidate k: {"task", "states" (T, 39), "actions"
        (T, 4), "success"}. The placement is candidate k's own; placement_seed is accepted for
        MetaworldScene's interface and not used (here the placement is part of the task)."""
        name, placement = self._candidate(k)
        rng = np.random.default_rng(seed)
        ok, states, actions = self._episode(name, placement, None, self.demo_steps, rng, self.demo_noise, record=True)
        return {"task": self.task_vector(k), "states": np.array(states).reshape(-1, self.state_dim),
                "actions": np.array(actions).reshape(-1, self.action_dim), "success": ok}

    def success(self, act, k, episodes=1, seed=0):
        """Whether act(obs, k) -> action succeeds from candidate k's placement (1.0 or 0.0).
        Metaworld resets a placement to the same state, so repeated episodes of a deterministic
        policy would repeat this one: episodes and seed are accepted for MetaworldScene's
        interface and not used."""
        name, placement = self._candidate(k)
        return float(self._episode(name, placement, lambda obs: act(obs, k), self.eval_steps)[0])

    def target_success(self, act, j):
        """Whether act(obs, j) -> action succeeds from held-out target placement j (a bool)."""
        name, placement = self._target(j)
        return self._episode(name, placement, lambda obs: act(obs, j), self.eval_steps)[0]
