"""The Expressive Leaky Memory (ELM) neuron (Spieler et al., ICLR 2024), versions 1 and 2 (Branch-ELM v2).

Equations (time step ``delta_t``; inputs ``x_t``; memory ``m_t``):

* version 1 (synapse traces)::

      s_t  = kappa_s * s_{t-1} + w_s * x_t                    kappa_s = exp(-dt / tau_s), w_s = relu(w~_s)
      b_t  = sum_{k in branch j} s_t[k]
      dm_t = 1.7159 * tanh(2/3 * MLP([b_t, kappa_m * m_{t-1}]))
      m_t  = kappa_m * m_{t-1} + lambda * (1 - kappa_m) * dm_t  kappa_m = exp(-dt / tau_m)
      y_t  = W_y m_t + b_y

* version 2 (branch traces)::

      b_t  = kappa_b * b_{t-1} + sum_{k in branch j} w_s[k] x_t[k]
      m_t  = kappa_m * m_{t-1} + (1 - kappa_lambda) * dm_t      kappa_lambda = exp(-lambda dt / tau_m)

The traces are linear, so they are computed for all time steps at once (:func:`leaky_integrate`, a chunked
scan built from matrix products); only the memory recurrence loops over time, and the branch part of the
first MLP layer is applied to all time steps in one matrix product before the loop. On CPU, neurons with one
hidden layer run through :class:`elm_neuron.fused.ELMCoreCPU` (trace, recurrence and readout in one autograd
function with a hand-written backward pass); other devices use :class:`_MemoryRecurrence`.

State-dict names are those of the reference implementation (AaronSpieler/elmneuron), so its checkpoints load
with ``strict=True``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from .fused import elm_core_cpu

__all__ = [
    "ELM",
    "ELMStates",
    "count_params",
    "interlocking_indices",
    "leaky_integrate",
    "neuronio_routing",
    "normalize_config",
    "overlapping_window_indices",
]

#: The reference's soma scale (``DEFAULT_Y_TRAIN_SOMA_SCALE``): soma targets are trained as 0.1 * (v - bias).
SOMA_TRAIN_SCALE = 0.1

# Reference (model_config.json) constructor keys -> this package's keys.
_REFERENCE_KEYS: dict[str, str] = {
    "num_input": "num_input",
    "num_output": "num_output",
    "num_memory": "num_memory",
    "lambda_value": "lambda_value",
    "mlp_num_layers": "mlp_layers",
    "mlp_hidden_size": "mlp_hidden",
    "mlp_activation": "activation",
    "tau_s_value": "tau_s",
    "tau_b_value": "tau_s",
    "memory_tau_min": "tau_m_min",
    "memory_tau_max": "tau_m_max",
    "learn_memory_tau": "learn_tau_m",
    "w_s_value": "w_s_init",
    "num_branch": "num_branch",
    "num_synapse_per_branch": "synapses_per_branch",
    "input_to_synapse_routing": "routing",
    "delta_t": "delta_t",
}
_OWN_KEYS = (
    "num_input",
    "num_output",
    "num_memory",
    "lambda_value",
    "mlp_hidden",
    "mlp_layers",
    "activation",
    "tau_s",
    "tau_m_min",
    "tau_m_max",
    "learn_tau_m",
    "num_branch",
    "synapses_per_branch",
    "routing",
    "delta_t",
    "version",
    "w_s_init",
    "routing_seed",
    "require_binary_input",
)
_ROUTING_NAMES: dict[str | None, str | None] = {
    None: None,
    "none": None,
    "random": "random",
    "random_routing": "random",
    "neuronio": "neuronio",
    "neuronio_routing": "neuronio",
}
_ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "silu": nn.SiLU}


def normalize_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """Translate a configuration with reference keys and/or this package's keys into this package's keys.

    Parameters
    ----------
    config
        Keys of the reference's ``model_config.json`` (``memory_tau_max``, ``input_to_synapse_routing``, ...)
        or of :class:`ELM` (``tau_m_max``, ``routing``, ...). Routing values ``"neuronio_routing"`` /
        ``"random_routing"`` become ``"neuronio"`` / ``"random"``.

    Raises
    ------
    TypeError
        On an unknown key, or when two keys name the same setting with different values.
    """
    if not isinstance(config, Mapping):
        raise TypeError(f"config must be a mapping, got {type(config).__name__}")
    out: dict[str, Any] = {}
    for key, value in config.items():
        if key in _OWN_KEYS:
            own = key
        elif key in _REFERENCE_KEYS:
            own = _REFERENCE_KEYS[key]
        else:
            raise TypeError(f"config: unknown key {key!r}")
        if own in out and out[own] != value:
            raise TypeError(
                f"config: {key!r} conflicts with another key for {own!r} ({out[own]!r} != {value!r})"
            )
        out[own] = value
    if "routing" in out:
        out["routing"] = _routing_name(out["routing"])
    return out


def _routing_name(routing: object) -> str | None:
    if routing is not None and not isinstance(routing, str):
        raise TypeError(f"routing must be None or a string, got {type(routing).__name__}")
    key = routing.lower() if isinstance(routing, str) else None
    if key not in _ROUTING_NAMES:
        raise ValueError(
            f"routing must be None, 'random' or 'neuronio' (or the reference's 'random_routing' / "
            f"'neuronio_routing'), got {routing!r}"
        )
    return _ROUTING_NAMES[key]


def interlocking_indices(num_input: int) -> torch.Tensor:
    """Interleave the two halves of the inputs: ``[0, n/2, 1, n/2 + 1, ...]``.

    NeuronIO lists the 639 excitatory inputs first and the 639 inhibitory inputs second; interleaving pairs
    input ``i`` with input ``i + n/2`` so a window of neighbours holds both kinds. For odd ``num_input`` the
    reference's formula is kept as is (the last index repeats ``n // 2``).
    """
    k = torch.arange(num_input)
    return (k % 2) * (num_input // 2) + torch.div(k, 2, rounding_mode="floor")


def overlapping_window_indices(
    num_input: int, num_windows: int, window_size: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Overlapping windows of ``window_size`` positions with stride ``ceil(num_input / num_windows)``.

    Returns the flat positions (clipped to ``num_input - 1``) and the mask of positions inside the range.
    """
    stride = math.ceil(num_input / num_windows)
    idx = torch.arange(num_windows).unsqueeze(1) * stride + torch.arange(window_size).unsqueeze(0)
    valid = idx < num_input
    return idx.clamp(max=num_input - 1).flatten(), valid.flatten()


def neuronio_routing(
    num_input: int, num_branch: int, synapses_per_branch: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Synapse-to-input indices and validity mask of the reference's ``"neuronio_routing"``.

    Branch ``j`` holds the interleaved inputs ``29 j ... 29 j + S - 1`` (stride ``ceil(n_in / B)``), so
    neighbouring branches overlap; slots past the last input are masked out.

    Raises
    ------
    ValueError
        When ``ceil(num_input / num_branch) > synapses_per_branch`` (some inputs would reach no branch).
    """
    stride = math.ceil(num_input / num_branch)
    if stride > synapses_per_branch:
        raise ValueError(
            f"synapses_per_branch must be >= ceil(num_input / num_branch) = {stride} for neuronio routing "
            f"(got synapses_per_branch={synapses_per_branch}, num_input={num_input}, num_branch={num_branch})"
        )
    order = interlocking_indices(num_input)
    positions, valid = overlapping_window_indices(num_input, num_branch, synapses_per_branch)
    return order[positions], valid


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


def count_params(config: Mapping[str, Any] | None = None, /, **kwargs: Any) -> int:
    """Closed-form number of trainable parameters of an ELM neuron.

    ``P = (B + d_m) H + H + (L - 1)(H^2 + H) + H d_m + d_m + n_syn + n_out d_m + n_out (+ d_m if tau_m learned)``
    with ``H = 2 d_m`` by default, ``n_syn = B S`` and ``B = n_in`` without branching. For NeuronIO
    (``B = 45, S = 100, n_out = 2``, one hidden layer) this is ``4 d_m^2 + 95 d_m + 4502``. Versions 1 and 2
    have the same count.

    Parameters
    ----------
    config
        A mapping with this package's or the reference's keys (e.g. a ``model_config.json``).
    **kwargs
        Further keys (override ``config``).

    Examples
    --------
    >>> count_params(num_input=1278, num_output=2, num_memory=10, num_branch=45, synapses_per_branch=100,
    ...              routing="neuronio")
    5852
    """
    cfg = normalize_config({**(dict(config) if config is not None else {}), **kwargs})
    for key in ("num_input", "num_output"):
        if key not in cfg:
            raise TypeError(f"count_params: missing required key {key!r}")
    num_input = _positive_int("num_input", cfg["num_input"])
    num_output = _positive_int("num_output", cfg["num_output"])
    d_m = _positive_int("num_memory", cfg.get("num_memory", 100))
    hidden = cfg.get("mlp_hidden")
    hidden = 2 * d_m if not hidden else _positive_int("mlp_hidden", hidden)
    layers = _nonnegative_int("mlp_layers", cfg.get("mlp_layers", 1))
    branches = cfg.get("num_branch")
    branches = num_input if branches is None else _positive_int("num_branch", branches)
    per_branch = _positive_int("synapses_per_branch", cfg.get("synapses_per_branch", 1))
    fan_in = branches + d_m
    if layers == 0:
        mlp = fan_in * d_m + d_m
    else:
        mlp = fan_in * hidden + hidden + (layers - 1) * (hidden * hidden + hidden) + hidden * d_m + d_m
    total = mlp + branches * per_branch + num_output * d_m + num_output
    if cfg.get("learn_tau_m", False):
        total += d_m
    return int(total)


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not _is_integral(value):
        raise TypeError(f"{name} must be a positive integer, got {value!r}")
    ivalue: int = int(value)  # type: ignore[call-overload]
    if ivalue < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return ivalue


def _nonnegative_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not _is_integral(value):
        raise TypeError(f"{name} must be a non-negative integer, got {value!r}")
    ivalue: int = int(value)  # type: ignore[call-overload]
    if ivalue < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return ivalue


def _is_integral(value: object) -> bool:
    return isinstance(value, int | np.integer)


def _positive_float(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{name} must be a positive number, got {value!r}")
    fvalue = float(value)
    if not math.isfinite(fvalue) or fvalue <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return fvalue


#: On CPU, run one-hidden-layer neurons through the numpy core of :mod:`elm_neuron.fused` (False: the torch
#: loops of the recurrence used on other devices).
NUMPY_LOOPS_ON_CPU = True

_TANH_A = 1.7159  # scaled tanh of the reference: 1.7159 tanh(2/3 x) (LeCun's choice)
_TANH_C = 2.0 / 3.0


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
        delta = _TANH_A * torch.tanh(h * _TANH_C)
        m = kappa * m + gain * delta
        memory.append(m)
    return torch.stack(memory, dim=1)


class _MemoryRecurrence(torch.autograd.Function):
    """Memory recurrence for one hidden layer with a hand-written backward pass (eq. 3-4 of the spec).

    Forward, per step: ``h = pre_t + (kappa m_{t-1}) W1m^T``, ``o = act(h) W2^T + b2``,
    ``m_t = kappa m_{t-1} + gain 1.7159 tanh(2/3 o)``. Only the recurrent core loops over time: the backward
    loop carries ``dL/dm`` with two small matrix products per step, and every weight gradient is formed
    afterwards in one batched product, instead of replaying ~15 recorded autograd nodes per step. Used on GPUs
    (and on CPU when :data:`NUMPY_LOOPS_ON_CPU` is False); on CPU the default is the numpy core of
    :mod:`elm_neuron.fused`. Checked against autograd with ``gradcheck``.
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
        w2c = (_TANH_C * w2.detach()).t().contiguous()
        b2c = _TANH_C * b2.detach()
        gain_a = _TANH_A * gain.detach()
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
        factor = (gain * (_TANH_A * _TANH_C)) * (1 - th * th)
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
        d_gain = (d_total * th).sum((0, 1)) * _TANH_A if needs[5] else None
        return d_pre, d_w_mem, d_w2, d_b2, d_kappa, d_gain, None


class _MLP(nn.Module):
    """``Linear -> act`` repeated ``layers`` times, then ``Linear``; named ``network.0, network.2, ...``."""

    def __init__(self, fan_in: int, hidden: int, fan_out: int, layers: int, activation: str) -> None:
        super().__init__()
        modules: list[nn.Module] = []
        width = fan_in
        for _ in range(layers):
            modules.append(nn.Linear(width, hidden))
            modules.append(_ACTIVATIONS[activation]())
            width = hidden
        modules.append(nn.Linear(width, fan_out))
        self.network = nn.Sequential(*modules)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.network(x)
        return out


@dataclass(frozen=True)
class ELMStates:
    """Outputs and internal states of one forward pass, each ``[batch, time, ...]``.

    Attributes
    ----------
    outputs
        ``y_t`` ``[B, T, n_out]``.
    branch_input
        ``b_t``, the branch input to the MLP ``[B, T, num_branch]``.
    memory
        ``m_t`` ``[B, T, num_memory]``.
    """

    outputs: torch.Tensor
    branch_input: torch.Tensor
    memory: torch.Tensor


class ELM(nn.Module):
    """Expressive Leaky Memory neuron (version 1, or Branch-ELM version 2).

    Parameters
    ----------
    num_input, num_output
        Input and output widths ``n_in``, ``n_out``.
    num_memory
        Number of memory units ``d_m``.
    lambda_value
        Memory-update scale ``lambda`` (default 5).
    mlp_hidden
        Hidden width of the integration MLP (default ``2 d_m``).
    mlp_layers
        Number of hidden layers of the MLP (default 1).
    activation
        ``"relu"`` (default) or ``"silu"`` (the "best" NeuronIO model).
    tau_s
        Synapse (v1) or branch (v2) trace timescale ``tau_s`` in units of time (default 5; fixed).
    tau_m_min, tau_m_max
        Range of the log-spaced memory timescales ``tau_m`` (defaults 1 and 1000).
    learn_tau_m
        Train the memory timescales (default: fixed).
    num_branch
        Number of branches ``B`` (default ``n_in``: every synapse its own branch).
    synapses_per_branch
        Synapses per branch ``S``; without routing ``B S`` must equal ``n_in``.
    routing
        ``None`` (synapse ``k`` reads input ``k``), ``"random"`` (each synapse reads a random input) or
        ``"neuronio"`` (interleaved overlapping windows of the reference). The reference's names
        ``"random_routing"`` / ``"neuronio_routing"`` are accepted.
    delta_t
        Time step ``dt`` in the units of the timescales (the bin width in ms for SHD: 10).
    version
        1 (synapse traces, ``lambda (1 - kappa_m)``) or 2 (branch traces, ``1 - kappa_lambda``).
    w_s_init
        Initial value of the raw synapse weights ``w~_s`` (default 0.5).
    routing_seed
        Seed of the random routing (default: torch's global generator, like the reference).
    require_binary_input
        Reject inputs other than 0/1 (set by :func:`elm_neuron.pretrained` for NeuronIO neurons).
    **reference_kwargs
        The reference's ``model_config.json`` keys (``memory_tau_max``, ``input_to_synapse_routing``,
        ``num_synapse_per_branch``, ``mlp_activation``, ...) in place of the names above.

    Notes
    -----
    Parameter creation order matches the reference (MLP layers, then the readout, then random routing), so
    under the same torch seed both initialise identically. ``tau_s`` (``tau_b`` in v2), ``_proto_tau_m`` (when
    fixed), ``input_to_synapse_indices`` and ``valid_indices_mask`` are parameters with
    ``requires_grad=False``, as in the reference state dicts.
    """

    def __init__(
        self,
        num_input: int | None = None,
        num_output: int | None = None,
        num_memory: int = 100,
        lambda_value: float = 5.0,
        mlp_hidden: int | None = None,
        mlp_layers: int = 1,
        activation: str = "relu",
        tau_s: float = 5.0,
        tau_m_min: float = 1.0,
        tau_m_max: float = 1000.0,
        learn_tau_m: bool = False,
        num_branch: int | None = None,
        synapses_per_branch: int = 1,
        routing: str | None = None,
        delta_t: float = 1.0,
        version: int = 1,
        w_s_init: float = 0.5,
        routing_seed: int | None = None,
        require_binary_input: bool = False,
        **reference_kwargs: Any,
    ) -> None:
        super().__init__()
        given: dict[str, Any] = dict(
            num_input=num_input,
            num_output=num_output,
            num_memory=num_memory,
            lambda_value=lambda_value,
            mlp_hidden=mlp_hidden,
            mlp_layers=mlp_layers,
            activation=activation,
            tau_s=tau_s,
            tau_m_min=tau_m_min,
            tau_m_max=tau_m_max,
            learn_tau_m=learn_tau_m,
            num_branch=num_branch,
            synapses_per_branch=synapses_per_branch,
            routing=routing,
            delta_t=delta_t,
        )
        if reference_kwargs:
            translated = normalize_config(reference_kwargs)
            defaults = _DEFAULTS
            for key, value in translated.items():
                if given[key] != defaults[key] and given[key] != value:
                    raise TypeError(f"{key!r} given twice with different values ({given[key]!r}, {value!r})")
                given[key] = value
        if given["num_input"] is None or given["num_output"] is None:
            raise TypeError("ELM requires num_input and num_output")
        if version not in (1, 2) or isinstance(version, bool):
            raise ValueError(f"version must be 1 or 2, got {version!r}")
        self.version = int(version)
        self.num_input = _positive_int("num_input", given["num_input"])
        self.num_output = _positive_int("num_output", given["num_output"])
        self.num_memory = _positive_int("num_memory", given["num_memory"])
        lam = given["lambda_value"]
        if isinstance(lam, bool) or not isinstance(lam, int | float) or not math.isfinite(float(lam)):
            raise ValueError(f"lambda_value must be a finite number, got {lam!r}")
        self.lambda_value = float(lam)
        hidden = given["mlp_hidden"]
        self.mlp_hidden = 2 * self.num_memory if not hidden else _positive_int("mlp_hidden", hidden)
        self.mlp_layers = _nonnegative_int("mlp_layers", given["mlp_layers"])
        act = given["activation"]
        if act not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {act!r}")
        self.activation = str(act)
        self.tau_s_value = _positive_float("tau_s", given["tau_s"])
        self.tau_m_min = _positive_float("tau_m_min", given["tau_m_min"])
        tau_max = _positive_float("tau_m_max", given["tau_m_max"])
        if self.version == 1 and not tau_max > self.tau_m_min + 2e-6:
            raise ValueError(
                f"tau_m_max must exceed tau_m_min in version 1 (got tau_m_min={self.tau_m_min}, tau_m_max={tau_max})"
            )
        # Version 2 of the reference widens an empty range instead of failing.
        self.tau_m_max = max(self.tau_m_min + 3e-6, tau_max) if self.version == 2 else tau_max
        self.learn_tau_m = bool(given["learn_tau_m"])
        self.routing = _routing_name(given["routing"])
        self.synapses_per_branch = _positive_int("synapses_per_branch", given["synapses_per_branch"])
        branches = given["num_branch"]
        self.num_branch = self.num_input if branches is None else _positive_int("num_branch", branches)
        self.num_synapse = self.num_branch * self.synapses_per_branch
        if self.routing is None and self.num_synapse != self.num_input:
            raise ValueError(
                "without routing, num_branch * synapses_per_branch must equal num_input "
                f"(got {self.num_branch} * {self.synapses_per_branch} = {self.num_synapse} != {self.num_input}); "
                "pass routing='neuronio' or 'random' to route inputs to synapses"
            )
        self.delta_t = _positive_float("delta_t", given["delta_t"])
        self.w_s_init = float(w_s_init)
        self.require_binary_input = bool(require_binary_input)
        #: Use the fused recurrence with a hand-written backward (one hidden layer); False = plain autograd loop.
        self.fused = True

        # Creation order as in the reference (MLP, w_s, readout) so equal torch seeds give equal weights.
        self.mlp = _MLP(
            self.num_branch + self.num_memory, self.mlp_hidden, self.num_memory, self.mlp_layers, act
        )
        self._proto_w_s = nn.Parameter(torch.full((self.num_synapse,), self.w_s_init))
        self.w_y = nn.Linear(self.num_memory, self.num_output)
        if self.version == 1:
            self.tau_s = nn.Parameter(torch.full((self.num_synapse,), self.tau_s_value), requires_grad=False)
        else:
            self.tau_b = nn.Parameter(torch.full((self.num_branch,), self.tau_s_value), requires_grad=False)
        # tau_m = tau_min + (tau_max - tau_min) sigmoid(proto), initialised log-spaced (eq. of the reference).
        tau_m0 = torch.logspace(
            math.log10(self.tau_m_min + 1e-6), math.log10(self.tau_m_max - 1e-6), self.num_memory
        )
        tau_m0 = tau_m0.clamp(self.tau_m_min + 1e-6, self.tau_m_max - 1e-6)
        proto = torch.log((tau_m0 - self.tau_m_min) / (self.tau_m_max - tau_m0))
        self._proto_tau_m = nn.Parameter(proto, requires_grad=self.learn_tau_m)

        if self.routing == "neuronio":
            indices, mask = neuronio_routing(self.num_input, self.num_branch, self.synapses_per_branch)
        elif self.routing == "random":
            gen = None
            if routing_seed is not None:
                gen = torch.Generator().manual_seed(int(routing_seed))
            indices = torch.randint(self.num_input, (self.num_synapse,), generator=gen)
            mask = torch.ones_like(indices)
        else:
            indices, mask = torch.empty(0), torch.empty(0)
        self.input_to_synapse_indices = nn.Parameter(indices, requires_grad=False)
        self.valid_indices_mask = nn.Parameter(mask, requires_grad=False)

    # ------------------------------------------------------------------ derived quantities
    @classmethod
    def from_reference_config(cls, config: Mapping[str, Any], version: int = 1, **overrides: Any) -> ELM:
        """Build a neuron from the reference's ``model_config.json`` dictionary (or this package's keys)."""
        cfg = normalize_config({**dict(config), **overrides})
        cfg.setdefault("version", version)
        return cls(**cfg)

    @property
    def config(self) -> dict[str, Any]:
        """Constructor arguments (this package's names) that rebuild this neuron."""
        return {
            "num_input": self.num_input,
            "num_output": self.num_output,
            "num_memory": self.num_memory,
            "lambda_value": self.lambda_value,
            "mlp_hidden": self.mlp_hidden,
            "mlp_layers": self.mlp_layers,
            "activation": self.activation,
            "tau_s": self.tau_s_value,
            "tau_m_min": self.tau_m_min,
            "tau_m_max": self.tau_m_max,
            "learn_tau_m": self.learn_tau_m,
            "num_branch": self.num_branch,
            "synapses_per_branch": self.synapses_per_branch,
            "routing": self.routing,
            "delta_t": self.delta_t,
            "version": self.version,
            "w_s_init": self.w_s_init,
            "require_binary_input": self.require_binary_input,
        }

    def reference_config(self) -> dict[str, Any]:
        """The configuration with the reference's ``model_config.json`` keys."""
        routing = {None: None, "random": "random_routing", "neuronio": "neuronio_routing"}[self.routing]
        return {
            "num_input": self.num_input,
            "num_output": self.num_output,
            "num_memory": self.num_memory,
            "lambda_value": self.lambda_value,
            "mlp_num_layers": self.mlp_layers,
            "mlp_hidden_size": self.mlp_hidden,
            "mlp_activation": self.activation,
            "tau_s_value" if self.version == 1 else "tau_b_value": self.tau_s_value,
            "memory_tau_min": self.tau_m_min,
            "memory_tau_max": self.tau_m_max,
            "learn_memory_tau": self.learn_tau_m,
            "w_s_value": self.w_s_init,
            "num_branch": self.num_branch,
            "num_synapse_per_branch": self.synapses_per_branch,
            "input_to_synapse_routing": routing,
            "delta_t": self.delta_t,
        }

    @property
    def tau_m(self) -> torch.Tensor:
        """Memory timescales ``tau_m = tau_min + (tau_max - tau_min) sigmoid(_proto_tau_m)``."""
        return (self.tau_m_max - self.tau_m_min) * torch.sigmoid(self._proto_tau_m) + self.tau_m_min

    @property
    def kappa_m(self) -> torch.Tensor:
        """Memory decay ``exp(-dt / tau_m)``."""
        return torch.exp(-self.delta_t / torch.clamp(self.tau_m, min=1e-6))

    @property
    def kappa_lambda(self) -> torch.Tensor:
        """Version-2 update gate ``exp(-lambda dt / tau_m)``."""
        return torch.exp(-self.delta_t * self.lambda_value / torch.clamp(self.tau_m, min=1e-6))

    @property
    def trace_tau(self) -> torch.Tensor:
        """The trace timescales: ``tau_s`` per synapse (v1) or ``tau_b`` per branch (v2)."""
        tau: torch.Tensor = self.tau_s if self.version == 1 else self.tau_b
        return tau

    @property
    def kappa_s(self) -> torch.Tensor:
        """Trace decay ``exp(-dt / tau_s)`` (per synapse in v1, per branch in v2)."""
        return torch.exp(-self.delta_t / torch.clamp(self.trace_tau, min=1e-6))

    @property
    def kappa_b(self) -> torch.Tensor:
        """Version-2 name of the branch-trace decay (same as :attr:`kappa_s`)."""
        return self.kappa_s

    @property
    def w_s(self) -> torch.Tensor:
        """Synapse weights ``relu(w~_s)``."""
        return torch.relu(self._proto_w_s)

    def num_trainable_parameters(self) -> int:
        """``sum(p.numel() for p in self.parameters() if p.requires_grad)``."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    # ------------------------------------------------------------------ dynamics
    def _validate_input(self, x: object, bin_size: float | None) -> torch.Tensor:
        if not isinstance(x, torch.Tensor):
            from .data import to_raster

            if isinstance(x, np.ndarray):  # numpy input: take the neuron's dtype and device
                x = torch.as_tensor(x, dtype=self._proto_w_s.dtype, device=self._proto_w_s.device)
            if not isinstance(x, torch.Tensor):
                size = self.delta_t / 1000.0 if bin_size is None else bin_size
                x = to_raster(x, bin_size=size, device=self._proto_w_s.device)  # type: ignore[arg-type]
        assert isinstance(x, torch.Tensor)
        if x.ndim != 3:
            raise ValueError(f"x must be a [batch, time, inputs] tensor, got shape {tuple(x.shape)}")
        if x.shape[-1] != self.num_input:
            raise ValueError(
                f"x must have num_input={self.num_input} inputs on its last axis, got {x.shape[-1]}"
            )
        if not torch.is_floating_point(x):
            x = x.to(self._proto_w_s.dtype)
        # One reduction first (NaN/inf propagate into the sum); the exact check only when it is not finite.
        if not bool(torch.isfinite(x.sum())) and not bool(torch.isfinite(x).all()):
            raise ValueError("x must be finite (found NaN or inf spikes/inputs)")
        if self.require_binary_input and not bool(((x == 0) | (x == 1)).all()):
            raise ValueError("x must be binary (0/1 spikes) for this neuron (require_binary_input=True)")
        return x

    def route(self, x: torch.Tensor) -> torch.Tensor:
        """Map inputs ``[B, T, n_in]`` to synapses ``[B, T, n_syn]`` (index then mask, as the reference)."""
        if self.routing is None:
            return x
        return torch.index_select(x, 2, self.input_to_synapse_indices) * self.valid_indices_mask

    route_input_to_synapses = route  # the reference's name

    def branch_input(self, x: torch.Tensor) -> torch.Tensor:
        """Branch input ``b_t`` for all time steps at once ``[B, T, num_branch]`` (vectorised trace)."""
        syn = self.route(x) * self.w_s
        batch, steps, _ = syn.shape
        kappa = self.kappa_s
        if self.synapses_per_branch == 1:  # every synapse its own branch: no sum needed (v1 and v2 agree)
            return leaky_integrate(syn, kappa)
        grouped = syn.reshape(batch, steps, self.num_branch, self.synapses_per_branch)
        if self.version == 2:
            return leaky_integrate(grouped.sum(-1), kappa)
        per_branch = kappa.reshape(self.num_branch, self.synapses_per_branch)
        if bool(torch.all(per_branch == per_branch[:, :1])):
            # The trace is linear: with one tau_s per branch, summing first is the same trace (B channels).
            return leaky_integrate(grouped.sum(-1), per_branch[:, 0].contiguous())
        traces = leaky_integrate(syn, kappa)
        return traces.reshape(batch, steps, self.num_branch, self.synapses_per_branch).sum(-1)

    def simulate(self, x: torch.Tensor, bin_size: float | None = None) -> ELMStates:
        """Run the neuron and return outputs, branch inputs and memory for every time step.

        Parameters
        ----------
        x
            Inputs ``[batch, time, num_input]`` (tensor or numpy array), or a ``neurotypes.SpikeTrains`` /
            sequence of them (binned with ``bin_size`` seconds; default ``delta_t`` read as milliseconds).
        bin_size
            Bin width in seconds for spike-train inputs.
        """
        x = self._validate_input(x, bin_size)
        return self._run(x, need_branch_input=True)

    def forward(self, x: torch.Tensor, bin_size: float | None = None) -> torch.Tensor:
        """Outputs ``y_t`` ``[batch, time, num_output]`` for inputs ``[batch, time, num_input]``."""
        x = self._validate_input(x, bin_size)
        return self._run(x, need_branch_input=False).outputs

    def _gain(self, kappa_m: torch.Tensor) -> torch.Tensor:
        if self.version == 1:
            return self.lambda_value * (1 - kappa_m)
        return 1 - self.kappa_lambda.to(kappa_m.dtype)

    def _constants(self, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``kappa_m``, the memory gain and ``kappa_s``; cached while the timescales are fixed and unchanged."""
        tau_m, tau_s = self._proto_tau_m, self.trace_tau
        if tau_m.requires_grad or tau_s.requires_grad:
            kappa_m = self.kappa_m.to(dtype)
            return kappa_m, self._gain(kappa_m), self.kappa_s.to(dtype)
        key = (
            tau_m._version,
            tau_m.data_ptr(),
            tau_m.device,
            tau_s._version,
            tau_s.data_ptr(),
            dtype,
            self.version,
            self.lambda_value,
            self.delta_t,
            self.tau_m_min,
            self.tau_m_max,
        )
        cached = self.__dict__.get("_constants_cache")  # (tau_m, tau_s, key, values); not in the state dict
        if cached is None or cached[0] is not tau_m or cached[1] is not tau_s or cached[2] != key:
            with torch.no_grad():
                kappa_m = self.kappa_m.to(dtype)
                cached = (tau_m, tau_s, key, (kappa_m, self._gain(kappa_m), self.kappa_s.to(dtype)))
            self.__dict__["_constants_cache"] = cached
        values: tuple[torch.Tensor, torch.Tensor, torch.Tensor] = cached[3]
        return values

    def _run(self, x: torch.Tensor, need_branch_input: bool) -> ELMStates:
        linears = [m for m in self.mlp.network if isinstance(m, nn.Linear)]
        first = linears[0]
        batch, steps, _ = x.shape
        core = (
            self.fused
            and len(linears) == 2
            and x.device.type == "cpu"
            and NUMPY_LOOPS_ON_CPU
            and steps > 0
            and first.weight.dtype in (torch.float32, torch.float64)
        )
        kappa_m, gain, kappa_s = self._constants(first.weight.dtype)
        if core:
            second = linears[1]
            if x.dtype != first.weight.dtype:  # e.g. float16 spikes into a float32 neuron
                x = x.to(first.weight.dtype)
            if (
                not need_branch_input
                and self.routing is None
                and self.synapses_per_branch == 1
                and not x.requires_grad
            ):
                # One synapse per branch: the synapse weights fold into the first layer and the trace of the
                # raw inputs is computed inside the fused core (no trace backward pass needed).
                feats, w_s, trace_kappa, b = x, self.w_s, kappa_s, x.new_empty(0)
            else:
                b = self.branch_input(x)
                feats, w_s, trace_kappa = b, None, None
            y, mem = elm_core_cpu(
                feats,
                first.weight,
                first.bias,
                second.weight,
                second.bias,
                w_s,
                kappa_m,
                gain,
                trace_kappa,
                self.w_y.weight,
                self.w_y.bias,
                self.activation,
            )
            return ELMStates(outputs=y, branch_input=b, memory=mem)
        b = self.branch_input(x)
        kappa_m, gain = kappa_m.to(b.dtype), gain.to(b.dtype)
        if steps == 0:
            mem = b.new_zeros(batch, 0, self.num_memory)
        else:
            w_mem = first.weight[:, self.num_branch :]
            # Branch part of the first layer for all steps at once; only the memory part is recurrent.
            pre = torch.nn.functional.linear(b, first.weight[:, : self.num_branch], first.bias)
            if len(linears) == 2 and self.fused:
                second = linears[1]
                mem = _MemoryRecurrence.apply(
                    pre, w_mem, second.weight, second.bias, kappa_m, gain, self.activation
                )
            else:
                mem = memory_recurrence_autograd(pre, w_mem, linears[1:], kappa_m, gain, self.activation)
        return ELMStates(outputs=self.w_y(mem), branch_input=b, memory=mem)

    def neuronio_eval_forward(
        self, x: torch.Tensor, y_train_soma_scale: float = SOMA_TRAIN_SCALE
    ) -> torch.Tensor:
        """NeuronIO evaluation head: ``[sigmoid(spike logit), soma / y_train_soma_scale]`` (scale 0.1: soma x 10)."""
        y = self.forward(x)
        return torch.stack([torch.sigmoid(y[..., 0]), (1 / y_train_soma_scale) * y[..., 1]], dim=-1)

    def extra_repr(self) -> str:
        return (
            f"version={self.version}, num_input={self.num_input}, num_output={self.num_output}, "
            f"num_memory={self.num_memory}, num_branch={self.num_branch}, "
            f"synapses_per_branch={self.synapses_per_branch}, routing={self.routing!r}, "
            f"tau_m=[{self.tau_m_min:g}, {self.tau_m_max:g}], delta_t={self.delta_t:g}"
        )


_DEFAULTS: dict[str, Any] = {
    "num_input": None,
    "num_output": None,
    "num_memory": 100,
    "lambda_value": 5.0,
    "mlp_hidden": None,
    "mlp_layers": 1,
    "activation": "relu",
    "tau_s": 5.0,
    "tau_m_min": 1.0,
    "tau_m_max": 1000.0,
    "learn_tau_m": False,
    "num_branch": None,
    "synapses_per_branch": 1,
    "routing": None,
    "delta_t": 1.0,
}
