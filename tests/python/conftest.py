"""Shared fixtures: the amf CLI path (AMF_CLI, set by CTest) and small integrator-like problems."""
import os
import shutil

import numpy as np
import pytest


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: end-to-end tests that take more than a few seconds")
    config.addinivalue_line("markers", "mpi: tests that launch mpirun (CTest label mpi)")
    config.addinivalue_line("markers", "slurm: tests on the local Slurm cluster of the CTest fixture (label slurm)")


@pytest.fixture(scope="session")
def amf_cli():
    path = os.environ.get("AMF_CLI") or shutil.which("amf")
    if not path:
        pytest.fail("AMF_CLI is not set and no amf on PATH (run through ctest)")
    return path


def integrator_demos(angles, horizon=8, noise=0.05, seed=0):
    """Noisy expert demonstrations of the 2D integrator for goals at the given angles."""
    rng = np.random.default_rng(seed)
    demos = []
    for angle in angles:
        goal = np.array([np.cos(angle), np.sin(angle)])
        s = np.zeros(2)
        states, actions = [], []
        for _ in range(horizon):
            a = 0.35 * (goal - s)
            norm = np.linalg.norm(a)
            if norm > 0.25:
                a *= 0.25 / norm
            a = a + noise * rng.standard_normal(2)
            states.append(s.copy())
            actions.append(a)
            step = a if np.linalg.norm(a) <= 0.25 else a * 0.25 / np.linalg.norm(a)
            s = s + step
        demos.append({"task": goal, "states": np.array(states), "actions": np.array(actions)})
    return demos


def circle(n, start=0.0):
    a = start + 2 * np.pi * np.arange(n) / n
    return np.stack([np.cos(a), np.sin(a)], axis=1)
