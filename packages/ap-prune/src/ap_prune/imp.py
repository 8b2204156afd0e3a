"""Iterative pruning cycles with rewinding (IMP / lottery tickets), with or without AP."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

import torch
from torch import nn
from tqdm.auto import tqdm

from .dnr import DNRTracker
from .pruning import (
    PruneStep,
    density,
    prunable_layers,
    refresh_weights,
    snapshot_weights,
    structurally_dead_units,
)

__all__ = ["Pruner", "RoundRecord", "SparsitySummary", "imp_cycle", "rewind_to", "sparsity_summary"]

logger = logging.getLogger(__name__)

TrainFn = Callable[[nn.Module, int], Mapping[str, float] | None]


class Pruner(Protocol):
    """Anything with ``prune(model, w_start) -> PruneStep`` (:class:`~ap_prune.ActivateWhilePruning`, ...)."""

    def prune(self, model: nn.Module, w_start: Mapping[str, torch.Tensor] | None = None) -> PruneStep: ...


@dataclass(frozen=True)
class SparsitySummary:
    """Density, dead neuron rate and structural deaths of a (pruned) network.

    Attributes
    ----------
    density : float
        Fraction of alive weights over the prunable layers.
    density_by_layer : dict
        ``{layer: density}``.
    structural_deaths : dict
        ``{layer: number of output units with no incoming weight left}``.
    dnr : float or None
        Dynamic DNR of the cycle (pooled over the tracked ReLU layers), if a tracker was given.
    dnr_by_layer : dict
        ``{relu layer: DNR}``.
    dnr_alive : float or None
        DNR leaving out structurally dead units (needs ``unit_map``).
    """

    density: float
    density_by_layer: dict[str, float]
    structural_deaths: dict[str, int]
    dnr: float | None = None
    dnr_by_layer: dict[str, float] = field(default_factory=dict)
    dnr_alive: float | None = None


def sparsity_summary(
    model: nn.Module,
    tracker: DNRTracker | None = None,
    unit_map: Mapping[str, str] | None = None,
    layers: list[str] | None = None,
) -> SparsitySummary:
    """Summarise a network's sparsity and (when a tracker with finished epochs is given) its dynamic DNR.

    Parameters
    ----------
    model : torch.nn.Module
        The network.
    tracker : DNRTracker, optional
        A tracker holding the cycle's finished epochs.
    unit_map : mapping, optional
        ``{relu layer name: prunable layer name}`` saying which layer's output units a ReLU layer applies to,
        so structurally dead units can be left out (``dnr_alive``).
    layers : list of str, optional
        Prunable layers (default: all).
    """
    dens = density(model, layers, by_layer=True)
    assert isinstance(dens, dict)
    dead_units = structurally_dead_units(model, layers)
    summary_dnr: float | None = None
    by_layer: dict[str, float] = {}
    dnr_alive: float | None = None
    if tracker is not None and tracker.n_epochs > 0:
        d = tracker.cycle_mean()
        b = tracker.cycle_mean(by_layer=True)
        assert isinstance(d, float) and isinstance(b, dict)
        summary_dnr, by_layer = d, b
        if unit_map is not None:
            rates = tracker.cycle_unit_rates()
            exclude: dict[str, torch.Tensor] = {}
            for relu_name, layer_name in unit_map.items():
                if relu_name not in rates:
                    raise ValueError(f"unit_map: {relu_name!r} is not a tracked layer")
                if layer_name not in dead_units:
                    raise ValueError(f"unit_map: {layer_name!r} is not a prunable layer")
                units = dead_units[layer_name].cpu()
                shape = rates[relu_name].shape
                if shape[0] != units.numel():
                    raise ValueError(
                        f"unit_map: {relu_name!r} has {shape[0]} units/channels but {layer_name!r} has "
                        f"{units.numel()} outputs"
                    )
                exclude[relu_name] = units.reshape((-1,) + (1,) * (len(shape) - 1)).expand(shape)
            alive_rate = tracker.cycle_mean(exclude=exclude)
            assert isinstance(alive_rate, float)
            dnr_alive = alive_rate
    total_density = density(model, layers)
    assert isinstance(total_density, float)
    return SparsitySummary(
        density=total_density,
        density_by_layer=dens,
        structural_deaths={n: int(u.sum()) for n, u in dead_units.items()},
        dnr=summary_dnr,
        dnr_by_layer=by_layer,
        dnr_alive=dnr_alive,
    )


@dataclass(frozen=True)
class RoundRecord:
    """One pruning cycle: train at ``summary.density``, then prune (``step`` is None after the last round)."""

    round: int
    summary: SparsitySummary
    metrics: dict[str, float]
    step: PruneStep | None

    @property
    def density(self) -> float:
        """Density the round trained at."""
        return self.summary.density

    @property
    def dnr(self) -> float | None:
        """Dynamic DNR of the round."""
        return self.summary.dnr


def rewind_to(model: nn.Module, state: Mapping[str, torch.Tensor]) -> None:
    """Reset parameters and buffers to ``state`` (a ``state_dict`` of the unpruned model), keeping the masks.

    A pruned layer's ``weight_orig`` takes the saved ``weight``; ``*_mask`` buffers are left untouched.
    """
    with torch.no_grad():
        for name, param in model.named_parameters():
            key = name[: -len("_orig")] if name.endswith("_orig") else name
            if key not in state:
                raise ValueError(f"rewind state has no entry for parameter {key!r}")
            param.copy_(state[key])
        for name, buf in model.named_buffers():
            if name.endswith("_mask"):
                continue
            if name in state:
                buf.copy_(state[name])
    refresh_weights(model)


def imp_cycle(
    model: nn.Module,
    train_fn: TrainFn,
    rounds: int = 16,
    pruner: Pruner | None = None,
    rewind: Literal["init", "none"] = "init",
    tracker: DNRTracker | None = None,
    unit_map: Mapping[str, str] | None = None,
    progress: bool = False,
) -> list[RoundRecord]:
    """Iterative pruning: train, prune, rewind, repeat (Frankle & Carbin's IMP; AP when ``pruner`` is AP).

    Round ``r`` trains at density ``(1 - p)^r`` (``r = 0 .. rounds - 1``); every round but the last ends with a
    pruning step. ``w_start`` for AP is the effective weights at the start of the round's training.

    Parameters
    ----------
    model : torch.nn.Module
        The network, at its initial weights (the rewind point for ``rewind="init"``).
    train_fn : callable
        ``train_fn(model, round) -> metrics or None`` trains the model in place for one cycle. Call
        ``tracker.end_epoch()`` after each epoch (``ap_prune.train.DNRCallback`` does it in Lightning);
        otherwise the whole cycle counts as one epoch.
    rounds : int
        Number of training rounds (>= 1).
    pruner : Pruner
        E.g. ``ActivateWhilePruning(global_magnitude, p=0.2, p_ap=0.02)`` or ``BaselinePruner(...)``.
    rewind : {"init", "none"}
        "init": rewind survivors (and biases, buffers) to the initial values each round (lottery tickets);
        "none": keep the trained values and fine-tune.
    tracker : DNRTracker, optional
        Records the dynamic DNR; reset at the start of each round.
    unit_map : mapping, optional
        As in :func:`sparsity_summary`, for the DNR without structural deaths.
    progress : bool
        Show a tqdm progress bar over rounds.

    Returns
    -------
    list of RoundRecord
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not callable(train_fn):
        raise TypeError("train_fn must be callable as train_fn(model, round)")
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 1:
        raise ValueError(f"rounds must be an int >= 1, got {rounds!r}")
    if pruner is None or not callable(getattr(pruner, "prune", None)):
        raise TypeError("pruner must have a prune(model, w_start) method, e.g. ActivateWhilePruning(...)")
    if rewind not in ("init", "none"):
        raise ValueError(f"rewind must be 'init' or 'none', got {rewind!r}")
    prunable_layers(model)  # fail early on a model without prunable layers
    refresh_weights(model)
    init_state = {k: v.detach().clone() for k, v in model.state_dict().items() if not k.endswith("_mask")}
    init_state = {(k[: -len("_orig")] if k.endswith("_orig") else k): v for k, v in init_state.items()}
    history: list[RoundRecord] = []
    for r in tqdm(range(rounds), desc="pruning rounds", disable=not progress):
        if r > 0 and rewind == "init":
            rewind_to(model, init_state)
        w_start = snapshot_weights(model)
        if tracker is not None:
            tracker.reset()
        metrics = train_fn(model, r)
        refresh_weights(model)
        if tracker is not None and tracker.n_epochs == 0:
            tracker.end_epoch()
        summary = sparsity_summary(model, tracker, unit_map)
        step = pruner.prune(model, w_start) if r < rounds - 1 else None
        logger.info("round %d density %.4f dnr %s metrics %s", r, summary.density, summary.dnr, metrics)
        history.append(RoundRecord(r, summary, dict(metrics or {}), step))
    return history
