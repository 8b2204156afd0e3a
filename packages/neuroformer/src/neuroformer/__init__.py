"""Neuroformer: multimodal generative pretraining for spiking data (Antoniades et al., ICLR 2024).

Spikes become neuron-ID and time-offset tokens (:class:`SpikeTokenizer`); a transformer
(:class:`Neuroformer`) predicts the next spike conditioned on the past window, stimuli and behaviour;
:mod:`neuroformer.sim` simulates hub networks with known connectivity and :mod:`neuroformer.analysis`
recovers it from attention; :mod:`neuroformer.baselines` holds the history-aware (coupled Poisson GLM) and
decoding baselines the reproduction compares with.

The public names are loaded on first use (PEP 562), so that ``import neuroformer`` and ``neuroformer --help``
do not import torch or Lightning until a model is needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import neurotypes

__version__ = neurotypes.package_version("neuroformer")

# ``reproduce`` is both a submodule and the function it defines: bind the function eagerly (the module imports
# nothing heavy at import time), so that importing the submodule never leaves the package attribute a module.
from neuroformer.reproduce import reproduce

# public name -> module that defines it
_LAZY = {
    "SpikeTokenizer": "neuroformer.tokenizer",
    "TokenWindow": "neuroformer.tokenizer",
    "TimeSeries": "neuroformer.data",
    "WindowDataset": "neuroformer.data",
    "read_spikes": "neuroformer.data",
    "tokenize_dataset": "neuroformer.data",
    "Neuroformer": "neuroformer.model",
    "NeuroformerConfig": "neuroformer.model",
    "clip_loss": "neuroformer.model",
    "filter_logits": "neuroformer.model",
    "info_nce": "neuroformer.model",
    "load_model": "neuroformer.model",
    "generate_spikes": "neuroformer.generation",
    "NeuroformerLit": "neuroformer.train",
    "fit": "neuroformer.train",
    "token_nll": "neuroformer.train",
    "window_log_likelihood": "neuroformer.train",
}
_SUBMODULES = ("analysis", "baselines", "plots", "sim")

__all__ = [
    "Neuroformer",
    "NeuroformerConfig",
    "NeuroformerLit",
    "SpikeTokenizer",
    "TimeSeries",
    "TokenWindow",
    "WindowDataset",
    "__version__",
    "analysis",
    "baselines",
    "clip_loss",
    "filter_logits",
    "fit",
    "generate_spikes",
    "info_nce",
    "load_model",
    "plots",
    "read_spikes",
    "reproduce",
    "sim",
    "token_nll",
    "tokenize_dataset",
    "window_log_likelihood",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from neuroformer import analysis, baselines, plots, sim
    from neuroformer.data import TimeSeries, WindowDataset, read_spikes, tokenize_dataset
    from neuroformer.generation import generate_spikes
    from neuroformer.model import (
        Neuroformer,
        NeuroformerConfig,
        clip_loss,
        filter_logits,
        info_nce,
        load_model,
    )
    from neuroformer.tokenizer import SpikeTokenizer, TokenWindow
    from neuroformer.train import NeuroformerLit, fit, token_nll, window_log_likelihood


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"neuroformer.{name}")
    else:
        raise AttributeError(f"module 'neuroformer' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
