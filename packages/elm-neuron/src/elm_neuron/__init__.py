"""elm-neuron: the Expressive Leaky Memory neuron (Spieler et al., ICLR 2024).

A fast PyTorch implementation of ELM versions 1 and 2 (Branch-ELM), loading the reference's checkpoints
unchanged, with the 15 pretrained NeuronIO neurons, synthetic SHD-like long-horizon tasks, Lightning training
and a reproduction report.
"""

from importlib.metadata import PackageNotFoundError, version

from . import data
from .config import BACKENDS, count_params, normalize_config
from .model import ELM, ELMStates
from .pretrained_models import PRETRAINED_SIZES, pretrained, pretrained_info
from .recurrence import leaky_integrate
from .routing import neuronio_routing

try:
    __version__ = version("elm-neuron")
except PackageNotFoundError:  # pragma: no cover - source tree without installation
    __version__ = "0.0.0"

__all__ = [
    "BACKENDS",
    "ELM",
    "PRETRAINED_SIZES",
    "ELMStates",
    "__version__",
    "count_params",
    "data",
    "leaky_integrate",
    "neuronio_routing",
    "normalize_config",
    "pretrained",
    "pretrained_info",
]
