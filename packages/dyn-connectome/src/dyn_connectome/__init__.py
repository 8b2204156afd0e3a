"""dyn-connectome: dynamic functional connectomes from calcium imaging (Dyballa et al., ICLR 2024).

Three stages: windowed differential affinities between traces (:mod:`~dyn_connectome.affinity`), a
neuron-pair × window × animal tensor factorised by non-negative CP (:mod:`~dyn_connectome.tensor`,
:mod:`~dyn_connectome.ntf`), and weighted stochastic-block-model communities on each component
(:mod:`~dyn_connectome.community`). :class:`DynamicConnectome` runs all three.
"""

from importlib.metadata import PackageNotFoundError, version

from . import affinity, community, data, ntf, plots, synthetic, tensor
from .affinity import differential_affinity
from .community import description_length, detect, fit_wsbm
from .model import Component, DynamicConnectome, worm_concentration
from .ntf import NTFResult, RankSweep, fit_ntf, rank_sweep
from .reproduce import reproduce
from .tensor import PairIndex, build_affinity_tensor

try:
    __version__ = version("dyn-connectome")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "Component",
    "DynamicConnectome",
    "NTFResult",
    "PairIndex",
    "RankSweep",
    "__version__",
    "affinity",
    "build_affinity_tensor",
    "community",
    "data",
    "description_length",
    "detect",
    "differential_affinity",
    "fit_ntf",
    "fit_wsbm",
    "ntf",
    "plots",
    "rank_sweep",
    "reproduce",
    "synthetic",
    "tensor",
    "worm_concentration",
]
