"""sdr-dendrites: sparse distributed representations and active dendrites (Ahmad & Hawkins 2016).

Exact false-match, false-negative and union probabilities of dendritic segments
(integer arithmetic, ``fractions.Fraction`` results, with a vectorised
log-space float path), the inverse design questions (how many synapses, which
threshold), and a seeded Monte-Carlo simulator over ``neurotypes.SDR`` that
checks the formulas.
"""

from importlib.metadata import PackageNotFoundError, version

from .data import ParameterRow, random_sdr, random_subsets, read_parameter_csv
from .dendrites import DendriteSegment, DendriticNeuron, SimulationResult, simulate
from .design import (
    DEFAULT_GRID,
    ParameterGrid,
    SynapseDesign,
    ThetaCurve,
    min_synapses,
    min_theta,
    noise_cells,
    optimal_theta_curve,
)
from .probability import (
    false_match_probability,
    false_negative_probability,
    log_false_match_probability,
    log_false_negative_probability,
    overlap_set_size,
)
from .union import (
    UnionSize,
    set_false_match_probability,
    union_false_match_probability,
    union_size_distribution,
    union_synapses,
)

try:
    __version__ = version("sdr-dendrites")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without installing
    __version__ = "0.0.0"

__all__ = [
    "DEFAULT_GRID",
    "DendriteSegment",
    "DendriticNeuron",
    "ParameterGrid",
    "ParameterRow",
    "SimulationResult",
    "SynapseDesign",
    "ThetaCurve",
    "UnionSize",
    "__version__",
    "false_match_probability",
    "false_negative_probability",
    "log_false_match_probability",
    "log_false_negative_probability",
    "min_synapses",
    "min_theta",
    "noise_cells",
    "optimal_theta_curve",
    "overlap_set_size",
    "random_sdr",
    "random_subsets",
    "read_parameter_csv",
    "set_false_match_probability",
    "simulate",
    "union_false_match_probability",
    "union_size_distribution",
    "union_synapses",
]
