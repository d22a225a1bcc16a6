"""Metaworld (v3) as the paper's cup-and-faucet scene: four tasks, Metaworld's own scripted
policies as the expert, Metaworld's success flag as success.

Metaworld v3 has no single scene with a mug and a faucet, so the four tasks are its four closest
single-task environments: push the mug to the coffee machine (coffee-push-v3), pull the mug away
from it (coffee-pull-v3) -- the paper's two cup positions -- and open / close the faucet
(faucet-open-v3, faucet-close-v3). The policy sees Metaworld's 39-dimensional observation (hand,
gripper, objects, the previous frame, the goal) followed by a one-hot task vector.

Initial positions are randomised through Metaworld's public API: ``metaworld.MT1(name, seed)``
draws 50 random object/goal placements ("tasks" in Metaworld's terms) per seed. Building one takes
about 2 s (it constructs the environment), so placements are drawn per placement seed, not per
episode: a demonstration uses a random one of the 50 placements of its placement seed (a study
gives each job its own), and evaluation uses the first placements of a separate seed, so the
policy is scored on initial states it was never shown.
"""
import warnings

import numpy as np

TASKS = ("coffee-push-v3", "coffee-pull-v3", "faucet-open-v3", "faucet-close-v3")
_EXPERTS = {
    "coffee-push-v3": "SawyerCoffeePushV3Policy",
    "coffee-pull-v3": "SawyerCoffeePullV3Policy",
    "faucet-open-v3": "SawyerFaucetOpenV3Policy",
    "faucet-close-v3": "SawyerFaucetCloseV3Policy",
}
OBS_DIM = 39
ACTION_DIM = 4


def _import_metaworld():
    try:
        import metaworld
        import metaworld.policies
    except ImportError as e:  # the venv of tools/setup_python.sh has it
        raise ImportError("Metaworld is not installed in this interpreter: run tools/setup_python.sh and use "
                          f".venv/bin/python ({e})") from e
    return metaworld


def run_episode(env, placement, expert, act, max_steps, rng=None, noise=0.0, record=False):
    """One episode of a Metaworld environment from `placement`, until its success flag or
    max_steps: (success, states, actions). record: the expert acts and its (state, action) pairs
    are kept; otherwise act(obs) does. noise: std of the Gaussian added to every action (rng's),
    after clipping to [-1, 1] and clipped again."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        env.set_task(placement)
        obs, _ = env.reset()
        states, actions = [], []
        for _ in range(max_steps):
            if record:
                a = np.clip(expert.get_action(obs), -1.0, 1.0)
                states.append(np.asarray(obs, dtype=np.float64))
                actions.append(a)
            else:
                a = np.clip(np.asarray(act(obs), dtype=np.float64), -1.0, 1.0)
            if noise > 0:
                a = np.clip(a + noise * rng.standard_normal(ACTION_DIM), -1.0, 1.0)
            obs, _, _, _, info = env.step(a)
            if info["success"]:
                return True, states, actions
    return False, states, actions


class MetaworldScene:
    """The four tasks. demonstrate() and success() are deterministic for their seeds.

    demo_steps / eval_steps cap an episode; the experts finish in 50-90 steps. Expert
    demonstrations add Gaussian noise (std demo_noise) to the executed action and record the
    expert's clean action at each visited state, so the data covers small recoveries.
    """

    def __init__(self, demo_steps=200, eval_steps=150, demo_noise=0.1):
        self._mw = _import_metaworld()
        self.task_names = list(TASKS)
        self.num_tasks = len(TASKS)
        self.state_dim = OBS_DIM
        self.task_dim = self.num_tasks
        self.action_dim = ACTION_DIM
        self.demo_steps, self.eval_steps, self.demo_noise = demo_steps, eval_steps, demo_noise
        self._envs = {}
        self._placements = {}
        self._experts = {name: getattr(self._mw.policies, _EXPERTS[name])() for name in TASKS}

    def task_vector(self, k):
        return np.eye(self.num_tasks)[k]

    def _env(self, name):
        if name not in self._envs:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._envs[name] = self._mw.MT1(name, seed=0).train_classes[name]()
        return self._envs[name]

    def _placement(self, name, seed, index):
        key = (name, seed)
        if key not in self._placements:
            self._placements[key] = self._mw.MT1(name, seed=int(seed) % (2**31)).train_tasks
        tasks = self._placements[key]
        return tasks[index % len(tasks)]

    def _episode(self, k, placement, act, max_steps, rng=None, noise=0.0, record=False):
        name = TASKS[k]
        policy = None if record else (lambda obs: act(obs, k))
        return run_episode(self._env(name), placement, self._experts[name], policy, max_steps, rng, noise, record)

    def demonstrate(self, k, seed, placement_seed=0):
        """One expert demonstration of task k, from a random placement of placement_seed:
        {"task", "states" (T, 39), "actions" (T, 4), "success"}."""
        rng = np.random.default_rng(seed)
        placement = self._placement(TASKS[k], placement_seed, rng.integers(50))
        ok, states, actions = self._episode(k, placement, None, self.demo_steps, rng, self.demo_noise, record=True)
        return {"task": self.task_vector(k), "states": np.array(states), "actions": np.array(actions),
                "success": ok}

    def success(self, act, k, episodes, seed):
        """Fraction of `episodes` episodes of task k in which act(obs, k) -> action succeeds, from the
        first `episodes` placements of the evaluation seed."""
        wins = 0
        for e in range(episodes):
            ok, _, _ = self._episode(k, self._placement(TASKS[k], seed, e), act, self.eval_steps)
            wins += ok
        return wins / episodes
