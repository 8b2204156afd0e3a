"""sdr-dendrites: sparse distributed representations and active dendrites (Ahmad & Hawkins 2016).

Exact false-match, false-negative and union probabilities of dendritic segments
(integer arithmetic, ``fractions.Fraction`` results, with a vectorised
log-space float path), the inverse design questions (how many synapses, which
threshold), and a seeded Monte-Carlo simulator over ``neurotypes.SDR`` that
checks the formulas.
"""

from neurotypes import package_version

from .data import (
    ParameterRow,
    patterns_from_counts,
    random_sdr,
    random_subsets,
    read_parameter_csv,
    read_patterns,
)
from .dendrites import (
    DendriteSegment,
    DendriticNeuron,
    PatternMatches,
    SimulationResult,
    segment_false_matches,
    simulate,
)
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

__version__ = package_version("sdr-dendrites")

__all__ = [
    "DEFAULT_GRID",
    "DendriteSegment",
    "DendriticNeuron",
    "ParameterGrid",
    "ParameterRow",
    "PatternMatches",
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
    "patterns_from_counts",
    "random_sdr",
    "random_subsets",
    "read_parameter_csv",
    "read_patterns",
    "segment_false_matches",
    "set_false_match_probability",
    "simulate",
    "union_false_match_probability",
    "union_size_distribution",
    "union_synapses",
]
