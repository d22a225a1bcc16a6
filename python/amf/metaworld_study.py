"""Fig. 4 on real Metaworld: ``python -m amf.metaworld_study --out DIR [--size paper]``.

AMF-NN against uniform task selection (with and without parameter isolation) on uniform and
skewed pre-training over Metaworld's coffee-push, coffee-pull, faucet-open and faucet-close
(amf.metaworld_scene). The policy is a torch MLP held in Python and AMF-NN selects through
amf.select_batch_for_policy: Metaworld is a Python library, and this is the path a PyTorch user
takes. Needs the venv of tools/setup_python.sh (.venv/bin/python). A rerun with the same --out
resumes: every finished (job, arm) is checkpointed.
"""
import sys

from ._study_cli import main as _main
from .metaworld_scene import MetaworldScene
from .policy_study import PolicyStudyConfig


def preset(size):
    """default: a few minutes per job on 2 cores; paper: the paper-sized policy, budget and seeds."""
    if size == "default":
        return PolicyStudyConfig()
    if size == "paper":
        return PolicyStudyConfig(width=256, depth=4, seeds=10, eval_episodes=10, pretrain_demos=20, budget=20,
                                 pretrain_steps=3000, steps_per_round=300)
    raise ValueError(f"size '{size}' is unknown (choose default or paper)")


def main(argv=None):
    return _main("python -m amf.metaworld_study", __doc__, MetaworldScene, preset, argv)


if __name__ == "__main__":
    sys.exit(main())
