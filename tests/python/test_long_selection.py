"""Long selections (issue #15 items 3 and 4): a time limit that fails fast on an estimate, a
memory check before any work, progress reports, and Ctrl-C that stops within one block of
candidates instead of after the whole call."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import amf
from conftest import circle, integrator_demos


@pytest.fixture
def small():
    return amf.pool_from_demonstrations(integrator_demos([0.0, 0.6, 2.0], horizon=5)), circle(7, 0.1), circle(4)


def test_a_batch_beyond_the_time_limit_fails_after_two_passes(small, tmp_path):
    pool, cands, targs = small
    with pytest.raises(amf.TooLarge, match=r"selection of 3000 picks would take at least .* time limit") as e:
        amf.select_batch(**pool, candidates=cands, targets=targs, batch_size=3000, time_limit=0.5,
                         out=tmp_path / "sel")
    assert isinstance(e.value, ValueError)
    assert not (tmp_path / "sel").exists()  # nothing written


def test_a_batch_whose_conditioning_cannot_fit_memory_fails_before_work(small):
    pool, cands, targs = small
    with pytest.raises(amf.TooLarge, match=r"Cholesky factor alone needs .* GB, more than this machine"):
        amf.select_batch(**pool, candidates=cands, targets=targs, batch_size=2**31 - 1)


def test_more_picks_than_candidates_repeat_tasks(small):
    pool, cands, targs = small
    r = amf.select_batch(**pool, candidates=cands[:2], targets=targs, batch_size=5, time_limit=None)
    assert len(r["batch"]) == 5 and set(r["batch"]) <= {0, 1}


def test_progress_reports_every_pass(small, capsys):
    pool, cands, targs = small
    seen = []
    amf.select_batch(**pool, candidates=cands, targets=targs, batch_size=4, progress=seen.append)
    assert [p["passes_done"] for p in seen] == [1, 2, 3, 4] and all(p["passes"] == 4 for p in seen)
    assert seen[0]["remaining_s"] == -1 and seen[-1]["remaining_s"] == 0
    assert all(b["elapsed_s"] >= a["elapsed_s"] for a, b in zip(seen, seen[1:]))
    amf.select_batch(**pool, candidates=cands, targets=targs, batch_size=3, progress=True)
    assert "amf: pick 3/3" in capsys.readouterr().err
    with pytest.raises(TypeError, match="progress must be None, True/False or a callable"):
        amf.select_batch(**pool, candidates=cands, targets=targs, progress="yes")


def test_an_exception_in_the_progress_callback_stops_the_selection(small):
    pool, cands, targs = small

    def stop(p):
        raise RuntimeError(f"stop at {p['passes_done']}")

    with pytest.raises(RuntimeError, match="stop at 1"):
        amf.select_batch(**pool, candidates=cands, targets=targs, batch_size=3, progress=stop)


# One pass over 200 candidates of a 300-step pool takes about 5 s on 2 quiet cores (min_weight=0
# keeps every pair); SIGINT after 1 s must end the call within that first pass, not after it. The
# progress callback says which: a pass that finished would have reported (passes_done = 1) before
# the interrupt was seen. Wall times are not asserted tightly, since they move with machine load.
INTERRUPT = textwrap.dedent("""
    import os, signal, sys, threading, time
    import numpy as np
    import amf
    from conftest import circle, integrator_demos
    pool = amf.pool_from_demonstrations(integrator_demos(np.linspace(0, 6, 30), horizon=10))
    threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    start = time.time()
    reports = []
    try:
        amf.select_batch(**pool, candidates=circle(200, 0.1), targets=circle(12), min_weight=0, batch_size=3,
                         out=sys.argv[1], progress=reports.append)
        print("finished", time.time() - start)
    except KeyboardInterrupt:
        print("interrupted", round(time.time() - start, 2), os.path.exists(sys.argv[1]), len(reports))
""")


@pytest.mark.slow
def test_ctrl_c_interrupts_a_long_call(tmp_path):
    script = tmp_path / "interrupt.py"
    script.write_text(INTERRUPT)
    env_path = str(__import__("pathlib").Path(__file__).parent)
    r = subprocess.run([sys.executable, str(script), str(tmp_path / "sel")], capture_output=True, text=True,
                       timeout=120, env={**__import__("os").environ, "PYTHONPATH": env_path + ":" +
                                         __import__("os").environ.get("PYTHONPATH", "")})
    lines = [l for l in r.stdout.splitlines() if l.startswith(("interrupted", "finished"))]
    words = lines[-1].split() if lines else []
    assert words and words[0] == "interrupted", r.stdout + r.stderr
    assert words[3] == "0", r.stdout  # interrupted inside the first pass: no pass finished
    assert float(words[1]) < 60, r.stdout  # (a loose bound: the point is the line above)
    assert words[2] == "False"  # no output directory
