"""dyn-connectome: dynamic functional connectomes from calcium imaging (Dyballa et al., ICLR 2024).

Three stages: windowed differential affinities between traces (:mod:`~dyn_connectome.affinity`), a
neuron-pair × window × animal tensor factorised by non-negative CP (:mod:`~dyn_connectome.tensor`,
:mod:`~dyn_connectome.ntf`), and weighted stochastic-block-model communities on each component
(:mod:`~dyn_connectome.community`). :class:`DynamicConnectome` runs all three; :mod:`~dyn_connectome.data` holds
the default data and the readers of real recordings. Importing the package imports neither tensorly,
networkx nor matplotlib (they load when a fit or a figure needs them) and changes nothing global.
"""

from neurotypes import package_version

from . import affinity, community, data, ntf, plots, synthetic, tensor
from .affinity import differential_affinity
from .community import description_length, detect, fit_wsbm, normalized_mutual_information
from .data import load_many, load_traces, spike_rates
from .model import Component, DynamicConnectome, worm_concentration
from .ntf import NTFResult, RankSweep, fit_ntf, rank_sweep
from .reproduce import reproduce
from .tensor import PairIndex, build_affinity_tensor

__version__ = package_version("dyn-connectome")

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
    "load_many",
    "load_traces",
    "normalized_mutual_information",
    "ntf",
    "plots",
    "rank_sweep",
    "reproduce",
    "spike_rates",
    "synthetic",
    "tensor",
    "worm_concentration",
]
