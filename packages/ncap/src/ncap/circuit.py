"""The C. elegans swimmer circuit of NCAP (Bhattasali, Zador & Engel 2022), in numpy.

Per joint ``i`` there are a dorsal and a ventral B-neuron and a dorsal and a ventral muscle. All units are graded,
``clip(x, 0, 1)``:

1. sensor: ``q_i = clip(theta_i / theta_max, -1, 1)``, ``q_d = clip(q, 0, 1)``, ``q_v = clip(-q, 0, 1)``;
2. proprioception (travelling wave), for ``i > 0``: ``B_d,i += w_prop * q_d,i-1``, ``B_v,i += w_prop * q_v,i-1``;
3. head oscillator, ``i = 0``: a square wave of period ``T`` steps, dorsal on for the first ``T/2`` steps:
   ``B_d,0 += w_osc * O_d``, ``B_v,0 += w_osc * O_v``;
4. ``B = clip(B, 0, 1)``;
5. muscles: ``M_d = clip(w_ipsi B_d + w_contra B_v, 0, 1)``, ``M_v = clip(w_ipsi B_v + w_contra B_d, 0, 1)``;
   torque ``tau_i = M_d - M_v``.

``w_prop``, ``w_osc``, ``w_ipsi`` are excitatory and ``w_contra`` inhibitory. Signs are imposed at use time by
clamping (``exc(w) = max(w, 0)``, ``inh(w) = min(w, 0)``); the stored parameters stay unconstrained, as in the
paper, so an optimiser sees a plain vector.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ncap.data import Rollout
from neurotypes import Traces
from neurotypes.validation import check_array, check_bool, check_choice, check_int, check_rng

__all__ = [
    "PARAM_NAMES_SHARED",
    "SwimmerNCAP",
    "effective_weights_from",
    "joint_limit",
    "oscillator",
    "time_feature_to_step",
]

#: Parameter order with weight sharing (one weight per connection type).
PARAM_NAMES_SHARED = ("bneuron_prop", "bneuron_osc", "muscle_ipsi", "muscle_contra")

Init = Literal["constant", "uniform"]


def joint_limit(n_joints: int) -> float:
    """The dm_control swimmer's joint limit ``theta_max = 2 pi / (N + 1)`` radians (N joints, N + 1 links).

    Examples
    --------
    >>> round(joint_limit(5), 6)
    1.047198
    """
    return 2.0 * math.pi / (check_int("n_joints", n_joints, minimum=1) + 1)


def _steps(name: str, step: ArrayLike) -> NDArray[np.int64]:
    # validated as at least 1-D: neurotypes 0.2.0's check_array cannot locate a bad value in a 0-d array
    shape = np.shape(step)
    return check_array(name, np.atleast_1d(step), dtype="int", nonnegative=True).reshape(shape)


def oscillator(step: ArrayLike, period: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Square-wave head oscillator ``(O_d, O_v)``: dorsal on for the first ``period // 2`` steps of each period.

    Parameters
    ----------
    step : int or array_like of int
        Control steps (>= 0).
    period : int
        Period ``T`` in steps (>= 2). For an odd period the dorsal half is the shorter one, as in the
        reference's ``phase < T // 2``.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``O_d`` and ``O_v = 1 - O_d``, float, the shape of ``step``.

    Examples
    --------
    >>> d, v = oscillator([0, 29, 30, 59, 60], 60)
    >>> d.tolist()
    [1.0, 1.0, 0.0, 0.0, 1.0]
    """
    t = _steps("step", step)
    period = check_int("period", period, minimum=2)
    dorsal = (np.mod(t, period) < period // 2).astype(np.float64)
    return dorsal, 1.0 - dorsal


def time_feature_to_step(feature: ArrayLike, episode_steps: int = 1000) -> NDArray[np.int64]:
    """Map the RL time feature in ``[-1, 1]`` linearly to the step ``0 ... episode_steps`` (oscillator phase).

    Parameters
    ----------
    feature : float or array_like
        Finite values in ``[-1, 1]`` (NaN, infinities and values outside the range are refused: they are not a
        time).
    episode_steps : int
        Steps of an episode (>= 1; the paper's 1000).

    Returns
    -------
    numpy.ndarray
        int64 steps, the shape of ``feature``.

    Examples
    --------
    >>> time_feature_to_step([-1.0, 0.0, 1.0]).tolist()
    [0, 500, 1000]
    """
    shape = np.shape(feature)
    # validated as at least 1-D: neurotypes 0.2.0's check_array cannot locate a bad value in a 0-d array
    x = check_array("feature", np.atleast_1d(feature), minimum=-1.0, maximum=1.0).reshape(shape)
    episode_steps = check_int("episode_steps", episode_steps, minimum=1)
    return np.rint((x + 1.0) / 2.0 * episode_steps).astype(np.int64)


def effective_weights_from(
    params: Any,
    *,
    n_joints: int,
    weight_sharing: bool,
    sign_constraints: bool,
    proprioception: bool,
    oscillator: bool,
    relu: Callable[[Any], Any],
) -> dict[str, Any]:
    """Split a parameter vector into the circuit's weights, clamp signs and apply ablations.

    One layout for the numpy circuit and the torch module: ``params`` is a numpy array or a torch tensor and
    ``relu`` that library's ``max(x, 0)``. With weight sharing the weights are scalars that broadcast over joints.
    Layout without sharing: ``prop_d[1..N-1], prop_v[1..N-1], osc_d, osc_v, ipsi_d[N], ipsi_v[N], contra_d[N],
    contra_v[N]`` (``6 N`` entries). Excitatory weights become ``relu(w)``, the inhibitory ``-relu(-w)``.
    """
    n, p = n_joints, params
    if weight_sharing:
        w = {"prop_d": p[0], "prop_v": p[0], "osc_d": p[1], "osc_v": p[1]}
        w |= {"ipsi_d": p[2], "ipsi_v": p[2], "contra_d": p[3], "contra_v": p[3]}
    else:
        k = n - 1
        w = {"prop_d": p[:k], "prop_v": p[k : 2 * k], "osc_d": p[2 * k], "osc_v": p[2 * k + 1]}
        rest = p[2 * k + 2 :]
        w |= {
            "ipsi_d": rest[:n],
            "ipsi_v": rest[n : 2 * n],
            "contra_d": rest[2 * n : 3 * n],
            "contra_v": rest[3 * n :],
        }
    if sign_constraints:
        w = {key: -relu(-v) if key.startswith("contra") else relu(v) for key, v in w.items()}
    if not proprioception:
        w["prop_d"], w["prop_v"] = w["prop_d"] * 0, w["prop_v"] * 0
    if not oscillator:
        w["osc_d"], w["osc_v"] = w["osc_d"] * 0, w["osc_v"] * 0
    return w


class SwimmerNCAP:
    """The NCAP swimmer controller.

    Parameters
    ----------
    n_joints : int
        Number of joints ``N`` (the body has ``N + 1`` links); the paper uses 5.
    period : int
        Oscillator period ``T`` in control steps (60 steps = 1.8 s at 0.03 s per step).
    weight_sharing : bool
        One weight per connection type (4 parameters) instead of one per connection (``6 N``).
    sign_constraints : bool
        Clamp excitatory weights to ``>= 0`` and inhibitory ones to ``<= 0`` at use time. ``False`` is the
        "unsigned" ablation (identity).
    init : {"constant", "uniform"}
        "constant": excitatory +1, inhibitory -1 (the default, which swims untrained); "uniform": excitatory
        ``U[0, 1]``, inhibitory ``U[-1, 0]``. Unsigned networks use random ``+-1`` and ``U[-1, 1]`` instead.
    proprioception, oscillator : bool
        Ablations: ``False`` removes the proprioceptive coupling (``w_prop = 0``) or the head oscillator
        (``w_osc = 0``). The parameters stay in the vector but have no effect.
    seed : int or numpy.random.Generator, optional
        Randomness of the "uniform" and unsigned initialisations.

    Examples
    --------
    >>> pol = SwimmerNCAP()
    >>> pol.n_params, pol.get_params().tolist()
    (4, [1.0, 1.0, 1.0, -1.0])
    >>> pol.act([0.0, 0.0, 0.0, 0.0, 0.0], t=0).tolist()  # first half-period: the head bends dorsally
    [1.0, 0.0, 0.0, 0.0, 0.0]
    >>> pol.act([0.5, 0.0, 0.0, 0.0, 0.0], t=30).tolist()  # second half; joint 0's bend propagates to joint 1
    [-1.0, 0.5, 0.0, 0.0, 0.0]
    """

    def __init__(
        self,
        n_joints: int = 5,
        period: int = 60,
        weight_sharing: bool = True,
        sign_constraints: bool = True,
        init: Init = "constant",
        proprioception: bool = True,
        oscillator: bool = True,
        seed: int | np.random.Generator | None = 0,
    ) -> None:
        self.n_joints = check_int("n_joints", n_joints, minimum=1)
        self.period = check_int("period", period, minimum=2)
        self._init = check_choice("init", init, ("constant", "uniform"))
        self._weight_sharing = check_bool("weight_sharing", weight_sharing)
        self._sign_constraints = check_bool("sign_constraints", sign_constraints)
        self._proprioception = check_bool("proprioception", proprioception)
        self._oscillator = check_bool("oscillator", oscillator)
        self.theta_max = joint_limit(self.n_joints)
        rng = check_rng(seed)
        self._params = self._initial_params(rng)
        self._weights = self._compute_effective_weights()

    # Architecture flags are fixed at construction (the cached effective weights depend on them).
    @property
    def weight_sharing(self) -> bool:
        """One weight per connection type."""
        return self._weight_sharing

    @property
    def sign_constraints(self) -> bool:
        """Excitatory/inhibitory clamps applied at use time."""
        return self._sign_constraints

    @property
    def init(self) -> Init:
        """The initialisation scheme used at construction."""
        return self._init

    @property
    def proprioception(self) -> bool:
        """Whether the proprioceptive coupling is present."""
        return self._proprioception

    @property
    def oscillator(self) -> bool:
        """Whether the head oscillator is present."""
        return self._oscillator

    # ---------------------------------------------------------------------------------------- parameters
    @property
    def param_names(self) -> tuple[str, ...]:
        """Name of each entry of the parameter vector."""
        if self.weight_sharing:
            return PARAM_NAMES_SHARED
        n = self.n_joints
        return (
            *(f"bneuron_prop_d_{i}" for i in range(1, n)),
            *(f"bneuron_prop_v_{i}" for i in range(1, n)),
            "bneuron_osc_d",
            "bneuron_osc_v",
            *(f"muscle_ipsi_d_{i}" for i in range(n)),
            *(f"muscle_ipsi_v_{i}" for i in range(n)),
            *(f"muscle_contra_d_{i}" for i in range(n)),
            *(f"muscle_contra_v_{i}" for i in range(n)),
        )

    @property
    def n_params(self) -> int:
        """Number of parameters: 4 with weight sharing, ``6 N`` without."""
        return len(self.param_names)

    def _excitatory_mask(self) -> NDArray[np.bool_]:
        return np.array([not name.startswith("muscle_contra") for name in self.param_names])

    def _initial_params(self, rng: np.random.Generator) -> NDArray[np.float64]:
        exc = self._excitatory_mask()
        size = exc.size
        if self.sign_constraints:
            if self.init == "constant":
                return np.where(exc, 1.0, -1.0)
            return np.where(exc, rng.uniform(0.0, 1.0, size), rng.uniform(-1.0, 0.0, size))
        if self.init == "constant":
            return rng.choice(np.array([-1.0, 1.0]), size=size)
        return rng.uniform(-1.0, 1.0, size)

    def get_params(self) -> NDArray[np.float64]:
        """A copy of the (unconstrained) parameter vector."""
        return self._params.copy()

    def set_params(self, params: ArrayLike) -> SwimmerNCAP:
        """Set the parameter vector (length :attr:`n_params`); returns ``self``."""
        vec = check_array("params", params, shape=(self.n_params,))
        self._params = vec
        self._weights = self._compute_effective_weights()
        return self

    def named_params(self) -> dict[str, float]:
        """Parameters by name (for inspecting what was learned)."""
        return dict(zip(self.param_names, self._params.tolist(), strict=True))

    def effective_weights(self) -> Mapping[str, NDArray[np.float64]]:
        """The weights the circuit uses: signs clamped, ablations applied, shared weights broadcast.

        Keys: ``prop_d``, ``prop_v`` (length ``N - 1``, joints 1..N-1), ``osc_d``, ``osc_v`` (0-d arrays),
        ``ipsi_d``, ``ipsi_v``, ``contra_d``, ``contra_v`` (length ``N``). Copies.
        """
        n = self.n_joints
        shapes = {"prop": (n - 1,), "osc": (), "ipsi": (n,), "contra": (n,)}
        return {k: np.broadcast_to(v, shapes[k.rsplit("_", 1)[0]]).copy() for k, v in self._weights.items()}

    def _compute_effective_weights(self) -> dict[str, Any]:
        return effective_weights_from(
            self._params,
            n_joints=self.n_joints,
            weight_sharing=self.weight_sharing,
            sign_constraints=self.sign_constraints,
            proprioception=self.proprioception,
            oscillator=self.oscillator,
            relu=lambda w: np.maximum(w, 0.0),
        )

    # -------------------------------------------------------------------------------------------- dynamics
    def act(self, joint_pos_norm: ArrayLike, t: ArrayLike) -> NDArray[np.float64]:
        """Torques for normalised joint angles ``theta / theta_max`` at control step ``t``.

        Parameters
        ----------
        joint_pos_norm : array_like, shape (..., n_joints)
            Joint angles divided by the joint limit; values outside ``[-1, 1]`` are clipped.
        t : int or array_like of int, broadcastable to the leading shape
            Control step, setting the oscillator phase.

        Returns
        -------
        numpy.ndarray, shape (..., n_joints)
            Torques in ``[-1, 1]``.
        """
        q = check_array("joint_pos_norm", joint_pos_norm, copy=False)
        if q.ndim == 0 or q.shape[-1] != self.n_joints:
            raise ValueError(
                f"joint_pos_norm must have last dimension n_joints={self.n_joints}, got shape {q.shape}"
            )
        w = self._weights
        # clip(q, -1, 1) followed by the dorsal/ventral split equals the split of the unclipped q
        q_d, q_v = np.clip(q, 0.0, 1.0), np.clip(-q, 0.0, 1.0)
        b_d, b_v = np.empty_like(q), np.empty_like(q)
        b_d[..., 1:] = w["prop_d"] * q_d[..., :-1]  # B-neurons start at 0 each step
        b_v[..., 1:] = w["prop_v"] * q_v[..., :-1]
        o_d: float | NDArray[np.float64]
        o_v: float | NDArray[np.float64]
        if isinstance(t, numbers.Integral) and not isinstance(t, bool) and t >= 0:  # the common single step
            o_d = 1.0 if t % self.period < self.period // 2 else 0.0
            o_v = 1.0 - o_d
        else:
            o_d, o_v = oscillator(t, self.period)
        b_d[..., 0] = w["osc_d"] * o_d  # the head receives only the oscillator
        b_v[..., 0] = w["osc_v"] * o_v
        np.clip(b_d, 0.0, 1.0, out=b_d)
        np.clip(b_v, 0.0, 1.0, out=b_v)
        m_d = np.clip(w["ipsi_d"] * b_d + w["contra_d"] * b_v, 0.0, 1.0)
        m_v = np.clip(w["ipsi_v"] * b_v + w["contra_v"] * b_d, 0.0, 1.0)
        return m_d - m_v

    def activity(self, joint_pos_norm: ArrayLike, t: ArrayLike) -> dict[str, NDArray[np.float64]]:
        """The circuit's units for normalised joint angles at step ``t``: sensors, B-neurons, muscles, torques.

        Returns
        -------
        dict
            ``q_d``, ``q_v``, ``b_d``, ``b_v``, ``m_d``, ``m_v`` and ``torque``, each of shape
            ``(..., n_joints)``; ``torque = m_d - m_v`` equals :meth:`act`.
        """
        q = check_array("joint_pos_norm", joint_pos_norm)
        if q.ndim == 0 or q.shape[-1] != self.n_joints:
            raise ValueError(
                f"joint_pos_norm must have last dimension n_joints={self.n_joints}, got shape {q.shape}"
            )
        w = self._weights
        q_d, q_v = np.clip(q, 0.0, 1.0), np.clip(-q, 0.0, 1.0)
        o_d, o_v = oscillator(t, self.period)
        b_d = np.zeros(np.broadcast_shapes(q.shape, (*o_d.shape, 1)))
        b_v = np.zeros_like(b_d)
        b_d[..., 1:] = w["prop_d"] * q_d[..., :-1]
        b_v[..., 1:] = w["prop_v"] * q_v[..., :-1]
        b_d[..., 0] = w["osc_d"] * o_d
        b_v[..., 0] = w["osc_v"] * o_v
        b_d, b_v = np.clip(b_d, 0.0, 1.0), np.clip(b_v, 0.0, 1.0)
        m_d = np.clip(w["ipsi_d"] * b_d + w["contra_d"] * b_v, 0.0, 1.0)
        m_v = np.clip(w["ipsi_v"] * b_v + w["contra_v"] * b_d, 0.0, 1.0)
        return {"q_d": q_d, "q_v": q_v, "b_d": b_d, "b_v": b_v, "m_d": m_d, "m_v": m_v, "torque": m_d - m_v}

    def activity_traces(self, rollout: Rollout) -> Traces:
        """The circuit's B-neurons and muscles during an episode, as ``neurotypes.Traces`` (``1 / dt`` Hz).

        The rollout's joint angles (normalised by ``theta_max``) and step numbers drive :meth:`activity`; units
        are ``B_d0..``, ``B_v0..``, ``M_d0..``, ``M_v0..`` (``4 n_joints`` traces in [0, 1]).
        """
        if not isinstance(rollout, Rollout):
            raise TypeError(f"rollout must be an ncap.Rollout, got {type(rollout).__name__}")
        if rollout.n_joints != self.n_joints:
            raise ValueError(f"rollout has {rollout.n_joints} joints, the circuit n_joints={self.n_joints}")
        act = self.activity(rollout.joints / self.theta_max, np.arange(rollout.n_steps))
        data = np.concatenate([act["b_d"].T, act["b_v"].T, act["m_d"].T, act["m_v"].T])
        ids = [f"{unit}{i}" for unit in ("B_d", "B_v", "M_d", "M_v") for i in range(self.n_joints)]
        return Traces(data, 1.0 / rollout.dt, unit_ids=ids)

    def __call__(self, observation: Mapping[str, Any], step: int) -> NDArray[np.float64]:
        """Policy interface: torques from a swim-task observation (uses ``observation['joints']`` only)."""
        if not isinstance(observation, Mapping) or "joints" not in observation:
            raise TypeError(
                "observation must be a mapping with a 'joints' entry (the swim task's observation)"
            )
        joints = np.asarray(observation["joints"], dtype=np.float64)
        if joints.shape != (self.n_joints,):
            raise ValueError(
                f"observation['joints'] must have shape ({self.n_joints},) for n_joints={self.n_joints}, "
                f"got {joints.shape}"
            )
        return self.act(joints / self.theta_max, step)

    def reset(self) -> None:
        """Start of an episode (the circuit has no hidden state: the phase comes from the step counter)."""

    def __repr__(self) -> str:
        flags = [
            f"n_joints={self.n_joints}",
            f"period={self.period}",
            f"weight_sharing={self.weight_sharing}",
            f"sign_constraints={self.sign_constraints}",
            f"init={self.init!r}",
        ]
        if not self.proprioception:
            flags.append("proprioception=False")
        if not self.oscillator:
            flags.append("oscillator=False")
        return f"SwimmerNCAP({', '.join(flags)})"
