"""Configuration of an ELM neuron: argument names (this package's and the reference's), validation, defaults,
the closed-form parameter count and the compute backends.

Nothing here imports torch: :func:`count_params` and :func:`normalize_config` work on plain mappings. Argument
checks are :mod:`neurotypes.validation`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from neurotypes.validation import check_int

__all__ = [
    "ACTIVATIONS",
    "BACKENDS",
    "DEFAULTS",
    "check_backend",
    "count_params",
    "normalize_config",
    "routing_name",
]

#: Compute backends of :class:`elm_neuron.ELM` (argument ``backend``):
#:
#: * ``"auto"`` (default): ``"numba"`` on CPU when numba is installed (extra ``fast``), else ``"numpy"`` on
#:   CPU, ``"torch"`` on other devices and for MLPs with more or fewer than one hidden layer;
#: * ``"numba"``: compiled CPU kernels for the whole neuron (:mod:`elm_neuron._numba_loops`): input routing,
#:   synapse traces and branch sums folded into one input-to-hidden matrix, sparse spike inputs entered through
#:   their non-zero entries only, the memory recurrence, the readout, and their hand-written backward pass;
#: * ``"numpy"``: the same autograd function (:class:`elm_neuron.fused.ELMCoreCPU`) with time loops in numpy;
#: * ``"torch"``: torch operations on any device (GPUs): routing as one product with the routing matrix, the
#:   trace as a chunked scan, the memory recurrence with a hand-written backward pass for one hidden layer
#:   (plain autograd otherwise).
#:
#: ``"numba"`` and ``"numpy"`` need CPU tensors of float32 or float64 and one hidden layer.
BACKENDS: tuple[str, ...] = ("auto", "numba", "numpy", "torch")

#: MLP activations (the reference's ``mlp_activation`` values).
ACTIVATIONS: tuple[str, ...] = ("relu", "silu")

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
    "backend",
)
_ROUTING_NAMES: dict[str | None, str | None] = {
    None: None,
    "none": None,
    "random": "random",
    "random_routing": "random",
    "neuronio": "neuronio",
    "neuronio_routing": "neuronio",
}

#: Defaults of the constructor arguments shared with the reference.
DEFAULTS: dict[str, Any] = {
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
    "w_s_init": 0.5,
}


def normalize_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """Translate a configuration with reference keys and/or this package's keys into this package's keys.

    Parameters
    ----------
    config
        Keys of the reference's ``model_config.json`` (``memory_tau_max``, ``input_to_synapse_routing``, ...)
        or of :class:`elm_neuron.ELM` (``tau_m_max``, ``routing``, ...). Routing values ``"neuronio_routing"`` /
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
        out["routing"] = routing_name(out["routing"])
    return out


def routing_name(routing: object) -> str | None:
    """This package's routing name (``None``, ``"random"``, ``"neuronio"``) for one of the accepted spellings."""
    if routing is not None and not isinstance(routing, str):
        raise TypeError(f"routing must be None or a string, got {type(routing).__name__}")
    key = routing.lower() if isinstance(routing, str) else None
    if key not in _ROUTING_NAMES:
        raise ValueError(
            f"routing must be None, 'random' or 'neuronio' (or the reference's 'random_routing' / "
            f"'neuronio_routing'), got {routing!r}"
        )
    return _ROUTING_NAMES[key]


def check_backend(backend: object) -> str:
    """Validate a ``backend`` argument: one of :data:`BACKENDS`."""
    if not isinstance(backend, str):
        raise TypeError(f"backend must be one of {BACKENDS}, got {type(backend).__name__}")
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    return backend


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
    num_input = check_int("num_input", cfg["num_input"], minimum=1)
    num_output = check_int("num_output", cfg["num_output"], minimum=1)
    d_m = check_int("num_memory", cfg.get("num_memory", 100), minimum=1)
    hidden = cfg.get("mlp_hidden")
    hidden = 2 * d_m if not hidden else check_int("mlp_hidden", hidden, minimum=1)
    layers = check_int("mlp_layers", cfg.get("mlp_layers", 1), minimum=0)
    branches = cfg.get("num_branch")
    branches = num_input if branches is None else check_int("num_branch", branches, minimum=1)
    per_branch = check_int("synapses_per_branch", cfg.get("synapses_per_branch", 1), minimum=1)
    fan_in = branches + d_m
    if layers == 0:
        mlp = fan_in * d_m + d_m
    else:
        mlp = fan_in * hidden + hidden + (layers - 1) * (hidden * hidden + hidden) + hidden * d_m + d_m
    total = mlp + branches * per_branch + num_output * d_m + num_output
    if cfg.get("learn_tau_m", False):
        total += d_m
    return int(total)
