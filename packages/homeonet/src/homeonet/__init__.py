"""homeonet: homeostatic neural networks under concept shift (Man, Damasio & Neven 2022, arXiv:2205.08645).

A classifier whose learning rate is a vulnerable internal state moved by the classes it learns from; a
homeostatic learner decides by look-ahead whether to "take" a sample. Random and constant regulation are the
baselines; concept shift is a stream of label swaps at a constant or time-varying rate.
"""

from neurotypes import package_version

from .data import digits, load_csv, load_file, load_idx, load_mnist, read_idx, synthetic_templates, write_idx
from .mlp import MLPClassifier, init_params, lookahead_accuracy
from .regulation import ETA_FLOOR, HomeostaticSGD, default_valence, valence_vector
from .reproduce import reproduce
from .shift import (
    ConceptShiftSchedule,
    LabelSwapStream,
    SwapEvent,
    resolve_rates,
    seasonal_rates,
    swaps_after_batches,
)
from .train import LearningCurve, run, train_reference_loop

__version__ = package_version("homeonet")

__all__ = [
    "ETA_FLOOR",
    "ConceptShiftSchedule",
    "HomeostaticSGD",
    "LabelSwapStream",
    "LearningCurve",
    "MLPClassifier",
    "SwapEvent",
    "__version__",
    "default_valence",
    "digits",
    "init_params",
    "load_csv",
    "load_file",
    "load_idx",
    "load_mnist",
    "lookahead_accuracy",
    "read_idx",
    "reproduce",
    "resolve_rates",
    "run",
    "seasonal_rates",
    "swaps_after_batches",
    "synthetic_templates",
    "train_reference_loop",
    "valence_vector",
    "write_idx",
]
