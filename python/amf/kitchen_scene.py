"""FrankaKitchen-v1 (gymnasium-robotics, pinned in tools/python-requirements.txt) as the paper's
kitchen scene: its five tasks in one environment, the scripted experts of amf.kitchen_expert,
and the environment's own task-completion criterion as success.

All five tasks share one MDP: one KitchenEnv with every task's goal, and task k succeeds when the
environment lists it in info["episode_task_completions"] (its joints within 0.3 of the goal).
The policy sees the environment's 59-dimensional observation (robot joint positions and
velocities, object joint positions and velocities, with the environment's own observation noise)
followed by a one-hot task vector; the action is the environment's 9 joint velocities.

FrankaKitchen-v1 resets to one fixed state: its only randomness is the observation noise, seeded
by reset(seed). So that a policy is scored on initial states it was never shown, a placement here
also perturbs the initial state: the arm's seven joints by up to ARM_SPREAD rad and the kettle's
position on the stove by up to KETTLE_SPREAD m (the reset state the environment's init_qpos
holds). As in amf.metaworld_scene, a demonstration uses a random one of the 50 placements of its
placement seed and evaluation the first placements of a separate seed.
"""
import contextlib
import io
import warnings

import numpy as np

TASKS = ("microwave", "kettle", "light switch", "slide cabinet", "hinge cabinet")
OBS_DIM = 59
ACTION_DIM = 9
PLACEMENTS = 50
ARM_SPREAD = 0.1       # rad, uniform, each arm joint
KETTLE_SPREAD = 0.03   # m, uniform, the kettle's x and y
KETTLE_QPOS = slice(23, 25)


def _kitchen_env():
    try:
        # gymnasium_robotics prints a notice about its Adroit environments to stderr on import:
        # nothing to do with the kitchen, and it would be repeated by every study worker.
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            from gymnasium_robotics.envs.franka_kitchen.kitchen_env import KitchenEnv
    except ImportError as e:  # the venv of tools/setup_python.sh has it
        raise ImportError("gymnasium-robotics is not installed in this interpreter: run tools/setup_python.sh and "
                          f"use .venv/bin/python ({e})") from e
    return KitchenEnv(tasks_to_complete=list(TASKS), terminate_on_tasks_completed=False)


class KitchenScene:
    """The five tasks. demonstrate() and success() are deterministic for their seeds.

    demo_steps / eval_steps cap an episode; the experts finish in 30-180 steps (the hinge
    cabinet takes longest: docs/results/frankakitchen_experts/, from amf.expert_rates). Expert
    demonstrations add Gaussian noise (std demo_noise) to the executed action and record the
    expert's clean action at each visited state, so the data covers small recoveries.
    """

    def __init__(self, demo_steps=300, eval_steps=200, demo_noise=0.1):
        from .kitchen_expert import KitchenExpert

        self._expert_class = KitchenExpert
        self.task_names = list(TASKS)
        self.num_tasks = len(TASKS)
        self.state_dim = OBS_DIM
        self.task_dim = self.num_tasks
        self.action_dim = ACTION_DIM
        self.demo_steps, self.eval_steps, self.demo_noise = demo_steps, eval_steps, demo_noise
        self._env = _kitchen_env()
        self._nominal = self._env.robot_env.init_qpos.copy()

    def task_vector(self, k):
        return np.eye(self.num_tasks)[k]

    def reset(self, seed, index):
        """Placement `index` of placement seed `seed`: the perturbed initial state, with the
        observation noise seeded alike. Returns the first observation."""
        rng = np.random.default_rng([int(seed) % (2**63), int(index)])
        qpos = self._nominal.copy()
        qpos[:7] += rng.uniform(-ARM_SPREAD, ARM_SPREAD, 7)
        qpos[KETTLE_QPOS] += rng.uniform(-KETTLE_SPREAD, KETTLE_SPREAD, 2)
        self._env.robot_env.init_qpos = qpos
        obs, _ = self._env.reset(seed=int(rng.integers(2**31)))
        return obs["observation"]

    def _episode(self, k, seed, index, act, max_steps, rng=None, noise=0.0, record=False):
        obs = self.reset(seed, index)
        expert = self._expert_class(self._env, TASKS[k], self._nominal) if record else None
        states, actions = [], []
        for _ in range(max_steps):
            if record:
                a = expert.act()
                states.append(np.asarray(obs, dtype=np.float64))
                actions.append(a)
            else:
                a = np.clip(np.asarray(act(obs, k), dtype=np.float64), -1.0, 1.0)
            if noise > 0:
                a = np.clip(a + noise * rng.standard_normal(self.action_dim), -1.0, 1.0)
            out, _, _, _, info = self._env.step(a)
            obs = out["observation"]
            if TASKS[k] in info["episode_task_completions"]:
                return True, states, actions
        return False, states, actions

    def demonstrate(self, k, seed, placement_seed=0):
        """One expert demonstration of task k, from a random placement of placement_seed:
        {"task", "states" (T, 59), "actions" (T, 9), "success"}."""
        rng = np.random.default_rng(seed)
        index = int(rng.integers(PLACEMENTS))
        ok, states, actions = self._episode(k, placement_seed, index, None, self.demo_steps, rng, self.demo_noise,
                                            record=True)
        return {"task": self.task_vector(k), "states": np.array(states), "actions": np.array(actions),
                "success": ok}

    def success(self, act, k, episodes, seed):
        """Fraction of `episodes` episodes of task k in which act(obs, k) -> action succeeds, from the
        first `episodes` placements of the evaluation seed."""
        wins = 0
        for e in range(episodes):
            ok, _, _ = self._episode(k, seed, e, act, self.eval_steps)
            wins += ok
        return wins / episodes
