"""milan: natural-language descriptions of neurons in vision models (Hernandez et al., ICLR 2022).

Exemplars of any torch model's units (forward hooks, streaming top-k, 0.99-quantile masks), a masked pyramid
exemplar encoder, an attention-LSTM captioner p(d|E), an LSTM language model p(d), beam search with PMI decoding
``log p(d|E) - lam log p(d)``, unit ablation, and a self-contained shapes world to train and test it.

The public names are imported on first use (PEP 562), so ``import milan`` (and ``milan-neurons --help``) does not
import torch or Lightning until a name that needs them is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import neurotypes

if TYPE_CHECKING:
    from milan import data, metrics
    from milan.data import read_activations, read_images, shapes_world
    from milan.decoding import Descriptions, Milan, beam_search, pmi_select
    from milan.editing import accuracy, editing_experiment
    from milan.exemplars import (
        Exemplars,
        ExemplarSet,
        ablate_units,
        compute_exemplars,
        exemplars_from_activations,
        label_units_by_iou,
    )
    from milan.metrics import annotator_agreement, bleu, inter_annotator_agreement, token_f1
    from milan.model import (
        Captioner,
        LanguageModel,
        MaskedPyramidEncoder,
        ShapesBackbone,
        TargetCNN,
        Vocabulary,
        get_layer,
    )
    from milan.train import (
        ShapesMilan,
        train_captioner,
        train_classifier,
        train_language_model,
        train_shapes_milan,
    )

    datasets = data

__version__ = neurotypes.package_version("milan-neurons")

_WHERE = {
    "read_activations": "milan.data",
    "read_images": "milan.data",
    "shapes_world": "milan.data",
    "Descriptions": "milan.decoding",
    "Milan": "milan.decoding",
    "beam_search": "milan.decoding",
    "pmi_select": "milan.decoding",
    "accuracy": "milan.editing",
    "editing_experiment": "milan.editing",
    "Exemplars": "milan.exemplars",
    "ExemplarSet": "milan.exemplars",
    "ablate_units": "milan.exemplars",
    "compute_exemplars": "milan.exemplars",
    "exemplars_from_activations": "milan.exemplars",
    "label_units_by_iou": "milan.exemplars",
    "annotator_agreement": "milan.metrics",
    "bleu": "milan.metrics",
    "inter_annotator_agreement": "milan.metrics",
    "token_f1": "milan.metrics",
    "Captioner": "milan.model",
    "LanguageModel": "milan.model",
    "MaskedPyramidEncoder": "milan.model",
    "ShapesBackbone": "milan.model",
    "TargetCNN": "milan.model",
    "Vocabulary": "milan.model",
    "get_layer": "milan.model",
    "ShapesMilan": "milan.train",
    "train_captioner": "milan.train",
    "train_classifier": "milan.train",
    "train_language_model": "milan.train",
    "train_shapes_milan": "milan.train",
}
_MODULES = {
    "data": "milan.data",
    "metrics": "milan.metrics",
    "datasets": "milan.data",
}  # datasets: the spec's name


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    if name in _MODULES:
        return importlib.import_module(_MODULES[name])
    raise AttributeError(f"module 'milan' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE, *_MODULES])


__all__ = [
    "Captioner",
    "Descriptions",
    "ExemplarSet",
    "Exemplars",
    "LanguageModel",
    "MaskedPyramidEncoder",
    "Milan",
    "ShapesBackbone",
    "ShapesMilan",
    "TargetCNN",
    "Vocabulary",
    "__version__",
    "ablate_units",
    "accuracy",
    "annotator_agreement",
    "beam_search",
    "bleu",
    "compute_exemplars",
    "data",
    "datasets",
    "editing_experiment",
    "exemplars_from_activations",
    "get_layer",
    "inter_annotator_agreement",
    "label_units_by_iou",
    "metrics",
    "pmi_select",
    "read_activations",
    "read_images",
    "shapes_world",
    "token_f1",
    "train_captioner",
    "train_classifier",
    "train_language_model",
    "train_shapes_milan",
]
