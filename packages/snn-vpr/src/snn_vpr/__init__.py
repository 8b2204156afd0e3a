"""snn_vpr: ensembles of compact, region-specific and regularised spiking networks for visual place recognition.

Hussaini, Milford & Fischer, ICRA 2023 (arXiv:2209.08723): Diehl & Cook modules (Poisson inputs, conductance
LIF excitatory/inhibitory populations, adaptive thresholds, STDP with weight normalisation), one module per
geographic region, neuron-to-place assignment, and the hyperactive-neuron regularisation, in vectorised torch.
"""

from neurotypes import package_version
from snn_vpr import baselines, encode, metrics, preprocess
from snn_vpr import data as datasets
from snn_vpr.data import PlaceDataset, load_image_folders, load_traverses, synthetic_traverses
from snn_vpr.model import (
    DEFAULT_THRESHOLDS,
    DiehlCookModule,
    ModularSNN,
    assign_neurons,
    hyperactive_neurons,
    ignore_hyperactive_neurons,
    place_scores,
)
from snn_vpr.network import DiehlCookParams, ModuleBank, network_size
from snn_vpr.reproduce import reproduce

__version__ = package_version("snn-vpr")

__all__ = [
    "DEFAULT_THRESHOLDS",
    "DiehlCookModule",
    "DiehlCookParams",
    "ModularSNN",
    "ModuleBank",
    "PlaceDataset",
    "__version__",
    "assign_neurons",
    "baselines",
    "datasets",
    "encode",
    "hyperactive_neurons",
    "ignore_hyperactive_neurons",
    "load_image_folders",
    "load_traverses",
    "metrics",
    "network_size",
    "place_scores",
    "preprocess",
    "reproduce",
    "synthetic_traverses",
]
