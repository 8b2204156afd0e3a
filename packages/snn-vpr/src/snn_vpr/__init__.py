"""snn_vpr: ensembles of compact, region-specific and regularised spiking networks for visual place recognition.

Hussaini, Milford & Fischer, ICRA 2023 (arXiv:2209.08723): Diehl & Cook modules (Poisson inputs, conductance
LIF excitatory/inhibitory populations, adaptive thresholds, STDP with weight normalisation), one module per
geographic region, neuron-to-place assignment, and the hyperactive-neuron regularisation, in vectorised torch.

The public names are imported on first use, so that ``import snn_vpr`` (and the command line's ``--help``) does
not load torch until a network is built.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from neurotypes import package_version

__version__ = package_version("snn-vpr")

_EXPORTS = {
    "DEFAULT_THRESHOLDS": "model",
    "DiehlCookModule": "model",
    "ModularSNN": "model",
    "assign_neurons": "model",
    "hyperactive_neurons": "model",
    "ignore_hyperactive_neurons": "model",
    "place_scores": "model",
    "DiehlCookParams": "network",
    "ModuleBank": "network",
    "network_size": "network",
    "PlaceDataset": "data",
    "load_image_folders": "data",
    "load_traverses": "data",
    "read_name_list": "data",
    "synthetic_traverses": "data",
    "reproduce": "reproduce",
}
_MODULES = ("baselines", "encode", "metrics", "preprocess", "plots", "pynn", "io")

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
    "read_name_list",
    "reproduce",
    "synthetic_traverses",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from snn_vpr import baselines, encode, metrics, preprocess
    from snn_vpr import data as datasets
    from snn_vpr.data import (
        PlaceDataset,
        load_image_folders,
        load_traverses,
        read_name_list,
        synthetic_traverses,
    )
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


def __getattr__(name: str) -> Any:
    if name == "datasets":
        return importlib.import_module("snn_vpr.data")
    if name in _MODULES:
        return importlib.import_module(f"snn_vpr.{name}")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'snn_vpr' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"snn_vpr.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
