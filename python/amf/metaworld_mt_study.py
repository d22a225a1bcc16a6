"""Thousands of candidate tasks: ``python -m amf.metaworld_mt_study --out DIR [--size default|paper|tiny]``.

A generalist transformer policy over Metaworld's MT10 (default: 10 environments x 50 placements,
500 candidates) or MT50 (paper: 50 x 40, 2000 candidates) task space, fine-tuned by AMF-NN (whole
policy, projected; action head only) against uniform over candidates, uniform over environments
and privileged rebalancing, with and without per-environment parameter isolation, at batch sizes
5 and 20 (amf.mt_study). Every option below overrides the preset. Needs the venv of
tools/setup_python.sh (.venv/bin/python). A rerun with the same --out resumes: every finished
(job, arm, batch size) is checkpointed in OUT/jobs.
"""
import argparse
import dataclasses
import functools
import sys
import time

from .metaworld_mt_scene import MetaworldMTScene
from .mt_study import MtStudyConfig, run_mt_study

# Environments of the tiny preset: two whose experts finish in under 60 steps.
TINY_ENVS = ("reach-v3", "button-press-topdown-v3")


def preset(size):
    """default: MT10 x 50 placements; paper: MT50 x 40 placements, both pre-training kinds, 10
    seeds; tiny: 2 environments x 3 placements and one round, for the CI test (seconds)."""
    if size == "default":
        return MtStudyConfig()
    if size == "paper":
        return MtStudyConfig(benchmark="mt50", placements=40, target_placements=4, pretrain=("uniform", "skewed"),
                             pretrain_demos=200, seeds=10, dim=128, feedforward=256, encoder_layers=2,
                             pretrain_steps=3000, steps_per_round=300)
    if size == "tiny":
        return MtStudyConfig(envs=TINY_ENVS, placements=3, target_placements=1, pretrain_demos=2, budget=2,
                             batch_sizes=(2,), seeds=1, eval_steps=30, dim=16, heads=2, feedforward=32,
                             pretrain_steps=30, steps_per_round=5, projection=8, minibatch=64, workers=1,
                             bootstrap_resamples=100)
    raise ValueError(f"size '{size}' is unknown (choose default, paper or tiny)")


def _parser():
    ap = argparse.ArgumentParser(prog="python -m amf.metaworld_mt_study", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="results directory (resumes what is there)")
    ap.add_argument("--size", default="default", help="default | paper | tiny")
    ap.add_argument("--no-plots", action="store_true")
    skip = {"env", "figure", "clip"}
    for field in dataclasses.fields(MtStudyConfig):
        if field.name in skip:
            continue
        option = "--" + field.name.replace("_", "-")
        default = field.default
        if isinstance(default, tuple):
            kind = int if field.name == "batch_sizes" else str
            ap.add_argument(option, nargs="+", type=kind, default=None)
        else:
            ap.add_argument(option, type=type(default), default=None)
    return ap


def config_from_args(args):
    cfg = preset(args.size)
    for field in dataclasses.fields(MtStudyConfig):
        value = getattr(args, field.name, None)
        if value is not None:
            setattr(cfg, field.name, tuple(value) if isinstance(value, list) else value)
    cfg.validate()
    return cfg


def make_scene(cfg):
    """A picklable scene factory for the study's worker processes."""
    return functools.partial(MetaworldMTScene, **cfg.scene_kwargs())


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        cfg = config_from_args(args)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    start = time.time()
    table = run_mt_study(make_scene(cfg), cfg, args.out)
    print(table, end="")
    if not args.no_plots:
        from .mt_study_plots import plot

        plot(args.out)
    print(f"[amf study] done in {time.time() - start:.0f} s; results in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
