"""Camera frames of the project's own MuJoCo scenes (scenes/*.xml, the files the C++ side
simulates), rendered offscreen through the `mujoco` Python package, for image-based policies
(amf.image_policy).

Headless rendering: MuJoCo's Python renderer picks its GL backend from MUJOCO_GL when `mujoco`
is first imported. Here EGL works without a display (Mesa's software EGL does when there is no
GPU); OSMesa does not (no libOSMesa is installed), GLFW needs an X display. So this module sets
MUJOCO_GL=egl unless it is already set, which only takes effect if nothing imported mujoco
before; SceneCamera says what to do when the context cannot be made.

The scene file is found like the C++ side finds it: $AMF_SCENE_DIR, else a scenes/ folder next
to the package or above it (the source tree, for a build tree inside it), else the installed
share/amf/scenes.
"""
import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("MUJOCO_GL", "egl")


def scene_file(name):
    """The path of scenes/<name>.xml (see the module docstring for where it is looked for)."""
    file_name = name if name.endswith(".xml") else name + ".xml"
    dirs = []
    if os.environ.get("AMF_SCENE_DIR"):
        dirs.append(Path(os.environ["AMF_SCENE_DIR"]))
    dirs += [parent / "scenes" for parent in Path(__file__).resolve().parents]
    dirs.append(Path(sys.prefix) / "share" / "amf" / "scenes")
    for d in dirs:
        if (d / file_name).is_file():
            return d / file_name
    raise FileNotFoundError(f"scene file {file_name!r} not found (set AMF_SCENE_DIR); tried: "
                            + ", ".join(str(d) for d in dirs))


class SceneCamera:
    """Renders (height, width) RGB frames of one scene from one of its cameras. Use as a
    context manager (or call close()): the GL context is freed there, not at interpreter exit,
    where EGL may already be torn down."""

    def __init__(self, scene="cupfaucet", width=64, height=64, camera="overview"):
        import mujoco

        self._mujoco = mujoco
        self.model = mujoco.MjModel.from_xml_path(str(scene_file(scene)))
        self.data = mujoco.MjData(self.model)
        self.camera = camera
        try:
            self._renderer = mujoco.Renderer(self.model, height, width)
        except Exception as e:  # the GL backend is the usual cause: name it
            raise RuntimeError(f"SceneCamera: MuJoCo cannot make a {os.environ.get('MUJOCO_GL', 'glfw')} GL context "
                               f"({type(e).__name__}: {e}); headless, set MUJOCO_GL=egl before anything imports "
                               "mujoco (or MUJOCO_GL=osmesa with libosmesa6 installed)") from e

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

    def frame(self):
        """The current state's frame, (3, height, width) float32 in [0, 1] (channels first, as
        torch's convolutions take it)."""
        self._mujoco.mj_forward(self.model, self.data)
        self._renderer.update_scene(self.data, camera=self.camera)
        return np.ascontiguousarray(self._renderer.render().transpose(2, 0, 1), dtype=np.float32) / 255.0


class CupFaucetFrames(SceneCamera):
    """Frames of scenes/cupfaucet.xml with the pusher (the hand) and the cup placed by hand:
    no physics is stepped, the bodies are put where the state says."""

    def __init__(self, width=64, height=64, camera="overview"):
        super().__init__("cupfaucet", width, height, camera)
        m = self._mujoco
        self._hand_qpos = self.model.jnt_qposadr[m.mj_name2id(self.model, m.mjtObj.mjOBJ_JOINT, "hand_free")]
        self._cup_qpos = [self.model.jnt_qposadr[m.mj_name2id(self.model, m.mjtObj.mjOBJ_JOINT, j)]
                          for j in ("cup_x", "cup_y")]

    def frames(self, hand_positions, cup_offsets=None):
        """(T, 3, height, width) frames with the hand at hand_positions (T, 3) (world metres) and
        the cup moved by cup_offsets (T, 2) from its place on the table (default: not moved)."""
        hand = np.asarray(hand_positions, dtype=np.float64).reshape(-1, 3)
        cup = np.zeros((len(hand), 2)) if cup_offsets is None else np.asarray(cup_offsets, np.float64).reshape(-1, 2)
        out = []
        for h, c in zip(hand, cup):
            self.data.qpos[self._hand_qpos:self._hand_qpos + 3] = h
            self.data.mocap_pos[0] = h
            self.data.qpos[self._cup_qpos] = c
            out.append(self.frame())
        return np.stack(out)
