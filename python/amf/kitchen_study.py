"""Fig. 4 on FrankaKitchen-v1: ``python -m amf.kitchen_study --out DIR [--size paper]``.

AMF-NN against uniform task selection (with and without parameter isolation) on uniform and
skewed pre-training over the paper's five kitchen tasks -- microwave, kettle, light switch, slide
cabinet, hinge cabinet -- in gymnasium-robotics' FrankaKitchen-v1 (amf.kitchen_scene), with the
scripted experts of amf.kitchen_expert. Skewed pre-training shows only the first two tasks
(microwave and kettle). The protocol is amf.policy_study's, as for Metaworld. Needs the venv of
tools/setup_python.sh (.venv/bin/python). A rerun with the same --out resumes: every finished
(job, arm) is checkpointed.
"""
import sys

from ._study_cli import main as _main
from .kitchen_scene import KitchenScene
from .policy_study import PolicyStudyConfig


def preset(size):
    """default: about 15 minutes on 2 cores (an evaluation episode of a failing policy runs its
    200 steps, 1 s, so evaluation dominates); paper: the paper-sized policy, budget and seeds.
    The policy is wider than Metaworld's default and trained longer: joint velocities of a
    9-joint arm from 59 numbers are harder to clone than Metaworld's 4 end-effector numbers."""
    if size == "default":
        return PolicyStudyConfig(env="frankakitchen", seeds=2, budget=10, pretrain_demos=10, eval_episodes=3, width=256,
                                 pretrain_steps=3000, steps_per_round=300)
    if size == "paper":
        return PolicyStudyConfig(env="frankakitchen", width=256, depth=4, seeds=10, eval_episodes=10, pretrain_demos=20,
                                 budget=20, pretrain_steps=3000, steps_per_round=300)
    raise ValueError(f"size '{size}' is unknown (choose default or paper)")


def main(argv=None):
    return _main("python -m amf.kitchen_study", __doc__, KitchenScene, preset, argv)


if __name__ == "__main__":
    sys.exit(main())
