"""A scene for testing the Python study protocol in seconds: four reach tasks on a plane (go to
one of four goals), a proportional expert, success within 5 cm. Same interface as
amf.metaworld_scene.MetaworldScene."""
import numpy as np

GOALS = np.array([[0.6, 0.0], [0.0, 0.6], [-0.6, 0.0], [0.0, -0.6]])


class ToyScene:
    def __init__(self, steps=25, demo_noise=0.05):
        self.task_names = ["east", "north", "west", "south"]
        self.num_tasks = self.task_dim = 4
        self.state_dim = self.action_dim = 2
        self.steps, self.demo_noise = steps, demo_noise

    def task_vector(self, k):
        return np.eye(4)[k]

    def _start(self, seed, index):
        return np.random.default_rng([seed, index]).uniform(-0.2, 0.2, size=2)

    def _episode(self, k, x, policy, rng=None, noise=0.0):
        states, actions = [], []
        for _ in range(self.steps):
            a = np.clip(policy(x, k), -0.2, 0.2)
            states.append(x.copy())
            actions.append(a)
            if noise:
                a = a + noise * rng.standard_normal(2)
            x = x + np.clip(a, -0.2, 0.2)
            if np.linalg.norm(x - GOALS[k]) < 0.05:
                return True, states, actions
        return False, states, actions

    def demonstrate(self, k, seed, placement_seed=0):
        rng = np.random.default_rng(seed)
        x = self._start(placement_seed, int(rng.integers(50)))
        ok, s, a = self._episode(k, x, lambda x, k: 0.5 * (GOALS[k] - x), rng, self.demo_noise)
        return {"task": self.task_vector(k), "states": np.array(s), "actions": np.array(a), "success": ok}

    def success(self, act, k, episodes, seed):
        return sum(self._episode(k, self._start(seed, e), act)[0] for e in range(episodes)) / episodes
