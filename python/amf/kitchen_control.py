"""Cartesian control of FrankaKitchen-v1's Franka through MuJoCo's Jacobians: an end-effector pose
target becomes the environment's action (arm joint velocities, then the gripper).

FrankaKitchen-v1's action is a joint velocity in [-1, 1], scaled by 2 rad/s; the environment turns
it into a position-servo target, (observed q) + 2 * action * dt, with dt = 0.08 s (40 physics
steps of 2 ms). A servo target that leads q by v * dt only moves the joint at about v when the
servo's force overcomes the joint damping and gravity, so after damped least-squares inverse
kinematics has chosen joint velocities, `servo_velocity` inverts that servo: it adds the
damping and gravity (MuJoCo's qfrc_bias) terms that the servo must supply. Without it the arm
sags: a zero action lets it fall about half a metre in 100 steps.
"""
import mujoco
import numpy as np

ARM_DOFS = 7
ACTION_SCALE = 2.0            # rad/s per unit of action (FrankaRobot.act_rng)
MAX_LINEAR_SPEED = 0.5        # m/s: fast enough for ~100-step tasks, slow enough to keep grasps
MAX_ANGULAR_SPEED = 1.5       # rad/s
POSITION_GAIN = 6.0           # 1/s: a 5 cm error asks for 0.3 m/s
ORIENTATION_GAIN = 4.0        # 1/s
DAMPING = 0.05                # damped least squares near singular poses (m, rad)
POSTURE_GAIN = 1.0            # 1/s, in the Jacobian's null space: keeps the elbow where it started


class FrankaCartesianController:
    """Joint-velocity actions that move the `end_effector` site towards a (position, rotation
    matrix) target. Reads the simulator's state (the expert is privileged); the target is reached
    by feedback, so an action perturbed by noise is corrected at the next step."""

    def __init__(self, model, data, posture):
        self.model, self.data = model, data
        self.site = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_SITE, "end_effector")
        self.posture = np.array(posture[:ARM_DOFS], dtype=np.float64)
        self.dt = model.opt.timestep * 40  # the environment's frame skip
        self.kp = model.actuator_gainprm[:ARM_DOFS, 0].copy()
        self.joint_damping = model.dof_damping[:ARM_DOFS].copy()
        margin = 0.05  # rad: stop short of the hard limit, where the servo would push against it
        self.lower = model.jnt_range[:ARM_DOFS, 0] + margin
        self.upper = model.jnt_range[:ARM_DOFS, 1] - margin
        self._jacp = np.zeros((3, model.nv))
        self._jacr = np.zeros((3, model.nv))

    def pose(self):
        return self.data.site_xpos[self.site].copy(), self.data.site_xmat[self.site].reshape(3, 3).copy()

    def arm_velocity(self, position, rotation, speed=MAX_LINEAR_SPEED):
        """Joint velocities (rad/s) of the arm that move the site towards the target pose, at
        most `speed` m/s."""
        pos, rot = self.pose()
        linear = _clip_norm(POSITION_GAIN * (position - pos), speed)
        angular = _clip_norm(ORIENTATION_GAIN * rotation_error(rotation, rot), MAX_ANGULAR_SPEED)
        mujoco.mj_jacSite(self.model, self.data, self._jacp, self._jacr, self.site)
        jac = np.vstack([self._jacp[:, :ARM_DOFS], self._jacr[:, :ARM_DOFS]])
        twist = np.concatenate([linear, angular])
        q = self.data.qpos[:ARM_DOFS]
        free = np.ones(ARM_DOFS, dtype=bool)
        # A joint at its limit cannot help: solve again without the joints that the solution drives
        # into their limits (the initial pose has joint 2 at its lower limit), so that the others
        # take over instead of the target stalling.
        for _ in range(ARM_DOFS):
            qdot = self._solve(jac, twist, q, free)
            blocked = free & (((q <= self.lower) & (qdot < 0)) | ((q >= self.upper) & (qdot > 0)))
            if not blocked.any():
                return qdot
            free &= ~blocked
        return qdot

    def _solve(self, jac, twist, q, free):
        j = jac * free  # fixed joints: zero columns
        inverse = j.T @ np.linalg.inv(j @ j.T + DAMPING**2 * np.eye(6))
        null = (np.eye(ARM_DOFS) - inverse @ j) * free[:, None] * free[None, :]
        return inverse @ twist + null @ (POSTURE_GAIN * (self.posture - q))

    def servo_velocity(self, qdot):
        """The commanded velocity whose servo target gives the arm qdot: kp * (v_cmd * dt) must
        pay damping * qdot and the bias forces (gravity, Coriolis)."""
        bias = self.data.qfrc_bias[:ARM_DOFS]
        return (self.joint_damping * qdot + bias) / (self.kp * self.dt)

    def action(self, position, rotation, grip, speed=MAX_LINEAR_SPEED):
        """The 9-dimensional action: arm towards the pose; grip +1 opens the fingers, -1 closes."""
        arm = self.servo_velocity(self.arm_velocity(position, rotation, speed)) / ACTION_SCALE
        return np.clip(np.concatenate([arm, [grip, grip]]), -1.0, 1.0)


def rotation_error(target, current):
    """The world-frame rotation vector that turns `current` into `target` (both 3x3)."""
    qt, qc, qe = np.empty(4), np.empty(4), np.empty(4)
    mujoco.mju_mat2Quat(qt, target.ravel())
    mujoco.mju_mat2Quat(qc, current.ravel())
    conj = qc * np.array([1.0, -1.0, -1.0, -1.0])
    mujoco.mju_mulQuat(qe, qt, conj)
    if qe[0] < 0:  # the short way round
        qe = -qe
    out = np.empty(3)
    mujoco.mju_quat2Vel(out, qe, 1.0)
    return out


def rotation_z(angle):
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def _clip_norm(v, limit):
    n = np.linalg.norm(v)
    return v if n <= limit else v * (limit / n)
