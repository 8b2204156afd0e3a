"""fisbe-bench: the FISBe instance-segmentation metrics (Mais et al., CVPR 2024) and benchmark tooling."""

from importlib.metadata import PackageNotFoundError, version

from . import baselines, io, localize, match, synth
from .labels import SparseLabels
from .scores import THRESHOLDS, DatasetScores, FisbeScores, SubsetScores, ThresholdScores, aggregate, evaluate

try:
    __version__ = version("fisbe-bench")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "THRESHOLDS",
    "DatasetScores",
    "FisbeScores",
    "SparseLabels",
    "SubsetScores",
    "ThresholdScores",
    "__version__",
    "aggregate",
    "baselines",
    "evaluate",
    "io",
    "localize",
    "match",
    "synth",
]
