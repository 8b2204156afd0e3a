"""Environments: the paper's dm_control swim task, and a gymnasium Swimmer adapter.

The swim task uses dm_control's swimmer physics (``N + 1`` links, ``N`` joints, joint limit ``360 / (N + 1)``
degrees, control step 0.03 s = 15 physics steps of 2 ms, 30-s episodes = 1000 steps). The observation is the joint
angles (N) and the body velocities (3 per link): 23 numbers for the 6-link swimmer. The reward per step is dm_control's
linear tolerance of the forward head velocity ``v = -head_vel[1]``: 1 at ``v >= desired_speed``, falling linearly to
0 at ``v = 0``; the maximum return is 1000.
"""

from __future__ import annotations

import collections
import warnings
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from numpy.typing import NDArray

from neurotypes.validation import check_float, check_int

# Rendering is never needed and no environment variable is set here: dm_control picks its OpenGL backend from
# MUJOCO_GL as usual (set it to "egl" or "osmesa" yourself to render headless). The GLFW "DISPLAY missing" warning
# its import gives on a headless machine is silenced for that import only (the caller's filters are restored).


def _import_dm_control() -> tuple[Any, Any, Any]:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*DISPLAY environment variable is missing")
        from dm_control.rl import control
        from dm_control.suite import swimmer
        from dm_control.utils import rewards
    return control, swimmer, rewards


if TYPE_CHECKING:
    from dm_control.rl import control
    from dm_control.suite import swimmer
    from dm_control.utils import rewards
else:
    control, swimmer, rewards = _import_dm_control()

__all__ = ["CONTROL_TIMESTEP", "EPISODE_STEPS", "GymSwimAdapter", "SwimTask", "make_swim", "observation_size"]

CONTROL_TIMESTEP = 0.03
EPISODE_SECONDS = 30.0
EPISODE_STEPS = 1000


class SwimTask(swimmer.Swimmer):  # type: ignore[misc]
    """Swim forward as fast as ``desired_speed`` (the NCAP paper's task on dm_control's swimmer).

    The initial pose is randomised exactly as in dm_control's swimmer task (random heading, random joint angles
    within the limits), so seeds give the same starts as the stock task.
    """

    def __init__(self, desired_speed: float = 0.1, random: Any = None) -> None:
        super().__init__(random=random)
        self.desired_speed = float(desired_speed)

    def get_observation(self, physics: Any) -> collections.OrderedDict[str, NDArray[np.float64]]:
        obs: collections.OrderedDict[str, NDArray[np.float64]] = collections.OrderedDict()
        obs["joints"] = physics.joints()
        obs["body_velocities"] = physics.body_velocities()
        return obs

    def forward_velocity(self, physics: Any) -> float:
        """Forward velocity of the head: ``-head_vel[1]`` (the head points along -y in its frame)."""
        return float(-physics.named.data.sensordata["head_vel"][1])

    def get_reward(self, physics: Any) -> float:
        return float(
            rewards.tolerance(
                self.forward_velocity(physics),
                bounds=(self.desired_speed, float("inf")),
                margin=self.desired_speed,
                value_at_margin=0.0,
                sigmoid="linear",
            )
        )


def make_swim(n_links: int = 6, desired_speed: float = 0.1, seed: int | None = 0) -> control.Environment:
    """The paper's swim task: a dm_control ``Environment`` with a swimmer of ``n_links`` links.

    Parameters
    ----------
    n_links : int
        Number of links, >= 3 (``n_links - 1`` joints); the paper uses 6.
    desired_speed : float
        Forward speed (m/s) at which the reward saturates at 1, > 0.
    seed : int or None
        Seed of the initial pose (>= 0). Always pass one: seeds change the start and so the return.

    Returns
    -------
    dm_control.rl.control.Environment

    Examples
    --------
    >>> env = make_swim(seed=0)
    >>> env.reset().observation["joints"].shape
    (5,)
    """
    n_links = check_int("n_links", n_links, minimum=3, maximum=64)
    desired_speed = check_float("desired_speed", desired_speed, positive=True)
    if seed is not None:
        seed = check_int("seed", seed, minimum=0)
    xml, assets = swimmer.get_model_and_assets(int(n_links))
    physics = swimmer.Physics.from_xml_string(xml, assets=assets)
    task = SwimTask(desired_speed=desired_speed, random=seed)
    return control.Environment(physics, task, time_limit=EPISODE_SECONDS, control_timestep=CONTROL_TIMESTEP)


def observation_size(n_links: int = 6) -> int:
    """Length of the flattened swim observation: ``(n_links - 1)`` joint angles + ``3 n_links`` velocities.

    >>> observation_size(6)
    23
    """
    n_links = check_int("n_links", n_links, minimum=3)
    return (n_links - 1) + 3 * n_links


class GymSwimAdapter:
    """gymnasium's ``Swimmer-v5`` (3 links, 2 joints) behind the same policy interface as the swim task.

    ``step`` takes torques and returns ``(observation, reward, done)`` where the observation is a dict with
    ``joints`` (the 2 joint angles) and ``velocities``; ``joint_limit`` is the model's joint range (100 degrees),
    so an NCAP policy for it is ``SwimmerNCAP(n_joints=2)`` with ``theta_max`` set to ``adapter.joint_limit``.
    Requires the extra ``ncap[gym]``.
    """

    def __init__(self, seed: int | None = 0, **kwargs: Any) -> None:
        try:
            import gymnasium
        except ImportError as exc:  # pragma: no cover - exercised only without the extra
            raise ImportError("GymSwimAdapter needs the extra: pip install 'ncap[gym]'") from exc
        self._env = gymnasium.make("Swimmer-v5", **kwargs)
        self._seed = seed
        self._mujoco_env: Any = cast(Any, self._env.unwrapped)
        model = self._mujoco_env.model
        self.n_joints = int(model.njnt - 3)
        self.joint_limit = float(np.max(np.abs(model.jnt_range[3:])))
        spec = self._env.spec
        self.episode_steps = int(spec.max_episode_steps or 1000) if spec is not None else 1000

    def reset(self) -> dict[str, NDArray[np.float64]]:
        self._env.reset(seed=self._seed)
        return self._observe()

    def _observe(self) -> dict[str, NDArray[np.float64]]:
        data = self._mujoco_env.data
        return {"joints": np.array(data.qpos[3:]), "velocities": np.array(data.qvel)}

    def step(self, action: NDArray[np.float64]) -> tuple[dict[str, NDArray[np.float64]], float, bool]:
        a = np.asarray(action, dtype=np.float64)
        if not np.isfinite(a).all():
            raise ValueError("action must be finite")
        if a.shape != (self.n_joints,):
            raise ValueError(f"action must have shape ({self.n_joints},), got {a.shape}")
        _, reward, terminated, truncated, _ = self._env.step(a)
        return self._observe(), float(reward), bool(terminated or truncated)

    def close(self) -> None:
        self._env.close()
