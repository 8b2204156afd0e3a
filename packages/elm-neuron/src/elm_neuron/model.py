"""The Expressive Leaky Memory (ELM) neuron (Spieler et al., ICLR 2024), versions 1 and 2 (Branch-ELM v2).

Equations (time step ``delta_t``; inputs ``x_t``; memory ``m_t``):

* version 1 (synapse traces)::

      s_t  = kappa_s * s_{t-1} + w_s * route(x_t)             kappa_s = exp(-dt / tau_s), w_s = relu(w~_s)
      b_t  = sum_{k in branch j} s_t[k]
      dm_t = 1.7159 * tanh(2/3 * MLP([b_t, kappa_m * m_{t-1}]))
      m_t  = kappa_m * m_{t-1} + lambda * (1 - kappa_m) * dm_t  kappa_m = exp(-dt / tau_m)
      y_t  = W_y m_t + b_y

* version 2 (branch traces)::

      b_t  = kappa_b * b_{t-1} + sum_{k in branch j} w_s[k] route(x_t)[k]
      m_t  = kappa_m * m_{t-1} + (1 - kappa_lambda) * dm_t      kappa_lambda = exp(-lambda dt / tau_m)

The module is split by concern: :mod:`elm_neuron.config` (argument names, validation, parameter count,
backends), :mod:`elm_neuron.routing` (the reference's NeuronIO routing and the synapse map),
:mod:`elm_neuron.recurrence` (traces and memory recurrence in torch) and :mod:`elm_neuron.fused` (the whole
neuron on CPU in one autograd function, with numba kernels or numpy loops). :class:`ELM` chooses between them
through its ``backend`` argument (:data:`elm_neuron.config.BACKENDS`).

State-dict names are those of the reference implementation (AaronSpieler/elmneuron), so its checkpoints load
with ``strict=True``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from neurotypes.validation import check_bool, check_float, check_int, check_positive

from . import fused
from .config import (
    ACTIVATIONS,
    BACKENDS,
    DEFAULTS,
    check_backend,
    count_params,
    normalize_config,
    routing_name,
)
from .recurrence import MemoryRecurrence, leaky_integrate, memory_recurrence_autograd
from .routing import (
    SynapseMap,
    input_decay,
    interlocking_indices,
    neuronio_routing,
    overlapping_window_indices,
    route,
    routing_matrix,
    synapse_map,
)

__all__ = [
    "BACKENDS",
    "ELM",
    "MODEL_FORMAT",
    "ELMStates",
    "count_params",
    "interlocking_indices",
    "leaky_integrate",
    "load_model",
    "neuron_response",
    "neuronio_routing",
    "normalize_config",
    "overlapping_window_indices",
    "save_model",
]

#: The reference's soma scale (``DEFAULT_Y_TRAIN_SOMA_SCALE``): soma targets are trained as 0.1 * (v - bias).
SOMA_TRAIN_SCALE = 0.1

_ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "silu": nn.SiLU}
assert tuple(_ACTIVATIONS) == ACTIVATIONS


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
    backend
        How the neuron is computed (see :data:`elm_neuron.config.BACKENDS`; settable later as
        ``model.backend``): ``"auto"`` (default: ``"numba"`` on CPU when numba is installed, else ``"numpy"`` on
        CPU, ``"torch"`` on other devices and for MLPs without exactly one hidden layer), ``"numba"`` (compiled
        CPU kernels: routing, synapse traces and branch sums folded into the first layer, spikes entered
        through their non-zero entries, recurrence, readout and their backward pass; needs the extra
        ``fast``), ``"numpy"`` (the same on CPU with numpy loops) or ``"torch"`` (torch operations on any
        device). All give the same outputs and gradients to float rounding. ``"numba"`` and ``"numpy"`` need
        one hidden layer, and CPU inputs of float32/float64 at call time.
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
        backend: str = "auto",
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
            w_s_init=w_s_init,
        )
        if reference_kwargs:
            translated = normalize_config(reference_kwargs)
            defaults = DEFAULTS
            for key, value in translated.items():
                if given[key] != defaults[key] and given[key] != value:
                    raise TypeError(f"{key!r} given twice with different values ({given[key]!r}, {value!r})")
                given[key] = value
        if given["num_input"] is None or given["num_output"] is None:
            raise TypeError("ELM requires num_input and num_output")
        if version not in (1, 2) or isinstance(version, bool):
            raise ValueError(f"version must be 1 or 2, got {version!r}")
        self.version = int(version)
        self.num_input = check_int("num_input", given["num_input"], minimum=1)
        self.num_output = check_int("num_output", given["num_output"], minimum=1)
        self.num_memory = check_int("num_memory", given["num_memory"], minimum=1)
        self.lambda_value = check_float("lambda_value", given["lambda_value"])
        hidden = given["mlp_hidden"]
        self.mlp_hidden = 2 * self.num_memory if not hidden else check_int("mlp_hidden", hidden, minimum=1)
        self.mlp_layers = check_int("mlp_layers", given["mlp_layers"], minimum=0)
        act = given["activation"]
        if act not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {act!r}")
        self.activation = str(act)
        self.tau_s_value = check_positive("tau_s", given["tau_s"])
        self.tau_m_min = check_positive("tau_m_min", given["tau_m_min"])
        tau_max = check_positive("tau_m_max", given["tau_m_max"])
        if self.version == 1 and not tau_max > self.tau_m_min + 2e-6:
            raise ValueError(
                f"tau_m_max must exceed tau_m_min in version 1 (got tau_m_min={self.tau_m_min}, tau_m_max={tau_max})"
            )
        # Version 2 of the reference widens an empty range instead of failing.
        self.tau_m_max = max(self.tau_m_min + 3e-6, tau_max) if self.version == 2 else tau_max
        self.learn_tau_m = check_bool("learn_tau_m", given["learn_tau_m"])
        self.routing = routing_name(given["routing"])
        self.synapses_per_branch = check_int("synapses_per_branch", given["synapses_per_branch"], minimum=1)
        branches = given["num_branch"]
        self.num_branch = self.num_input if branches is None else check_int("num_branch", branches, minimum=1)
        self.num_synapse = self.num_branch * self.synapses_per_branch
        if self.routing is None and self.num_synapse != self.num_input:
            raise ValueError(
                "without routing, num_branch * synapses_per_branch must equal num_input "
                f"(got {self.num_branch} * {self.synapses_per_branch} = {self.num_synapse} != {self.num_input}); "
                "pass routing='neuronio' or 'random' to route inputs to synapses"
            )
        self.delta_t = check_positive("delta_t", given["delta_t"])
        self.w_s_init = check_float("w_s_init", given["w_s_init"])
        self.require_binary_input = check_bool("require_binary_input", require_binary_input)
        self.backend = backend  # validated by the property setter

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
                gen = torch.Generator().manual_seed(check_int("routing_seed", routing_seed, minimum=0))
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
            "backend": self.backend,
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

    # ------------------------------------------------------------------ backend
    @property
    def backend(self) -> str:
        """The compute backend (``"auto"``, ``"numba"``, ``"numpy"`` or ``"torch"``; see the class docstring)."""
        return self._backend

    @backend.setter
    def backend(self, value: str) -> None:
        value = check_backend(value)
        if value in ("numba", "numpy") and self.mlp_layers != 1:
            raise ValueError(
                f"backend={value!r} runs neurons with one hidden layer (mlp_layers=1, got {self.mlp_layers}); "
                "use 'torch' or 'auto'"
            )
        if value == "numba" and not fused.numba_available():
            raise ImportError(
                "backend='numba' needs numba and SciPy: pip install 'elm-neuron[fast]' (or use backend='numpy')"
            )
        self._backend = value

    def resolved_backend(self, x: torch.Tensor) -> str:
        """The backend that runs for inputs ``x``: ``"numba"``, ``"numpy"`` or ``"torch"``.

        Raises
        ------
        ValueError
            When ``backend`` is ``"numba"`` or ``"numpy"`` and ``x`` or the weights are not on the CPU or not
            float32/float64.
        """
        weight = self.w_y.weight
        cpu_ok = (
            x.device.type == "cpu"
            and weight.device.type == "cpu"
            and weight.dtype in (torch.float32, torch.float64)
        )
        if self._backend == "torch" or (self._backend == "auto" and (not cpu_ok or self.mlp_layers != 1)):
            return "torch"
        if not cpu_ok:
            raise ValueError(
                f"backend={self._backend!r} runs on CPU tensors of float32 or float64; got inputs on "
                f"{x.device} and weights of {weight.dtype} on {weight.device} (use backend='torch' or 'auto')"
            )
        return fused.resolve_cpu_backend(self._backend, x.shape[0], self.num_memory, self.mlp_hidden)

    # ------------------------------------------------------------------ dynamics
    def _validate_input(self, x: object, bin_size: float | None) -> torch.Tensor:
        """Shape and type of the inputs (their values are checked by :meth:`_check_values` where they are read)."""
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
        return x

    def _check_values(self, x: torch.Tensor) -> None:
        """Finite inputs (and 0/1 with ``require_binary_input``), checked on the whole tensor."""
        # One reduction first (NaN/inf propagate into the sum); the exact check only when it is not finite.
        if not bool(torch.isfinite(x.sum())) and not bool(torch.isfinite(x).all()):
            raise ValueError("x must be finite (found NaN or inf spikes/inputs)")
        if self.require_binary_input and not bool(((x == 0) | (x == 1)).all()):
            raise ValueError("x must be binary (0/1 spikes) for this neuron (require_binary_input=True)")

    def _check_entries(self, values: np.ndarray) -> None:
        """:meth:`_check_values` on the non-zero entries of a spike index (NaN and inf are among them)."""
        if not bool(np.isfinite(values).all()):
            raise ValueError("x must be finite (found NaN or inf spikes/inputs)")
        if self.require_binary_input and not bool((values == 1).all()):
            raise ValueError("x must be binary (0/1 spikes) for this neuron (require_binary_input=True)")

    def route(self, x: torch.Tensor) -> torch.Tensor:
        """Map inputs ``[B, T, n_in]`` to synapses ``[B, T, n_syn]`` (index then mask, as the reference)."""
        if self.routing is None:
            return x
        return route(x, self.input_to_synapse_indices, self.valid_indices_mask)

    route_input_to_synapses = route  # the reference's name

    def _cached(self, name: object, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
        """``make()``, cached under ``name`` while ``key`` is unchanged (kept out of the state dict)."""
        cache: dict[object, tuple[tuple[Any, ...], Any]] = self.__dict__.setdefault("_elm_cache", {})
        got = cache.get(name)
        if got is None or got[0] != key:
            got = (key, make())
            cache[name] = got
        return got[1]

    def synapse_map(self) -> SynapseMap:
        """The valid synapses (input, synapse, branch) of this neuron, rebuilt when the routing buffers change."""
        idx, mask = self.input_to_synapse_indices, self.valid_indices_mask
        key = (idx._version, idx.data_ptr(), mask._version, mask.data_ptr(), tuple(idx.shape))
        routed = self.routing is not None
        return self._cached(  # type: ignore[no-any-return]
            "synapse_map",
            key,
            lambda: synapse_map(
                idx if routed else None,
                mask if routed else None,
                self.num_input,
                self.num_branch,
                self.synapses_per_branch,
            ),
        )

    def _input_decay(self, dtype: torch.dtype) -> tuple[torch.Tensor | None, bool]:
        """The trace decay of each input when all its synapses share one (see :func:`routing.input_decay`),
        and whether it is one decay for all inputs (then spikes can enter through their non-zero entries)."""
        tau = self.trace_tau
        if tau.requires_grad:
            return None, False
        idx, mask = self.input_to_synapse_indices, self.valid_indices_mask
        key = (tau._version, tau.data_ptr(), dtype, self.delta_t, idx._version, idx.data_ptr(), mask._version)

        def make() -> tuple[torch.Tensor | None, bool]:
            with torch.no_grad():
                decay = self.kappa_s.detach().to(torch.float64).cpu().numpy()
            if self.version == 2:  # one trace per branch: every synapse of branch j decays with kappa_b[j]
                decay = np.repeat(decay, self.synapses_per_branch)
            got = input_decay(self.synapse_map(), decay)
            if got is None:
                return None, False
            return torch.as_tensor(got, dtype=dtype), bool(np.all(got == got[0]))

        return self._cached(("input_decay", dtype), key, make)  # type: ignore[no-any-return]

    def _routing_matrix(self, w_s: torch.Tensor) -> torch.Tensor:
        """``R`` ``[n_in, B]`` (:func:`routing.routing_matrix`) on the device of ``w_s``."""
        return routing_matrix(self.synapse_map(), w_s)

    def branch_input(self, x: torch.Tensor) -> torch.Tensor:
        """Branch input ``b_t`` for all time steps at once ``[B, T, num_branch]`` (vectorised trace)."""
        w_s = self.w_s
        kappa = self.kappa_s
        batch, steps, _ = x.shape
        if self.routing is None and self.synapses_per_branch == 1:  # every synapse its own branch
            return leaky_integrate(x * w_s, kappa)
        if self.version == 2:
            per_branch: torch.Tensor | None = kappa
        else:
            groups = kappa.reshape(self.num_branch, self.synapses_per_branch)
            per_branch = groups[:, 0].contiguous() if bool(torch.all(groups == groups[:, :1])) else None
        if per_branch is None:  # different synapse decays within a branch: one trace per synapse
            traces = leaky_integrate(self.route(x) * w_s, kappa)
            return traces.reshape(batch, steps, self.num_branch, self.synapses_per_branch).sum(-1)
        # The trace is linear: with one decay per branch, summing first is the same trace (B channels).
        if self.routing is None:
            drive = (x * w_s).reshape(batch, steps, self.num_branch, self.synapses_per_branch).sum(-1)
        else:  # routing, synapse weights and branch sums as one product with R [n_in, B]
            drive = x @ self._routing_matrix(w_s).to(x.dtype)
        return leaky_integrate(drive, per_branch)

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

    def _constants(self, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
        """``kappa_m`` and the memory gain; cached while the timescales are fixed and unchanged."""
        tau_m = self._proto_tau_m
        if tau_m.requires_grad:
            kappa_m = self.kappa_m.to(dtype)
            return kappa_m, self._gain(kappa_m)
        key = (
            tau_m._version,
            tau_m.data_ptr(),
            tau_m.device,
            dtype,
            self.version,
            self.lambda_value,
            self.delta_t,
            self.tau_m_min,
            self.tau_m_max,
        )

        def make() -> tuple[torch.Tensor, torch.Tensor]:
            with torch.no_grad():
                kappa_m = self.kappa_m.to(dtype)
                return kappa_m, self._gain(kappa_m)

        values: tuple[torch.Tensor, torch.Tensor] = self._cached(("constants", dtype), key, make)
        return values

    def _run(self, x: torch.Tensor, need_branch_input: bool) -> ELMStates:
        backend = self.resolved_backend(x)
        linears = [m for m in self.mlp.network if isinstance(m, nn.Linear)]
        first = linears[0]
        if backend == "torch" or x.shape[1] == 0:
            self._check_values(x)
            return self._run_torch(x, linears)
        second = linears[1]
        if x.dtype != first.weight.dtype:  # e.g. float16 spikes into a float32 neuron
            x = x.to(first.weight.dtype)
        kappa_m, gain = self._constants(first.weight.dtype)
        decay, uniform = None, False
        if not need_branch_input and not x.requires_grad:
            decay, uniform = self._input_decay(first.weight.dtype)
        if decay is not None:
            # Raw inputs: routing, synapse weights and branch sums fold into the first layer (fused.py).
            smap = self.synapse_map()
            index: fused.SpikeIndex | bool | None = None
            if backend == "numba" and uniform:
                index = fused.spike_index(x.detach().numpy()) or False  # False: too dense, do not retry
            if isinstance(index, fused.SpikeIndex):
                self._check_entries(index.vals)
            else:
                self._check_values(x)
            feats, w_s, synapses = x, self.w_s, (None if smap.identity else smap)
            b = x.new_empty(0)
        else:
            self._check_values(x)
            b = self.branch_input(x)
            feats, w_s, decay, synapses, index = b, None, None, None, None
        y, mem = fused.elm_core_cpu(
            feats,
            first.weight,
            first.bias,
            second.weight,
            second.bias,
            w_s,
            kappa_m,
            gain,
            decay,
            self.w_y.weight,
            self.w_y.bias,
            self.activation,
            backend,
            synapses,
            index,
        )
        return ELMStates(outputs=y, branch_input=b, memory=mem)

    def _run_torch(self, x: torch.Tensor, linears: list[nn.Linear]) -> ELMStates:
        """The ``"torch"`` backend: branch input, then the memory recurrence (any device)."""
        first = linears[0]
        b = self.branch_input(x)
        batch, steps, _ = x.shape
        kappa_m, gain = self._constants(b.dtype)
        if steps == 0:
            mem = b.new_zeros(batch, 0, self.num_memory)
        else:
            w_mem = first.weight[:, self.num_branch :]
            # Branch part of the first layer for all steps at once; only the memory part is recurrent.
            pre = torch.nn.functional.linear(b, first.weight[:, : self.num_branch], first.bias)
            if len(linears) == 2:
                second = linears[1]
                mem = MemoryRecurrence.apply(
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


#: Name and version of the model file format written by :func:`save_model`.
MODEL_FORMAT = "elm-neuron.ELM"
MODEL_FORMAT_VERSION = 1


def save_model(model: ELM, path: str | os.PathLike[str], metadata: Mapping[str, Any] | None = None) -> Path:
    """Save a neuron as one ``.npz`` file of plain arrays plus JSON metadata (no pickle), atomically.

    The file holds the format name and version, the constructor arguments (:attr:`ELM.config`), every entry of
    the state dict (the reference's names) and ``metadata`` (any JSON-like mapping, e.g. how it was trained).
    :func:`load_model` reads it back with ``allow_pickle=False``.

    Parameters
    ----------
    model
        The neuron.
    path
        Destination (``.npz`` is appended when missing); its folder must exist.
    metadata
        Optional JSON-serialisable information stored with the weights.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> neuron = ELM(4, 2, num_memory=3)
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> path = save_model(neuron, folder / "neuron.npz", metadata={"note": "untrained"})
    >>> again, meta = load_model(path)
    >>> meta["note"], again.num_trainable_parameters() == neuron.num_trainable_parameters()
    ('untrained', True)
    """
    import io
    import json

    from neurotypes import atomic_write_bytes

    if not isinstance(model, ELM):
        raise TypeError(f"model must be an elm_neuron.ELM, got {type(model).__name__}")
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    target = Path(path)
    if target.suffix != ".npz":
        target = target.with_name(target.name + ".npz")
    if metadata is not None and not isinstance(metadata, Mapping):
        raise TypeError(f"metadata must be a mapping or None, got {type(metadata).__name__}")
    try:
        meta_text = json.dumps(dict(metadata or {}), allow_nan=False)
    except (TypeError, ValueError) as err:
        raise ValueError(f"metadata must be JSON-serialisable (finite numbers): {err}") from err
    arrays: dict[str, np.ndarray] = {
        "format": np.array(MODEL_FORMAT),
        "format_version": np.array(MODEL_FORMAT_VERSION),
        "config": np.array(json.dumps(model.config)),
        "metadata": np.array(meta_text),
    }
    for name, tensor in model.state_dict().items():
        arrays[f"state/{name}"] = tensor.detach().cpu().numpy()
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # type: ignore[arg-type]
    return atomic_write_bytes(target, buf.getvalue())


def load_model(path: str | os.PathLike[str]) -> tuple[ELM, dict[str, Any]]:
    """Read a neuron saved by :func:`save_model` (``allow_pickle=False``): the model (CPU, eval mode) and its
    metadata.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    neurotypes.FormatError
        (a ``ValueError``) When the file is not a readable elm-neuron model file of a known version; the
        message names the file.
    """
    import json
    import zipfile

    from neurotypes import FormatError
    from neurotypes.validation import check_path

    file = check_path("path", path)
    try:
        with np.load(file, allow_pickle=False) as archive:
            contents = {k: archive[k] for k in archive.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError) as err:
        raise FormatError(f"path: cannot read {str(file)!r} as an elm-neuron model file ({err})") from err
    fmt = contents.get("format")
    if fmt is None or fmt.shape != () or str(fmt) != MODEL_FORMAT:
        raise FormatError(f"path: {str(file)!r} is not an elm-neuron model file (format {fmt!r})")
    version = contents.get("format_version")
    if version is None or version.shape != () or int(version) != MODEL_FORMAT_VERSION:
        raise FormatError(
            f"path: {str(file)!r} has model format version {version!r}; this elm-neuron reads "
            f"version {MODEL_FORMAT_VERSION}"
        )
    try:
        config = json.loads(str(contents["config"]))
        metadata = json.loads(str(contents["metadata"]))
        model = ELM(**config)
        state = {
            k[len("state/") :]: torch.from_numpy(v.copy())
            for k, v in contents.items()
            if k.startswith("state/")
        }
        model.load_state_dict(state, strict=True)
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        raise FormatError(f"path: {str(file)!r} holds an inconsistent elm-neuron model ({err})") from err
    if not isinstance(metadata, dict):
        raise FormatError(f"path: {str(file)!r}: the model's metadata is not a JSON object")
    return model.eval(), metadata


def neuron_response(
    model: ELM,
    trains: Any,
    bin_size: float | None = None,
    units: Any = None,
) -> Any:
    """Drive ``model`` with recorded spike trains and return its outputs over time as ``neurotypes.Traces``.

    The recording is binned at ``bin_size`` seconds (default: the neuron's ``delta_t`` read as milliseconds),
    counts clipped to 1, and fed as one sequence; the result has one trace per output (``"output_<k>"``) at the
    bin rate, starting at the recording's ``t_start``.

    Parameters
    ----------
    model
        The neuron; ``num_input`` must equal the number of input units.
    trains
        ``neurotypes.SpikeTrains`` (e.g. from :func:`elm_neuron.data.read_recording`).
    bin_size
        Bin width in seconds.
    units
        Ids (strings) or indices of the units to use as inputs, in input order (default: all units).

    Examples
    --------
    >>> import numpy as np
    >>> from neurotypes import SpikeTrains
    >>> trains = SpikeTrains.from_unit_times([np.array([0.002, 0.005]), np.array([0.003])], t_stop=0.01)
    >>> out = neuron_response(ELM(2, 1, num_memory=3), trains)
    >>> out.data.shape, out.rate
    ((1, 10), 1000.0)
    """
    from neurotypes import SpikeTrains, Traces

    if not isinstance(model, ELM):
        raise TypeError(f"model must be an elm_neuron.ELM, got {type(model).__name__}")
    if not isinstance(trains, SpikeTrains):
        raise TypeError(f"trains must be neurotypes.SpikeTrains, got {type(trains).__name__}")
    width = model.delta_t / 1000.0 if bin_size is None else check_positive("bin_size", bin_size)
    if units is not None:
        trains = trains.select(list(units))
    if trains.n_units != model.num_input:
        raise ValueError(
            f"trains: the neuron takes {model.num_input} inputs, the recording has {trains.n_units} units"
            + ("" if units is not None else " (choose them with units=)")
        )
    counts = np.minimum(np.asarray(trains.bin(width).counts), 1)
    x = torch.as_tensor(counts.T[None], dtype=model.w_y.weight.dtype, device=model.w_y.weight.device)
    with torch.no_grad():
        y = model(x)[0].T.double().cpu().numpy()
    return Traces(
        y, rate=1.0 / width, t_start=trains.t_start, unit_ids=[f"output_{k}" for k in range(y.shape[0])]
    )
