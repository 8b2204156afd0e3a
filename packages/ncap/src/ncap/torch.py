"""A differentiable torch version of the NCAP swimmer circuit (extra ``ncap[torch]``), for PPO/DDPG users.

Same equations, parameter layout and sign clamps as :class:`ncap.SwimmerNCAP`; the two give identical torques.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from ncap.circuit import Init, SwimmerNCAP

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
        c, p, n = self.circuit, self.weights, self.circuit.n_joints
        if c.weight_sharing:
            prop_d = prop_v = p[0].expand(n - 1)
            osc_d = osc_v = p[1]
            ipsi_d = ipsi_v = p[2].expand(n)
            contra_d = contra_v = p[3].expand(n)
        else:
            k = n - 1
            prop_d, prop_v, osc_d, osc_v = p[:k], p[k : 2 * k], p[2 * k], p[2 * k + 1]
            rest = p[2 * k + 2 :]
            ipsi_d, ipsi_v, contra_d, contra_v = rest[:n], rest[n : 2 * n], rest[2 * n : 3 * n], rest[3 * n :]
        if c.sign_constraints:
            prop_d, prop_v, osc_d, osc_v = (w.clamp(min=0) for w in (prop_d, prop_v, osc_d, osc_v))
            ipsi_d, ipsi_v = ipsi_d.clamp(min=0), ipsi_v.clamp(min=0)
            contra_d, contra_v = contra_d.clamp(max=0), contra_v.clamp(max=0)
        if not c.proprioception:
            prop_d, prop_v = prop_d * 0, prop_v * 0
        if not c.oscillator:
            osc_d, osc_v = osc_d * 0, osc_v * 0
        return {
            "prop_d": prop_d,
            "prop_v": prop_v,
            "osc_d": osc_d,
            "osc_v": osc_v,
            "ipsi_d": ipsi_d,
            "ipsi_v": ipsi_v,
            "contra_d": contra_d,
            "contra_v": contra_v,
        }

    def forward(self, joint_pos_norm: torch.Tensor, t: Any) -> torch.Tensor:
        n = self.circuit.n_joints
        q = torch.as_tensor(joint_pos_norm, dtype=self.weights.dtype)
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
        o_d = (torch.remainder(steps, self.circuit.period) < self.circuit.period / 2).to(q.dtype)
        head = torch.zeros_like(q)
        head[..., 0] = 1.0
        b_d = (b_d + head * (w["osc_d"] * o_d)[..., None]).clamp(0, 1)
        b_v = (b_v + head * (w["osc_v"] * (1 - o_d))[..., None]).clamp(0, 1)
        m_d = (w["ipsi_d"] * b_d + w["contra_d"] * b_v).clamp(0, 1)
        m_v = (w["ipsi_v"] * b_v + w["contra_v"] * b_d).clamp(0, 1)
        return m_d - m_v
