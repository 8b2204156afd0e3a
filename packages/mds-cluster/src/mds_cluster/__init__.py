"""mds-cluster: most discriminative stimuli for functional cell-type clustering (Burg et al., ICLR 2024).

Cluster the neurons of a differentiable digital twin by alternating between optimising one most
discriminative stimulus (MDS) per cluster and reassigning each neuron to the MDS that drives it most
(:class:`MDSClustering`); then type recorded cells on the fly from their responses to the K MDS
(:meth:`MDSClustering.assign`, :func:`load_responses` for the field's formats).

The public names load lazily (PEP 562): ``import mds_cluster`` does not import torch, so the command line's
``--help`` answers at once; ``mds_cluster.MDSClustering`` imports it on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from neurotypes import package_version

__version__ = package_version("mds-cluster")

#: Public name -> the module that defines it.
_EXPORTS = {
    "Clip": "constraints",
    "Constraint": "constraints",
    "L2Ball": "constraints",
    "L2Sphere": "constraints",
    "gaussian_blur": "constraints",
    "laplace_penalty": "constraints",
    "MDSClustering": "clustering",
    "Presentations": "data",
    "Responses": "data",
    "load_responses": "data",
    "read_presentations": "data",
    "responses_from_recording": "data",
    "cluster_means": "objective",
    "contrastive_objective": "objective",
    "normalise_responses": "objective",
    "EMAStopper": "optimize",
    "optimize_stimuli": "optimize",
    "optimize_stimuli_loop": "optimize",
    "train_cnn_twin": "train",
}
_MODULES = (
    "clustering",
    "constraints",
    "data",
    "objective",
    "optimize",
    "plots",
    "reproduce",
    "train",
    "twins",
)

__all__ = [
    "Clip",
    "Constraint",
    "EMAStopper",
    "L2Ball",
    "L2Sphere",
    "MDSClustering",
    "Presentations",
    "Responses",
    "__version__",
    "cluster_means",
    "contrastive_objective",
    "gaussian_blur",
    "laplace_penalty",
    "load_responses",
    "normalise_responses",
    "optimize_stimuli",
    "optimize_stimuli_loop",
    "read_presentations",
    "responses_from_recording",
    "train_cnn_twin",
    "twins",
]

if TYPE_CHECKING:
    from . import twins
    from .clustering import MDSClustering
    from .constraints import Clip, Constraint, L2Ball, L2Sphere, gaussian_blur, laplace_penalty
    from .data import Presentations, Responses, load_responses, read_presentations, responses_from_recording
    from .objective import cluster_means, contrastive_objective, normalise_responses
    from .optimize import EMAStopper, optimize_stimuli, optimize_stimuli_loop
    from .train import train_cnn_twin


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    elif name in _MODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS, *_MODULES})
