"""ap-prune: Activate-while-Pruning (AP) and the dynamic dead neuron rate (Liu et al., TMLR 2023)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .dnr import DNRTracker, dead_neuron_rate, pooled_rate, relu_layers
from .imp import Pruner, RoundRecord, SparsitySummary, imp_cycle, rewind_to, sparsity_summary
from .pruning import (
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

try:
    __version__ = version("ap-prune")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

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
    "rewind_to",
    "snapshot_weights",
    "sparsity_summary",
    "structurally_dead_units",
    "weight_mask",
]
