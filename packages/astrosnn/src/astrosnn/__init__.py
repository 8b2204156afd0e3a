"""astrosnn: astrocyte-modulated spiking units and the AstroSNN language model (Shen et al., arXiv:2312.07625).

The AM-SU equations are a reconstruction (the paper's method section could not be read); every unconfirmed part
is a named option of :class:`AMSUCell`.

The public names are imported on first use, so that ``import astrosnn`` (and the command line's ``--help``) does
not load torch until a model is built.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import neurotypes

__version__ = neurotypes.package_version("astrosnn")

_EXPORTS = {
    "AMSU": "model",
    "LIF": "model",
    "MODS": "model",
    "MODEL_FORMAT": "model",
    "AMSUCell": "model",
    "AMSUState": "model",
    "AstroBlock": "model",
    "AstroSNNLM": "model",
    "LIFState": "model",
    "LMConfig": "model",
    "count_params": "model",
    "load_model": "model",
    "save_model": "model",
    "to_spike_trains": "model",
    "SURROGATES": "surrogate",
    "spike": "surrogate",
    "surrogate_grad": "surrogate",
    "NGramLM": "baselines",
    "TransformerLM": "baselines",
    "gpt2_n_params": "baselines",
    "lif_baseline": "baselines",
    "transformer_baseline": "baselines",
    "reproduce": "reproduce",
}

__all__ = [
    "AMSU",
    "LIF",
    "MODEL_FORMAT",
    "MODS",
    "SURROGATES",
    "AMSUCell",
    "AMSUState",
    "AstroBlock",
    "AstroSNNLM",
    "LIFState",
    "LMConfig",
    "NGramLM",
    "TransformerLM",
    "__version__",
    "count_params",
    "data",
    "gpt2_n_params",
    "lif_baseline",
    "load_model",
    "reproduce",
    "save_model",
    "spike",
    "surrogate_grad",
    "to_spike_trains",
    "transformer_baseline",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from astrosnn import data
    from astrosnn.baselines import NGramLM, TransformerLM, gpt2_n_params, lif_baseline, transformer_baseline
    from astrosnn.model import (
        AMSU,
        LIF,
        MODEL_FORMAT,
        MODS,
        AMSUCell,
        AMSUState,
        AstroBlock,
        AstroSNNLM,
        LIFState,
        LMConfig,
        count_params,
        load_model,
        save_model,
        to_spike_trains,
    )
    from astrosnn.reproduce import reproduce
    from astrosnn.surrogate import SURROGATES, spike, surrogate_grad


def __getattr__(name: str) -> Any:
    if name == "data":
        return importlib.import_module("astrosnn.data")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'astrosnn' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"astrosnn.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
