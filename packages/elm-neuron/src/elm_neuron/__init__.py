"""elm-neuron: the Expressive Leaky Memory neuron (Spieler et al., ICLR 2024).

A fast PyTorch implementation of ELM versions 1 and 2 (Branch-ELM), loading the reference's checkpoints
unchanged, with the 15 pretrained NeuronIO neurons, synthetic SHD-like long-horizon tasks, fitting a neuron to
a recorded unit, Lightning training and a reproduction report.

The public names are loaded on first use (``import elm_neuron`` does not import torch until a name that needs
it is touched), so that the command line's ``--help`` answers at once.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from neurotypes import package_version

__version__ = package_version("elm-neuron")

#: Public name -> the module that defines it.
_EXPORTS: dict[str, str] = {
    "BACKENDS": "config",
    "count_params": "config",
    "normalize_config": "config",
    "ELM": "model",
    "ELMStates": "model",
    "load_model": "model",
    "neuron_response": "model",
    "save_model": "model",
    "PRETRAINED_SIZES": "pretrained_models",
    "pretrained": "pretrained_models",
    "pretrained_info": "pretrained_models",
    "leaky_integrate": "recurrence",
    "neuronio_routing": "routing",
}
_MODULES = (
    "config",
    "data",
    "fused",
    "model",
    "plots",
    "pretrained_models",
    "recurrence",
    "routing",
    "train",
)

__all__ = [
    "BACKENDS",
    "ELM",
    "PRETRAINED_SIZES",
    "ELMStates",
    "__version__",
    "count_params",
    "data",
    "leaky_integrate",
    "load_model",
    "neuron_response",
    "neuronio_routing",
    "normalize_config",
    "pretrained",
    "pretrained_info",
    "save_model",
]
assert set(__all__) == {"__version__", "data", *_EXPORTS}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    if name in _MODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS) | set(_MODULES))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from . import data
    from .config import BACKENDS, count_params, normalize_config
    from .model import ELM, ELMStates, load_model, neuron_response, save_model
    from .pretrained_models import PRETRAINED_SIZES, pretrained, pretrained_info
    from .recurrence import leaky_integrate
    from .routing import neuronio_routing
