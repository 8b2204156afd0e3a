"""fisbe-bench: the FISBe instance-segmentation metrics (Mais et al., CVPR 2024) and benchmark tooling."""

from importlib.metadata import PackageNotFoundError, version

from . import baselines, dataset, io, localize, match, synth
from .dataset import (
    DatasetScores,
    ImageRecord,
    aggregate,
    aggregate_combined,
    record_from_scores,
    summary_table,
)
from .labels import SparseLabels
from .scores import THRESHOLDS, FisbeScores, SubsetScores, ThresholdScores, evaluate

try:
    __version__ = version("fisbe-bench")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "THRESHOLDS",
    "DatasetScores",
    "FisbeScores",
    "ImageRecord",
    "SparseLabels",
    "SubsetScores",
    "ThresholdScores",
    "__version__",
    "aggregate",
    "aggregate_combined",
    "baselines",
    "dataset",
    "evaluate",
    "io",
    "localize",
    "match",
    "record_from_scores",
    "summary_table",
    "synth",
]
