"""The command line shared by the Python Fig. 4 studies (amf.metaworld_study, amf.kitchen_study):
a preset by --size, any PolicyStudyConfig field overridden by its option, then run, table, plots."""
import argparse
import dataclasses
import time

from .policy_study import PolicyStudyConfig, plot, run_study

_INT_OPTIONS = ("seeds", "first_seed", "budget", "batch_size", "pretrain_demos", "eval_episodes", "width", "depth",
                "pretrain_steps", "steps_per_round", "workers", "selection_stride")


def main(prog, doc, make_scene, preset, argv=None):
    """preset(size) -> PolicyStudyConfig for "default" and "paper" (ValueError otherwise)."""
    ap = argparse.ArgumentParser(prog=prog, description=doc.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="results directory (resumes what is there)")
    ap.add_argument("--size", default="default", help="default | paper")
    ap.add_argument("--no-plots", action="store_true")
    for name in _INT_OPTIONS:
        ap.add_argument("--" + name.replace("_", "-"), type=int, default=None)
    ap.add_argument("--noise-variances", type=float, nargs="+", default=None, help="sigma^2 of the AMF arms")
    ap.add_argument("--sigma-pi", type=float, default=None)
    ap.add_argument("--pretrain", nargs="+", default=None, help="uniform and/or skewed")
    args = ap.parse_args(argv)
    cfg = preset(args.size)
    for field in dataclasses.fields(PolicyStudyConfig):
        value = getattr(args, field.name, None)
        if value is not None:
            setattr(cfg, field.name, tuple(value) if isinstance(value, list) else value)
    cfg.validate()
    start = time.time()
    table = run_study(make_scene, cfg, args.out)
    print(table, end="")
    if not args.no_plots:
        plot(args.out)
    print(f"[amf study] done in {time.time() - start:.0f} s; results in {args.out}")
    return 0
