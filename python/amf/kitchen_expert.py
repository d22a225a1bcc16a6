"""Scripted experts for the five FrankaKitchen-v1 tasks of the paper: waypoints, each a pose of
the gripper relative to the object it handles, followed in turn by the Cartesian controller of
amf.kitchen_control.

The doors (microwave, hinge cabinet, slide cabinet) are opened the same way: grasp the handle
from the front, then move the gripper along the path the handle takes when the door opens (an
arc about the hinge, with the gripper turning with the door, or a line along the slide), a little
ahead of where the door is now, so the grasp drags the door open. The light switch lever is too
short to grasp: closed fingers sweep it sideways. The kettle's handle (6.4 cm across) leaves the
open gripper (8 cm) no margin under action noise, so the kettle is pushed along the stove from
behind, at the height of its centre of mass so that it slides instead of tipping.

Every waypoint is computed from the simulator's current state (object positions, door angles), so
a noisy action is corrected at the next step. The phase advances as waypoints are reached, except
that a script starts again from its approach when an attempt has failed: a door's handle slipped
out of the fingers (the door, partly open, is then grasped where it is now), or the sweep passed
the light switch's lever.
"""
import numpy as np

from .kitchen_control import MAX_LINEAR_SPEED, FrankaCartesianController, rotation_z

OPEN, CLOSE = 1.0, -1.0
# Gripper orientations (columns: the end-effector site's x, y = finger axis, z = approach axis).
FORWARD = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])   # approach +y, fingers along x
# approach -z, fingers along x: the hand's long side across the push, its thin side towards the kettle
DOWN = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0]])
REACHED = 0.015       # m: a waypoint is reached within this distance
GRASP_DEPTH = 0.02    # m: the handle sits this far beyond the site, between the finger pads
CLOSE_STEPS = 4       # steps with the gripper closing before the door is pulled
HANDLE_DROP = 0.07    # m below the middle of the cabinets' handles, see HingeCabinetScript
PULL_SPEED = 0.3      # m/s while dragging a door (the handle creeps out of the fingers meanwhile: the
                      # soft contacts slip under load; slower pulls lose it after a smaller opening)
LOST_GRIP = 0.004     # m: both fingers closed further than this hold nothing
MICROWAVE_YAW = 0.3   # rad: the microwave's yaw in the kitchen (kitchen_env_model.xml)


class Waypoint:
    """Where the site should go (position, rotation), with the gripper opening or closing; reached
    when the site is within `tolerance` of the position (None: never, the last waypoint) after at
    least `dwell` steps in this phase (time for the fingers to close)."""

    def __init__(self, position, rotation, grip, tolerance=REACHED, dwell=0, speed=MAX_LINEAR_SPEED):
        self.position, self.rotation, self.grip = position, rotation, grip
        self.tolerance, self.dwell, self.speed = tolerance, dwell, speed


class _Script:
    """One task's waypoints as a function of the state and the phase reached so far."""

    def __init__(self, env):
        self.model, self.data = env.model, env.data
        self.phase, self.steps = 0, 0  # steps spent in the current phase

    def site(self, name):
        return self.data.site(name).xpos.copy()

    def qpos(self, joint):
        return float(self.data.joint(joint).qpos[0])

    def anchor(self, joint):
        return self.data.joint(joint).xanchor.copy()

    def waypoint(self, pos):
        """The current phase's waypoint; advances the phase when `pos` has reached it."""
        while True:
            wp = self.waypoints()[self.phase]
            if wp.tolerance is None or self.steps < wp.dwell or np.linalg.norm(wp.position - pos) > wp.tolerance:
                self.steps += 1
                return wp
            self.phase, self.steps = self.phase + 1, 0


class _DoorScript(_Script):
    """Grasp a handle from the front and drag it along the door's opening path. Subclasses give
    the handle's site, the door's joint and its pose at an opening `ahead` of the current one."""

    lead = 0.3          # rad: how far ahead of the door's current opening the gripper is sent;
                        # far enough that the door's friction never stalls the pull, which
                        # pull_speed caps instead
    standoff = 0.12     # m in front of the handle before going in
    pull_speed = PULL_SPEED

    def waypoints(self):
        if self.phase == 3 and np.all(self.data.qpos[7:9] < LOST_GRIP):  # the handle slipped out: grasp again
            self.phase, self.steps = 0, 0
        handle, rotation = self.handle(), self.handle_rotation()
        approach = rotation[:, 2]
        grasp = handle - GRASP_DEPTH * approach
        pulled_to, pulled_rotation = self.opened(self.lead)
        return [Waypoint(handle - self.standoff * approach, rotation, OPEN, tolerance=0.03),
                Waypoint(grasp, rotation, OPEN, tolerance=0.01),
                Waypoint(grasp, rotation, CLOSE, tolerance=np.inf, dwell=CLOSE_STEPS),
                # The gripper turns with the door as it is, not as it will be: turned ahead, the
                # fingers would twist off the handle.
                Waypoint(pulled_to - GRASP_DEPTH * pulled_rotation[:, 2], rotation, CLOSE, tolerance=None,
                         speed=self.pull_speed)]


class MicrowaveScript(_DoorScript):
    """The door turns about a vertical hinge to negative angles (towards the robot)."""

    def handle(self):
        # Grasped 8 cm above its middle, clear of the upper standoff: nearer the shoulder, so that
        # the arm still reaches it when the door has turned towards the robot.
        return self.site("microhandle_site") + np.array([0.0, 0.0, 0.08])

    def handle_rotation(self):
        return rotation_z(MICROWAVE_YAW + self.qpos("microwave")) @ FORWARD

    def opened(self, ahead):
        turn = rotation_z(-ahead)
        hinge = self.anchor("microwave")
        return hinge + turn @ (self.handle() - hinge), turn @ self.handle_rotation()


class HingeCabinetScript(_DoorScript):
    """The right door of the hinge cabinet turns to positive angles (towards the robot)."""

    def handle(self):
        # Grasped 7 cm below its middle, clear of the lower standoff: the middle is at the edge of
        # the arm's reach with the gripper level.
        return self.site("hinge_site2") - np.array([0.0, 0.0, HANDLE_DROP])

    def handle_rotation(self):
        return rotation_z(self.qpos("right_hinge_cabinet")) @ FORWARD

    def opened(self, ahead):
        turn = rotation_z(ahead)
        hinge = self.anchor("right_hinge_cabinet")
        return hinge + turn @ (self.handle() - hinge), turn @ self.handle_rotation()


class SlideCabinetScript(_DoorScript):
    """The slide cabinet's door slides along +x."""

    lead = 0.05  # m

    def handle(self):
        return self.site("slide_site") - np.array([0.0, 0.0, HANDLE_DROP])

    def handle_rotation(self):
        return FORWARD

    def opened(self, ahead):
        return self.handle() + np.array([ahead, 0.0, 0.0]), FORWARD


class LightSwitchScript(_Script):
    """Closed fingers in front of the lever, on its +x side, then a sweep towards -x turns the
    switch (its hinge turns to negative angles); a sweep that passed the lever without turning it
    far enough starts again."""

    sweep_speed = 0.25  # m/s: faster, and noise lets the fingers dip under the lever

    def waypoints(self):
        lever = self.site("light_site")
        if self.phase == 2 and self.site("end_effector")[0] < lever[0] - 0.12:  # swept past it: again
            self.phase, self.steps = 0, 0
        side = lever + np.array([0.07, -0.03 - GRASP_DEPTH, 0.0])
        return [Waypoint(side + np.array([0.0, -0.1, 0.0]), FORWARD, CLOSE, tolerance=0.03),
                Waypoint(side, FORWARD, CLOSE),
                Waypoint(side - np.array([0.25, 0.0, 0.0]), FORWARD, CLOSE, tolerance=None, speed=self.sweep_speed)]


class KettleScript(_Script):
    """Fingertips down behind the kettle at the height of its centre of mass, then push along +y
    towards the top left burner."""

    push_height = 0.06   # m above the kettle's base
    behind = 0.15        # m from the kettle's centre to the fingertips (its box is 0.122 half-wide)

    def waypoints(self):
        kettle = self.data.joint("kettle").qpos[:3].copy()
        start = kettle + np.array([0.0, -self.behind, self.push_height + GRASP_DEPTH])
        return [Waypoint(start + np.array([0.0, 0.0, 0.15]), DOWN, CLOSE, tolerance=0.03),
                Waypoint(start, DOWN, CLOSE),
                Waypoint(start + np.array([0.0, 0.25, 0.0]), DOWN, CLOSE, tolerance=None)]


SCRIPTS = {"microwave": MicrowaveScript, "kettle": KettleScript, "light switch": LightSwitchScript,
           "slide cabinet": SlideCabinetScript, "hinge cabinet": HingeCabinetScript}


class KitchenExpert:
    """The expert of one task for one episode: act() gives the clean action at the current state
    (call it once per step, after reset; it keeps the phase)."""

    def __init__(self, env, task, posture):
        self.controller = FrankaCartesianController(env.model, env.data, posture)
        self.script = SCRIPTS[task](env)

    def act(self):
        pos, _ = self.controller.pose()
        wp = self.script.waypoint(pos)
        return self.controller.action(wp.position, wp.rotation, wp.grip, wp.speed)
