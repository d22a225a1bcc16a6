"""The Python API under mpirun: select_batch(distributed=True) (AMF-GP) and
feature_select_batch(distributed=True) (AMF-NN) on every rank equal the single-process selection
(batch and every score, bit for bit), with uneven shards and more ranks than candidates too."""
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    import amf

    n_candidates = int(sys.argv[1])
    rng = np.random.default_rng(3)
    R, T = 6, 5
    states = rng.normal(size=(R * T, 2))
    actions = rng.normal(scale=0.3, size=(R * T, 2))
    offsets = np.arange(0, R * T + 1, T)
    angles = rng.uniform(0, 2 * np.pi, size=R)
    pool_tasks = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    c = rng.uniform(0, 2 * np.pi, size=n_candidates)
    candidates = np.stack([np.cos(c), np.sin(c)], axis=1)
    t = np.linspace(0, 2 * np.pi, 4, endpoint=False)
    targets = np.stack([np.cos(t), np.sin(t)], axis=1)
    args = (states, actions, offsets, pool_tasks, candidates, targets)
    batch = min(2, n_candidates)
    dist = amf.select_batch(*args, batch_size=batch, noise_variance=0.01, distributed=True)
    local = amf.select_batch(*args, batch_size=batch, noise_variance=0.01, backend="cpu")
    assert dist["ranks"] == amf.mpi_world()[1]
    assert list(dist["batch"]) == list(local["batch"]), (dist["batch"], local["batch"])
    assert np.array_equal(dist["batch_J"], local["batch_J"])
    assert np.array_equal(dist["J"], local["J"])
    # One write per rank: mpirun forwards the ranks' output as it comes, so pieces of separate
    # writes (or the engine's log lines) can interleave.
    sys.stdout.write(f"rank {dist['rank']} of {dist['ranks']} ok {list(dist['batch'])}\\n")
    sys.stdout.flush()
""")


def run_on_ranks(tmp_path, text, ranks, candidates):
    """Runs the script `text` under mpirun on `ranks` ranks; every rank must print its ok line."""
    script = tmp_path / "script.py"
    script.write_text(text)
    r = subprocess.run(["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", str(ranks), sys.executable,
                        str(script), str(candidates)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count(" ok [") == ranks, r.stdout


@pytest.mark.mpi
@pytest.mark.parametrize("ranks,candidates", [(2, 40), (3, 2)])
def test_distributed_select_equals_single_process(tmp_path, ranks, candidates):
    run_on_ranks(tmp_path, SCRIPT, ranks, candidates)


FEATURE_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    import amf

    n_candidates = int(sys.argv[1])
    rng = np.random.default_rng(5)
    R, T, K, D = 6, 4, 3, 5
    n = R * T
    offsets = np.arange(0, n + 1, T)
    own_logp = rng.normal(-1.0, 0.3, size=n)
    candidate_logp = own_logp + rng.normal(0.0, 0.5, size=(n_candidates, n))
    target_logp = own_logp + rng.normal(0.0, 0.5, size=(K, n))
    # Explicit embeddings for every relabelled point, and a factorised linear layer beside them.
    embedding = rng.normal(size=(n_candidates * n, D))
    target_embedding = rng.normal(size=(K * n, D))
    layer = [("linear", rng.normal(size=(n_candidates * n, 3)), rng.normal(size=(n_candidates * n, 2)))]
    target_layer = [("linear", rng.normal(size=(K * n, 3)), rng.normal(size=(K * n, 2)))]
    for name, cf, tf in (("explicit", embedding, target_embedding),
                         ("terms", [("explicit", embedding)] + layer, [("explicit", target_embedding)] + target_layer)):
        args = (offsets, candidate_logp, target_logp, own_logp, cf, tf)
        batch = min(3, n_candidates)
        dist = amf.feature_select_batch(*args, batch_size=batch, noise_variance=0.5, distributed=True)
        local = amf.feature_select_batch(*args, batch_size=batch, noise_variance=0.5, backend="cpu")
        assert dist["ranks"] == amf.mpi_world()[1]
        assert list(dist["batch"]) == list(local["batch"]), (name, dist["batch"], local["batch"])
        assert np.array_equal(dist["batch_J"], local["batch_J"]), name
        assert np.array_equal(dist["J"], local["J"]), name
        assert np.array_equal(dist["pseudo_demo_trajectory"], local["pseudo_demo_trajectory"]), name
    sys.stdout.write(f"rank {dist['rank']} of {dist['ranks']} ok {list(dist['batch'])}\\n")
    sys.stdout.flush()
""")


@pytest.mark.mpi
@pytest.mark.parametrize("ranks,candidates", [(2, 7), (3, 2)])
def test_distributed_feature_select_equals_single_process(tmp_path, ranks, candidates):
    run_on_ranks(tmp_path, FEATURE_SCRIPT, ranks, candidates)
