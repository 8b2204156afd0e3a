"""milan: natural-language descriptions of neurons in vision models (Hernandez et al., ICLR 2022).

Exemplars of any torch model's units (forward hooks, streaming top-k, 0.99-quantile masks), a masked pyramid
exemplar encoder, an attention-LSTM captioner p(d|E), an LSTM language model p(d), beam search with PMI
decoding ``log p(d|E) - lam log p(d)``, unit ablation, and a self-contained shapes world to train and test it.
"""

from importlib.metadata import PackageNotFoundError, version

from milan import datasets, metrics, pipeline
from milan.decoding import Descriptions, Milan, beam_search, pmi_select
from milan.exemplars import (
    Exemplars,
    ExemplarSet,
    ablate_units,
    compute_exemplars,
    exemplars_from_activations,
    get_layer,
)
from milan.models import Captioner, LanguageModel, MaskedPyramidEncoder, ShapesBackbone, Vocabulary
from milan.reproduce import reproduce
from milan.train import train_captioner, train_classifier, train_language_model

try:
    __version__ = version("milan-neurons")
except PackageNotFoundError:  # pragma: no cover
    __version__ = "0.0.0"

__all__ = [
    "Captioner",
    "Descriptions",
    "ExemplarSet",
    "Exemplars",
    "LanguageModel",
    "MaskedPyramidEncoder",
    "Milan",
    "ShapesBackbone",
    "Vocabulary",
    "__version__",
    "ablate_units",
    "beam_search",
    "compute_exemplars",
    "datasets",
    "exemplars_from_activations",
    "get_layer",
    "metrics",
    "pipeline",
    "pmi_select",
    "reproduce",
    "train_captioner",
    "train_classifier",
    "train_language_model",
]
