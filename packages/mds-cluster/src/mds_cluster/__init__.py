"""mds-cluster: most discriminative stimuli for functional cell-type clustering (Burg et al., ICLR 2024).

Cluster the neurons of a differentiable digital twin by alternating between optimising one most
discriminative stimulus (MDS) per cluster and reassigning each neuron to the MDS that drives it most.
"""

from importlib.metadata import PackageNotFoundError, version

from . import twins
from .clustering import MDSClustering
from .constraints import Clip, Constraint, L2Ball, L2Sphere, gaussian_blur, laplace_penalty
from .objective import cluster_means, contrastive_objective, normalise_responses
from .optimize import EMAStopper, optimize_stimuli, optimize_stimuli_loop

try:
    __version__ = version("mds-cluster")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without installation
    __version__ = "0.0.0"

__all__ = [
    "Clip",
    "Constraint",
    "EMAStopper",
    "L2Ball",
    "L2Sphere",
    "MDSClustering",
    "__version__",
    "cluster_means",
    "contrastive_objective",
    "gaussian_blur",
    "laplace_penalty",
    "normalise_responses",
    "optimize_stimuli",
    "optimize_stimuli_loop",
    "twins",
]
