"""tools/plot_bench_sweeps.py on a small Google Benchmark JSON: both files written, panels without
data hidden, a missing argument answered with the usage."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "plot_bench_sweeps.py"


def test_plots_the_sweeps(tmp_path):
    runs = [{"name": f"sweep-N/{n}/24/20/12/1/iterations:1/manual_time", "engine_s": 0.01 * n, "libtorch_s": 0.1 * n}
            for n in (25, 50)]
    runs += [{"name": f"nn-sweep-M/8/16/50/{k}/0/iterations:1/manual_time", "engine_s": 0.1 * k,
              "libtorch_s": 0.4 * k, "M": 800.0 * k} for k in (1, 2)]
    runs.append({"name": "W-NN-cpu/8/16/50/5/0/iterations:1/manual_time", "engine_s": 1.0})  # not a sweep
    src = tmp_path / "b.json"
    src.write_text(json.dumps({"benchmarks": runs}))
    out = subprocess.run([sys.executable, str(SCRIPT), str(src), str(tmp_path / "s.png")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "s.png").stat().st_size > 10000
    assert (tmp_path / "s.svg").exists()


def test_repetitions_are_plotted_as_their_medians():
    sys.path.insert(0, str(ROOT / "tools"))
    import plot_bench_sweeps
    name = "sweep-N/25/24/20/12/1/iterations:1/manual_time"
    runs = [{"name": name, "run_type": "iteration", "engine_s": e, "libtorch_s": 1.0} for e in (0.1, 0.5, 0.2)]
    runs += [{"name": name + "_mean", "run_type": "aggregate", "aggregate_name": "mean", "engine_s": 0.27,
              "libtorch_s": 1.0},
             {"name": name + "_median", "run_type": "aggregate", "aggregate_name": "median", "engine_s": 0.2,
              "libtorch_s": 1.0}]
    chosen, kind = plot_bench_sweeps.points(runs)
    assert [r["engine_s"] for r in chosen] == [0.2] and kind == "median of repetitions"
    assert len(plot_bench_sweeps.points(runs[:3])[0]) == 3


def test_usage_without_arguments():
    out = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True)
    assert out.returncode != 0
    assert "bench_engine --benchmark_filter=sweep" in out.stderr


def test_criterion_gain_writes_its_table_and_plot(tmp_path, amf_cli):
    # Appendix H from one command (issue #16 item 4), at a size that runs in seconds.
    out = tmp_path / "cg"
    r = subprocess.run([amf_cli, "criterion-gain", "--candidates", "12", "--seeds", "2", "--out", str(out)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "Spearman rank correlation" in r.stdout
    for f in ("gain.csv", "summary.json", "summary.txt", "criterion_gain.png", "criterion_gain.svg"):
        assert (out / f).stat().st_size > 0, f
    assert len((out / "gain.csv").read_text().splitlines()) == 1 + 2 * 12
