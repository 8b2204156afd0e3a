"""The linear traces and the memory recurrence in torch (any device): the ``"torch"`` backend's time loops.

* :func:`leaky_integrate`: the trace ``s_t = kappa s_{t-1} + u_t`` for all steps at once (a chunked scan of
  matrix products; only non-negative powers of ``kappa``, so nothing overflows for long sequences);
* :class:`MemoryRecurrence`: the memory recurrence of a one-hidden-layer neuron with a hand-written backward
  pass (back-propagation through time with two small products per step, weight gradients after the loop);
* :func:`memory_recurrence_autograd`: the same recurrence for any number of MLP layers, through autograd.

The CPU backends (``"numba"``, ``"numpy"``) run the whole neuron in :mod:`elm_neuron.fused` instead.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from neurotypes.validation import check_int

__all__ = ["MemoryRecurrence", "leaky_integrate", "memory_recurrence_autograd"]

#: The reference's scaled tanh ``1.7159 tanh(2/3 x)`` (LeCun's choice).
TANH_A = 1.7159
TANH_C = 2.0 / 3.0


def leaky_integrate(u: torch.Tensor, kappa: torch.Tensor, chunk: int = 64) -> torch.Tensor:
    """Vectorised linear trace ``s_t = kappa * s_{t-1} + u_t`` with ``s_{-1} = 0`` along axis 1.

    Within a chunk of ``L`` steps the trace is one matrix product with the lower-triangular decay matrix
    ``K[i, j] = kappa^(i - j)``; chunks are joined by carrying the last state (``kappa^(i + 1) s``). Only
    non-negative powers of ``kappa`` appear, so nothing overflows for long sequences.

    Parameters
    ----------
    u
        Input ``[batch, time, channels]``.
    kappa
        Decay per channel ``[channels]`` with values in ``[0, 1]``.
    chunk
        Chunk length ``L`` (the work grows like ``L`` per step; the Python loop like ``time / L``).
    """
    if u.ndim != 3:
        raise ValueError(f"u must be [batch, time, channels], got shape {tuple(u.shape)}")
    if kappa.ndim != 1 or kappa.shape[0] != u.shape[2]:
        raise ValueError(f"kappa must be [channels={u.shape[2]}], got shape {tuple(kappa.shape)}")
    if not bool(((kappa >= 0) & (kappa <= 1)).all()):  # (NaN fails both comparisons)
        raise ValueError("kappa must hold decays in [0, 1] (no NaN)")
    chunk = check_int("chunk", chunk, minimum=1)
    batch, steps, channels = u.shape
    if steps == 0:
        return u.clone()
    length = max(1, min(int(chunk), steps))
    n_chunks = -(-steps // length)
    pad = n_chunks * length - steps
    if pad:
        u = torch.cat([u, u.new_zeros(batch, pad, channels)], dim=1)
    kappa = kappa.to(u.dtype)
    i = torch.arange(length, device=u.device)
    lag = (i[:, None] - i[None, :]).to(u.dtype)
    lower = lag >= 0
    uniform = bool(torch.all(kappa == kappa[0]))
    chunks = u.reshape(batch, n_chunks, length, channels)
    if uniform:
        decay = torch.where(
            lower, kappa[0] ** lag.clamp(min=0), torch.zeros((), dtype=u.dtype, device=u.device)
        )
        # One GEMM over all batches, chunks and channels: [L, L] @ [L, B*C*N].
        flat = chunks.permute(2, 0, 1, 3).reshape(length, -1)
        local = (decay @ flat).reshape(length, batch, n_chunks, channels).permute(1, 2, 0, 3)
        carry_decay = (kappa[0] ** (i.to(u.dtype) + 1))[:, None].expand(length, channels)
    else:
        powers = kappa[:, None, None] ** lag.clamp(min=0)[None]
        decay_n = torch.where(lower[None], powers, torch.zeros((), dtype=u.dtype, device=u.device))
        local = torch.einsum("nij,bcjn->bcin", decay_n, chunks)
        carry_decay = kappa[None, :] ** (i.to(u.dtype) + 1)[:, None]
    if n_chunks == 1:
        out = local[:, 0]
    else:
        pieces = [local[:, 0]]
        state = local[:, 0, -1]
        for c in range(1, n_chunks):
            piece = local[:, c] + carry_decay[None] * state[:, None, :]
            pieces.append(piece)
            state = piece[:, -1]
        out = torch.cat(pieces, dim=1)
    return out[:, :steps]


def _activation(h: torch.Tensor, name: str) -> torch.Tensor:
    return torch.relu(h) if name == "relu" else torch.nn.functional.silu(h)


def _activation_grad(h: torch.Tensor, name: str) -> torch.Tensor:
    if name == "relu":
        return (h > 0).to(h.dtype)
    sig = torch.sigmoid(h)
    return sig * (1 + h * (1 - sig))


def memory_recurrence_autograd(
    pre: torch.Tensor,
    w_mem: torch.Tensor,
    later_layers: list[nn.Linear],
    kappa: torch.Tensor,
    gain: torch.Tensor,
    activation: str,
) -> torch.Tensor:
    """Memory recurrence as a plain autograd loop (any number of MLP layers); returns ``m_t`` ``[B, T, d_m]``.

    ``h_t = pre_t + (kappa m_{t-1}) W_mem^T``, then ``act -> Linear`` per later layer, ``dm_t = 1.7159
    tanh(2/3 h)`` and ``m_t = kappa m_{t-1} + gain dm_t``.
    """
    batch, steps, _ = pre.shape
    m = pre.new_zeros(batch, kappa.shape[0])
    w_mem_t = w_mem.t()
    memory = []
    for t in range(steps):
        h = torch.addmm(pre[:, t], kappa * m, w_mem_t)
        for layer in later_layers:
            h = layer(_activation(h, activation))
        delta = TANH_A * torch.tanh(h * TANH_C)
        m = kappa * m + gain * delta
        memory.append(m)
    return torch.stack(memory, dim=1)


class MemoryRecurrence(torch.autograd.Function):
    """Memory recurrence for one hidden layer with a hand-written backward pass (eq. 3-4 of the spec).

    Forward, per step: ``h = pre_t + (kappa m_{t-1}) W1m^T``, ``o = act(h) W2^T + b2``,
    ``m_t = kappa m_{t-1} + gain 1.7159 tanh(2/3 o)``. Only the recurrent core loops over time: the backward
    loop carries ``dL/dm`` with two small matrix products per step, and every weight gradient is formed
    afterwards in one batched product, instead of replaying ~15 recorded autograd nodes per step. The
    ``"torch"`` backend's recurrence (GPUs); checked against autograd with ``gradcheck``.
    """

    @staticmethod
    def forward(
        ctx: Any,
        pre: torch.Tensor,
        w_mem: torch.Tensor,
        w2: torch.Tensor,
        b2: torch.Tensor,
        kappa: torch.Tensor,
        gain: torch.Tensor,
        activation: str,
    ) -> torch.Tensor:
        pre_tb = pre.detach().transpose(0, 1).contiguous()
        # kappa folded into W1m (h uses kappa m), 2/3 into W2 and b2, 1.7159 into the gain.
        w1k = (w_mem.detach() * kappa.detach()[None, :]).t().contiguous()
        w2c = (TANH_C * w2.detach()).t().contiguous()
        b2c = TANH_C * b2.detach()
        gain_a = TANH_A * gain.detach()
        kap = kappa.detach()
        steps, batch, _ = pre_tb.shape
        hs = torch.empty_like(pre_tb)
        th = pre_tb.new_empty(steps, batch, kap.shape[0])
        memory = torch.empty_like(th)
        m = pre_tb.new_zeros(batch, kap.shape[0])
        for t in range(steps):
            h = torch.addmm(pre_tb[t], m, w1k, out=hs[t])
            o = torch.addmm(b2c, _activation(h, activation), w2c)
            tt = torch.tanh(o, out=th[t])
            m = torch.addcmul(kap * m, gain_a, tt, out=memory[t])
        ctx.activation = activation
        ctx.save_for_backward(w_mem, w2, kappa, gain, hs, th, memory)
        return memory.transpose(0, 1)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx: Any, grad_memory: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        w_mem, w2, kappa, gain, hs, th, memory = ctx.saved_tensors
        steps, batch, d_m = memory.shape
        grad = grad_memory.transpose(0, 1).contiguous()
        # Per-step factors for all steps at once: d m_t / d o_t = gain * 1.7159 * 2/3 * (1 - tanh^2), and act'(h).
        factor = (gain * (TANH_A * TANH_C)) * (1 - th * th)
        act_grad = _activation_grad(hs, ctx.activation)
        w1k = w_mem * kappa[None, :]
        d_total = torch.empty_like(grad)
        d_o = torch.empty_like(grad)
        d_h = torch.empty_like(hs)
        carry = grad.new_zeros(batch, d_m)
        for t in range(steps - 1, -1, -1):
            gm = torch.add(grad[t], carry, out=d_total[t])
            do = torch.mul(gm, factor[t], out=d_o[t])
            dh = torch.mul(torch.mm(do, w2), act_grad[t], out=d_h[t])
            carry = torch.addmm(gm * kappa, dh, w1k)
        prev = torch.cat([memory.new_zeros(1, batch, d_m), memory[:-1]])
        u_all = kappa * prev
        # d L / d u_t (u_t = kappa m_{t-1}) = gm_t + dh_t W1m, needed for d kappa.
        d_u = d_total + torch.matmul(d_h, w_mem)
        needs = ctx.needs_input_grad
        d_pre = d_h.transpose(0, 1) if needs[0] else None
        flat_h = d_h.reshape(steps * batch, -1)
        flat_o = d_o.reshape(steps * batch, d_m)
        d_w_mem = flat_h.t() @ u_all.reshape(steps * batch, d_m) if needs[1] else None
        # d_o is dL/do with o = act(h) W2^T + b2 (the 2/3 of the scaled tanh is inside ``factor``).
        d_w2 = flat_o.t() @ _activation(hs, ctx.activation).reshape(steps * batch, -1) if needs[2] else None
        d_b2 = d_o.sum((0, 1)) if needs[3] else None
        d_kappa = (d_u * prev).sum((0, 1)) if needs[4] else None
        d_gain = (d_total * th).sum((0, 1)) * TANH_A if needs[5] else None
        return d_pre, d_w_mem, d_w2, d_b2, d_kappa, d_gain, None
