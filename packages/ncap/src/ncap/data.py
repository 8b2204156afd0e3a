"""What the package produces and reads: episodes (:class:`Rollout`) and their export as ``neurotypes.Traces``.

NCAP needs no dataset: the swim task (:mod:`ncap.envs`) generates its data. An episode is recorded as a
:class:`Rollout` (observations, torques, rewards per 0.03-s control step) and leaves the package as
``neurotypes.Traces`` (joint angles, torques, the circuit's units), which save as versioned ``.npz`` or NWB
(``Traces.to_nwb``, extra ``neurotypes[nwb]``) and go into other neurozoo packages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from neurotypes import Traces
from neurotypes.validation import check_array, check_choice, check_float, check_int

__all__ = ["Rollout"]


@dataclass(frozen=True, init=False)
class Rollout:
    """One episode: flattened observations, actions and rewards per control step, and the step length ``dt``.

    Parameters
    ----------
    obs : array_like
        [steps, obs_dim] observations *before* each action (for the swim task: ``n_joints`` joint angles in
        radians, then ``3 (n_joints + 1)`` body velocities).
    actions : array_like
        [steps, n_joints] torques in [-1, 1].
    rewards : array_like
        [steps] rewards in [0, 1].
    dt : float
        Control step in seconds (0.03 for the swim task).

    Examples
    --------
    >>> ro = Rollout(np.zeros((3, 4)), np.zeros((3, 2)), np.ones(3), 0.03)
    >>> ro.total_return, ro.joints.shape
    (3.0, (3, 2))
    """

    obs: NDArray[np.float64]
    actions: NDArray[np.float64]
    rewards: NDArray[np.float64]
    dt: float

    def __init__(self, obs: ArrayLike, actions: ArrayLike, rewards: ArrayLike, dt: float) -> None:
        o = check_array("obs", obs, ndim=2)
        a = check_array("actions", actions, ndim=2, minimum=-1.0 - 1e-9, maximum=1.0 + 1e-9)
        r = check_array("rewards", rewards, ndim=1)
        if not len(o) == len(a) == len(r):
            raise ValueError(
                f"obs, actions and rewards must have one row per step, got {len(o)}, {len(a)}, {len(r)}"
            )
        if a.shape[1] > o.shape[1]:
            raise ValueError(
                f"obs must start with the {a.shape[1]} joint angles, got only {o.shape[1]} columns"
            )
        for name, arr in (("obs", o), ("actions", a), ("rewards", r)):
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        object.__setattr__(self, "dt", check_float("dt", dt, positive=True))

    @property
    def n_steps(self) -> int:
        """Control steps of the episode."""
        return int(self.rewards.shape[0])

    @property
    def n_joints(self) -> int:
        """Joints of the body (the action size)."""
        return int(self.actions.shape[1])

    @property
    def joints(self) -> NDArray[np.float64]:
        """Joint angles [steps, n_joints] in radians (the first observation entries)."""
        return self.obs[:, : self.n_joints]

    @property
    def total_return(self) -> float:
        """Sum of the rewards (at most 1000 on the swim task)."""
        return float(self.rewards.sum())

    def to_traces(self, what: str = "joints") -> Traces:
        """The episode as ``neurotypes.Traces`` sampled at ``1 / dt`` Hz.

        Parameters
        ----------
        what : {"joints", "torques", "reward"}
            Joint angles (radians, units ``joint0``...), torques (``torque0``...) or the reward (``reward``).

        Examples
        --------
        >>> ro = Rollout(np.zeros((4, 3)), np.zeros((4, 2)), np.ones(4), 0.03)
        >>> tr = ro.to_traces("torques")
        >>> tr.unit_ids, round(tr.rate, 3)
        (('torque0', 'torque1'), 33.333)
        """
        what = check_choice("what", what, ("joints", "torques", "reward"))
        rate = 1.0 / self.dt
        if what == "joints":
            ids = [f"joint{i}" for i in range(self.n_joints)]
            return Traces(self.joints.T, rate, unit_ids=ids, signal_units="rad")
        if what == "torques":
            ids = [f"torque{i}" for i in range(self.n_joints)]
            return Traces(self.actions.T, rate, unit_ids=ids)
        return Traces(self.rewards[None, :], rate, unit_ids=["reward"])

    def window(self, start: int, stop: int) -> Rollout:
        """The steps ``start <= t < stop`` as a new rollout."""
        start = check_int("start", start, minimum=0, maximum=self.n_steps - 1)
        stop = check_int("stop", stop, minimum=start + 1, maximum=self.n_steps)
        return Rollout(self.obs[start:stop], self.actions[start:stop], self.rewards[start:stop], self.dt)
