"""ap-prune: Activate-while-Pruning (AP) and the dynamic dead neuron rate (Liu et al., TMLR 2023).

The public names are imported on first use, so that ``import ap_prune`` (and the command line's ``--help``) does
not load torch until it is needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import neurotypes

__version__ = neurotypes.package_version("ap-prune")

_EXPORTS = {
    "DNRTracker": "dnr",
    "dead_neuron_rate": "dnr",
    "pooled_rate": "dnr",
    "relu_layers": "dnr",
    "Pruner": "imp",
    "RoundRecord": "imp",
    "SparsitySummary": "imp",
    "imp_cycle": "imp",
    "rewind_to": "imp",
    "sparsity_summary": "imp",
    "ActivateWhilePruning": "pruning",
    "BaselinePruner": "pruning",
    "PruneMask": "pruning",
    "PruneStep": "pruning",
    "ap_select": "pruning",
    "apply_prune_mask": "pruning",
    "density": "pruning",
    "effective_weight": "pruning",
    "global_magnitude": "pruning",
    "n_alive": "pruning",
    "prunable_layers": "pruning",
    "refresh_weights": "pruning",
    "snapshot_weights": "pruning",
    "structurally_dead_units": "pruning",
    "weight_mask": "pruning",
    "reproduce": "reproduce",
}

__all__ = [
    "ActivateWhilePruning",
    "BaselinePruner",
    "DNRTracker",
    "PruneMask",
    "PruneStep",
    "Pruner",
    "RoundRecord",
    "SparsitySummary",
    "__version__",
    "ap_select",
    "apply_prune_mask",
    "dead_neuron_rate",
    "density",
    "effective_weight",
    "global_magnitude",
    "imp_cycle",
    "n_alive",
    "pooled_rate",
    "prunable_layers",
    "refresh_weights",
    "relu_layers",
    "reproduce",
    "rewind_to",
    "snapshot_weights",
    "sparsity_summary",
    "structurally_dead_units",
    "weight_mask",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from ap_prune.dnr import DNRTracker, dead_neuron_rate, pooled_rate, relu_layers
    from ap_prune.imp import Pruner, RoundRecord, SparsitySummary, imp_cycle, rewind_to, sparsity_summary
    from ap_prune.pruning import (
        ActivateWhilePruning,
        BaselinePruner,
        PruneMask,
        PruneStep,
        ap_select,
        apply_prune_mask,
        density,
        effective_weight,
        global_magnitude,
        n_alive,
        prunable_layers,
        refresh_weights,
        snapshot_weights,
        structurally_dead_units,
        weight_mask,
    )
    from ap_prune.reproduce import reproduce


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ap_prune' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"ap_prune.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
