"""Neuroformer: multimodal generative pretraining for spiking data (Antoniades et al., ICLR 2024).

Spikes become neuron-ID and time-offset tokens (:class:`SpikeTokenizer`); a transformer
(:class:`Neuroformer`) predicts the next spike conditioned on the past window, stimuli and behaviour;
:mod:`neuroformer.sim` simulates hub networks with known connectivity and :mod:`neuroformer.analysis`
recovers it from attention.
"""

from importlib.metadata import PackageNotFoundError, version

from neuroformer import analysis, sim
from neuroformer.data import TimeSeries, WindowDataset, tokenize_dataset
from neuroformer.generation import generate_spikes
from neuroformer.model import Neuroformer, NeuroformerConfig, clip_loss, filter_logits, info_nce
from neuroformer.reproduce import reproduce
from neuroformer.tokenizer import SpikeTokenizer, TokenWindow
from neuroformer.train import NeuroformerLit, fit, token_nll

try:
    __version__ = version("neuroformer")
except PackageNotFoundError:  # pragma: no cover
    __version__ = "0.0.0"

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
    "clip_loss",
    "filter_logits",
    "fit",
    "generate_spikes",
    "info_nce",
    "reproduce",
    "sim",
    "token_nll",
    "tokenize_dataset",
]
