"""fisbe-bench: the FISBe instance-segmentation metrics (Mais et al., CVPR 2024) and benchmark tooling.

``evaluate`` scores one image (3-D volume or 2-D image) exactly as the official evaluator does; ``aggregate``,
``aggregate_combined`` and ``summary_table`` give the dataset scores and the official summary table.
"""

from neurotypes import package_version

from . import baselines, data, dataset, io, localize, match, synth
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

__version__ = package_version("fisbe-bench")

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
    "data",
    "dataset",
    "evaluate",
    "io",
    "localize",
    "match",
    "record_from_scores",
    "summary_table",
    "synth",
]
