"""The embedded default data generators (the spec's ``dyn_connectome.synthetic``); defined in :mod:`.data`."""

from __future__ import annotations

from .data import DEFAULT_SCHEDULE, planted_epochs, weighted_er, weighted_lfr, weighted_planted_partition

__all__ = ["DEFAULT_SCHEDULE", "planted_epochs", "weighted_er", "weighted_lfr", "weighted_planted_partition"]
