"""tools/plot_nn_study.py: how arms are told apart in the study plots, and plotting a published
directory (docs/results/, whose picks.csv is gzipped)."""
import gzip
import json

from tool_modules import load_tool


def load():
    return load_tool("plot_nn_study")


def test_arms_that_share_one_network_are_dashed_and_hatched_and_uniform_variants_differ():
    plots = load()
    arms = [{"label": "amf B=1", "forgetting": "parameter-isolation"},
            {"label": "uniform B=1", "forgetting": "parameter-isolation"},
            {"label": "uniform", "forgetting": "parameter-isolation"},
            {"label": "uniform, no isolation", "forgetting": "none"},
            {"label": "l2 lambda=1", "forgetting": "l2"},
            {"label": "amf s2=10", "isolation": True},          # the Python studies' flag
            {"label": "uniform, no isolation (py)", "isolation": False}]
    look = plots.styles(arms)
    shared = {label for label, st in look.items() if st["hatch"]}
    assert shared == {"uniform, no isolation", "l2 lambda=1", "uniform, no isolation (py)"}
    assert all(look[a]["ls"] == ("--" if a in shared else "-") for a in look)
    uniform = [look[a]["color"] for a in look if a.startswith("uniform")]
    assert len(set(uniform)) == len(uniform) and set(uniform) <= set(plots.BLUES)
    assert not {look[a]["color"] for a in look if not a.startswith("uniform")} & set(plots.BLUES)


def test_a_published_directory_with_gzipped_picks_is_plotted(tmp_path):
    config = {"env": "kitchen", "figure": "fig4", "pretrain": ["skewed"], "confidence": 0.9,
              "arms": [{"label": "amf", "forgetting": "parameter-isolation"}, {"label": "uniform", "forgetting": "none"}]}
    (tmp_path / "summary.json").write_text(json.dumps({"config": config}))
    (tmp_path / "summary_curves.csv").write_text(
        "pretrain,arm,round,demos,success_mean,success_lo,success_hi\n"
        "skewed,amf,0,0,0.4,0.3,0.5\nskewed,amf,1,2,0.6,0.5,0.7\n"
        "skewed,uniform,0,0,0.4,0.3,0.5\nskewed,uniform,1,2,0.5,0.4,0.6\n")
    (tmp_path / "auc.csv").write_text("pretrain,arm,auc_mean,auc_lo,auc_hi\nskewed,amf,0.5,0.4,0.6\n"
                                      "skewed,uniform,0.45,0.35,0.55\n")
    with gzip.open(tmp_path / "picks.csv.gz", "wt") as f:
        f.write("pretrain,arm,seed,round,task\nskewed,amf,0,0,reach\nskewed,uniform,0,0,push\n")
    load().main(str(tmp_path))
    for name in ("success_curves", "auc", "picks"):
        assert (tmp_path / f"{name}.png").stat().st_size > 0, name
