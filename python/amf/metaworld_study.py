"""Fig. 4 on real Metaworld: ``python -m amf.metaworld_study --out DIR [--size paper]``.

AMF-NN against uniform task selection (with and without parameter isolation) on uniform and
skewed pre-training over Metaworld's coffee-push, coffee-pull, faucet-open and faucet-close
(amf.metaworld_scene). The policy is a torch MLP held in Python and AMF-NN selects through
amf.select_batch_for_policy: Metaworld is a Python library, and this is the path a PyTorch user
takes. Needs the venv of tools/setup_python.sh (.venv/bin/python). A rerun with the same --out
resumes: every finished (job, arm) is checkpointed.
"""
import argparse
import dataclasses
import sys
import time

from .metaworld_scene import MetaworldScene
from .policy_study import PolicyStudyConfig, plot, run_study


def preset(size):
    """default: a few minutes per job on 2 cores; paper: the paper-sized policy, budget and seeds."""
    if size == "default":
        return PolicyStudyConfig()
    if size == "paper":
        return PolicyStudyConfig(width=256, depth=4, seeds=10, eval_episodes=10, pretrain_demos=20, budget=20,
                                 pretrain_steps=3000, steps_per_round=300)
    raise ValueError(f"size '{size}' is unknown (choose default or paper)")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m amf.metaworld_study", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="results directory (resumes what is there)")
    ap.add_argument("--size", default="default", help="default | paper")
    ap.add_argument("--no-plots", action="store_true")
    fields = {f.name: f for f in dataclasses.fields(PolicyStudyConfig)}
    for name in ("seeds", "first_seed", "budget", "batch_size", "pretrain_demos", "eval_episodes", "width", "depth",
                 "pretrain_steps", "steps_per_round", "workers", "selection_stride"):
        ap.add_argument("--" + name.replace("_", "-"), type=int, default=None)
    ap.add_argument("--noise-variances", type=float, nargs="+", default=None, help="sigma^2 of the AMF arms")
    ap.add_argument("--sigma-pi", type=float, default=None)
    ap.add_argument("--pretrain", nargs="+", default=None, help="uniform and/or skewed")
    args = ap.parse_args(argv)
    cfg = preset(args.size)
    for name in fields:
        value = getattr(args, name, None)
        if value is not None:
            setattr(cfg, name, tuple(value) if isinstance(value, list) else value)
    cfg.validate()
    start = time.time()
    table = run_study(MetaworldScene, cfg, args.out)
    print(table, end="")
    if not args.no_plots:
        plot(args.out)
    print(f"[amf study] done in {time.time() - start:.0f} s; results in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
