"""A differentiable torch version of the NCAP swimmer circuit (extra ``ncap[torch]``), for PPO/DDPG users.

Same equations, parameter layout and sign clamps as :class:`ncap.SwimmerNCAP`; the two give identical torques.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from ncap.circuit import Init, SwimmerNCAP, effective_weights_from

__all__ = ["SwimmerModule"]


class SwimmerModule(nn.Module):
    """The NCAP swimmer circuit as an ``nn.Module``; parameters are one unconstrained vector ``weights``.

    Parameters are those of :class:`ncap.SwimmerNCAP`; ``forward(joint_pos_norm, t)`` maps normalised joint
    angles ``[..., n_joints]`` and integer steps ``t`` (broadcastable to the leading shape) to torques.
    Gradients flow through the clamps as through ``torch.clamp`` (zero where a sign constraint is active).
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
        super().__init__()
        self.circuit = SwimmerNCAP(
            n_joints, period, weight_sharing, sign_constraints, init, proprioception, oscillator, seed
        )
        self.weights = nn.Parameter(torch.as_tensor(self.circuit.get_params(), dtype=torch.float64))

    @classmethod
    def from_numpy(cls, policy: SwimmerNCAP) -> SwimmerModule:
        """A module with the settings and current parameters of a numpy :class:`~ncap.SwimmerNCAP`."""
        module = cls(
            policy.n_joints,
            policy.period,
            policy.weight_sharing,
            policy.sign_constraints,
            policy.init,
            policy.proprioception,
            policy.oscillator,
        )
        with torch.no_grad():
            module.weights.copy_(torch.as_tensor(policy.get_params()))
        return module

    @property
    def n_params(self) -> int:
        return self.circuit.n_params

    def _effective(self) -> dict[str, torch.Tensor]:
        c = self.circuit
        return effective_weights_from(
            self.weights,
            n_joints=c.n_joints,
            weight_sharing=c.weight_sharing,
            sign_constraints=c.sign_constraints,
            proprioception=c.proprioception,
            oscillator=c.oscillator,
            relu=torch.relu,
        )

    def forward(self, joint_pos_norm: torch.Tensor, t: Any) -> torch.Tensor:
        n = self.circuit.n_joints
        q = torch.as_tensor(joint_pos_norm, dtype=self.weights.dtype)
        if not bool(torch.isfinite(q).all()):
            raise ValueError("joint_pos_norm must be finite")
        if q.ndim == 0 or q.shape[-1] != n:
            raise ValueError(
                f"joint_pos_norm must have last dimension n_joints={n}, got shape {tuple(q.shape)}"
            )
        w = self._effective()
        q = q.clamp(-1, 1)
        q_d, q_v = q.clamp(0, 1), (-q).clamp(0, 1)
        zero = torch.zeros_like(q[..., :1])
        b_d = torch.cat([zero, w["prop_d"] * q_d[..., :-1]], dim=-1)
        b_v = torch.cat([zero, w["prop_v"] * q_v[..., :-1]], dim=-1)
        steps = torch.as_tensor(t)
        if steps.is_floating_point() or not bool((steps >= 0).all()):
            raise ValueError("t must hold non-negative integer steps")
        o_d = (torch.remainder(steps, self.circuit.period) < self.circuit.period // 2).to(q.dtype)
        head = torch.zeros_like(q)
        head[..., 0] = 1.0
        b_d = (b_d + head * (w["osc_d"] * o_d)[..., None]).clamp(0, 1)
        b_v = (b_v + head * (w["osc_v"] * (1 - o_d))[..., None]).clamp(0, 1)
        m_d = (w["ipsi_d"] * b_d + w["contra_d"] * b_v).clamp(0, 1)
        m_v = (w["ipsi_v"] * b_v + w["contra_v"] * b_d).clamp(0, 1)
        return m_d - m_v
