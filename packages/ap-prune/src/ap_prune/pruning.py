"""Masks, base pruners and the Activate-while-Pruning (AP) step, all on ``torch.nn.utils.prune``.

Every mask goes through ``torch.nn.utils.prune`` (``weight = weight_orig * weight_mask``), so pruned weights get
zero gradient and stay exactly zero, and AP composes with any pruner that prunes a given number of weights of a
model through the same machinery (e.g. ``prune.global_unstructured`` with ``prune.L1Unstructured``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import nn
from torch.nn.utils import prune

from neurotypes.validation import check_choice, check_int, check_probability, check_seed

__all__ = [
    "PRUNABLE_TYPES",
    "ActivateWhilePruning",
    "BaselinePruner",
    "PruneMask",
    "PruneStep",
    "ap_select",
    "apply_prune_mask",
    "density",
    "effective_weight",
    "global_magnitude",
    "n_alive",
    "prunable_layers",
    "refresh_weights",
    "snapshot_weights",
    "structurally_dead_units",
    "weight_mask",
]

logger = logging.getLogger(__name__)

PRUNABLE_TYPES: tuple[type[nn.Module], ...] = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
"""Layer types whose ``weight`` is prunable (biases and normalisation layers never are)."""

Selection = Literal["stable_negative", "random_negative", "stable_any"]
SELECTIONS: tuple[str, ...] = ("stable_negative", "random_negative", "stable_any")
LayerSpec = Sequence[str | nn.Module] | None
Targets = Sequence[tuple[nn.Module, str]]
BasePrunerFn = Callable[[nn.Module, int, Targets], None]


def _round_half_up(x: float) -> int:
    return math.floor(x + 0.5)


def _check_rate(name: str, value: float) -> float:
    return check_probability(name, value, open_interval=True)


def prunable_layers(model: nn.Module, layers: LayerSpec = None) -> dict[str, nn.Module]:
    """The layers whose weights may be pruned, as ``{module name: module}`` in model order.

    Parameters
    ----------
    model : torch.nn.Module
        The network.
    layers : sequence of str or nn.Module, optional
        Restrict to these modules (names as in ``model.named_modules()``). Default: every ``nn.Linear`` and
        ``nn.Conv{1,2,3}d``.

    Raises
    ------
    TypeError
        If ``model`` is not an ``nn.Module``.
    ValueError
        If the model has no prunable layer, or ``layers`` names a module that is missing or not prunable.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    named = dict(model.named_modules())
    if layers is None:
        found = {n: m for n, m in named.items() if isinstance(m, PRUNABLE_TYPES)}
        if not found:
            raise ValueError(
                "model has no prunable layers: need at least one nn.Linear or nn.Conv1d/2d/3d weight"
            )
        return found
    if isinstance(layers, str | nn.Module):
        raise TypeError("layers must be a sequence of module names or modules, not a single item")
    by_id = {id(m): n for n, m in named.items()}
    out: dict[str, nn.Module] = {}
    for item in layers:
        if isinstance(item, str):
            if item not in named:
                raise ValueError(f"layers: no module named {item!r} in the model")
            name, mod = item, named[item]
        elif isinstance(item, nn.Module):
            if id(item) not in by_id:
                raise ValueError(f"layers: module {type(item).__name__} is not part of the model")
            name, mod = by_id[id(item)], item
        else:
            raise TypeError(f"layers entries must be str or nn.Module, got {type(item).__name__}")
        if not isinstance(mod, PRUNABLE_TYPES):
            raise ValueError(f"layers: {name!r} is a {type(mod).__name__}, not a Linear/Conv layer")
        out[name] = mod
    if not out:
        raise ValueError("layers must name at least one prunable module")
    return out


def weight_mask(module: nn.Module) -> torch.Tensor:
    """Boolean keep-mask of a layer's weight (all True when the layer was never pruned)."""
    mask = getattr(module, "weight_mask", None)
    if isinstance(mask, torch.Tensor):
        return mask.to(torch.bool)
    w = getattr(module, "weight")  # noqa: B009
    return torch.ones_like(w, dtype=torch.bool)


def effective_weight(module: nn.Module) -> torch.Tensor:
    """The weight the layer uses now, ``weight_orig * weight_mask`` for pruned layers (detached)."""
    orig = getattr(module, "weight_orig", None)
    name = "weight_mask" if isinstance(orig, torch.Tensor) else "weight"
    w: torch.Tensor = getattr(module, name)
    return (orig * w if isinstance(orig, torch.Tensor) else w).detach()


def refresh_weights(model: nn.Module) -> None:
    """Recompute ``weight = weight_orig * weight_mask`` on every pruned module now.

    ``torch.nn.utils.prune`` refreshes the weight only in a forward pre-hook, so after an optimiser step (or a
    rewind of ``weight_orig``) ``module.weight`` is stale until the next forward pass. Pruners that read
    ``module.weight`` (such as ``prune.global_unstructured``) must see the current values.
    """
    for module in model.modules():
        for hook in list(module._forward_pre_hooks.values()):
            if isinstance(hook, prune.BasePruningMethod):
                hook(module, None)


def n_alive(model: nn.Module, layers: LayerSpec = None) -> int:
    """Number of unpruned weights over the prunable layers."""
    return sum(int(weight_mask(m).sum()) for m in prunable_layers(model, layers).values())


def density(model: nn.Module, layers: LayerSpec = None, by_layer: bool = False) -> float | dict[str, float]:
    """Fraction of unpruned weights over the prunable layers (or ``{layer: density}``)."""
    mods = prunable_layers(model, layers)
    if by_layer:
        return {n: float(weight_mask(m).float().mean()) for n, m in mods.items()}
    alive = sum(int(weight_mask(m).sum()) for m in mods.values())
    total = sum(weight_mask(m).numel() for m in mods.values())
    return alive / total


def snapshot_weights(model: nn.Module, layers: LayerSpec = None) -> dict[str, torch.Tensor]:
    """Copy of the effective weights of the prunable layers, keyed ``"<module name>"`` (``w_start``)."""
    return {n: effective_weight(m).clone() for n, m in prunable_layers(model, layers).items()}


def structurally_dead_units(model: nn.Module, layers: LayerSpec = None) -> dict[str, torch.Tensor]:
    """Output units (rows of Linear, output channels of Conv) that have lost every incoming weight.

    Such units are "structural deaths": their pre-activation is the bias alone, whatever the input.
    """
    out: dict[str, torch.Tensor] = {}
    for name, mod in prunable_layers(model, layers).items():
        mask = weight_mask(mod)
        out[name] = ~mask.reshape(mask.shape[0], -1).any(dim=1)
    return out


class PruneMask(Mapping[str, torch.Tensor]):
    """Weights selected for pruning: ``{layer name: bool tensor}`` (True = prune), a read-only mapping.

    Parameters
    ----------
    masks : mapping
        Boolean tensors shaped like each layer's weight.
    """

    def __init__(self, masks: Mapping[str, torch.Tensor]) -> None:
        clean: dict[str, torch.Tensor] = {}
        for name, m in masks.items():
            if not isinstance(m, torch.Tensor):
                raise TypeError(f"masks[{name!r}] must be a torch.Tensor, got {type(m).__name__}")
            if m.dtype != torch.bool:
                raise TypeError(f"masks[{name!r}] must be a bool tensor, got dtype {m.dtype}")
            clean[name] = m
        self._masks = clean

    def __getitem__(self, key: str) -> torch.Tensor:
        return self._masks[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._masks)

    def __len__(self) -> int:
        return len(self._masks)

    @property
    def n_pruned(self) -> int:
        """Total number of weights selected."""
        return sum(int(m.sum()) for m in self._masks.values())

    def __repr__(self) -> str:
        return f"PruneMask(layers={list(self._masks)}, n_pruned={self.n_pruned})"


def apply_prune_mask(model: nn.Module, prune_mask: Mapping[str, torch.Tensor]) -> int:
    """Prune the selected weights through ``torch.nn.utils.prune.custom_from_mask``.

    Parameters
    ----------
    model : torch.nn.Module
        The network (modified in place).
    prune_mask : mapping
        ``{layer name: bool tensor}``, True = prune. Selected weights must still be alive.

    Returns
    -------
    int
        Number of weights pruned.

    Raises
    ------
    ValueError
        If a layer is unknown, a mask has the wrong shape, or it selects an already pruned weight.
    """
    named = dict(model.named_modules())
    total = 0
    for name, sel in prune_mask.items():
        mod = named.get(name)
        if mod is None or not isinstance(mod, PRUNABLE_TYPES):
            raise ValueError(f"prune_mask: {name!r} is not a prunable layer of the model")
        keep = weight_mask(mod)
        if sel.shape != keep.shape:
            raise ValueError(
                f"prune_mask[{name!r}] has shape {tuple(sel.shape)}, expected {tuple(keep.shape)}"
            )
        sel = sel.to(device=keep.device, dtype=torch.bool)
        if bool((sel & ~keep).any()):
            raise ValueError(f"prune_mask[{name!r}] selects weights that are already pruned")
        n = int(sel.sum())
        if n:
            prune.custom_from_mask(mod, "weight", ~sel)  # type: ignore[no-untyped-call,unused-ignore]
            total += n
    return total


def global_magnitude(model: nn.Module, amount: int, targets: Targets | None = None) -> None:
    """Global magnitude pruning: prune the ``amount`` alive weights of smallest ``|w|`` over all targets.

    A thin wrapper of ``prune.global_unstructured(..., pruning_method=prune.L1Unstructured, amount=amount)``,
    which ranks only the weights that are still alive, so ``amount`` more weights are pruned.

    Parameters
    ----------
    model : torch.nn.Module
        The network (pruned in place).
    amount : int
        Number of weights to prune (>= 0).
    targets : sequence of (module, "weight"), optional
        Parameters to rank together (default: every prunable layer's weight).
    """
    amount = check_int("amount", amount, minimum=0)
    if targets is None:
        targets = [(m, "weight") for m in prunable_layers(model).values()]
    if amount == 0:
        return
    refresh_weights(model)
    prune.global_unstructured(list(targets), pruning_method=prune.L1Unstructured, amount=amount)


def ap_select(
    model: nn.Module,
    w_start: Mapping[str, torch.Tensor],
    frac: float = 0.02,
    *,
    k: int | None = None,
    layers: LayerSpec = None,
    criterion: Selection = "stable_negative",
    seed: int | None = None,
) -> PruneMask:
    """Select the weights AP prunes: alive, strictly negative, and the least moved during training.

    Among the alive weights with ``w_trained < 0`` (``w_trained`` = the current effective weights), take the
    ``k`` with the smallest ``|w_trained - w_start|``. Ties are broken by the global flat index (layers in model
    order, each flattened in row-major order): selection is by index with a stable sort, never by a
    ``<= k-th value`` threshold, so exactly ``k`` weights are chosen even when many ``|dw|`` are exactly 0.

    Parameters
    ----------
    model : torch.nn.Module
        The trained network.
    w_start : mapping
        Effective weights at the start of the cycle's training (after rewinding), from
        :func:`snapshot_weights`.
    frac : float
        Fraction of the currently alive weights to select, in (0, 1); ``k = round(frac * n_alive)``.
    k : int, optional
        Exact number to select (overrides ``frac``).
    layers : sequence, optional
        Prunable layers to consider (default: all).
    criterion : {"stable_negative", "random_negative", "stable_any"}
        "stable_negative" is AP. The other two are the paper's ablations: negative weights in random order,
        and the most stable weights of either sign.
    seed : int, optional
        Seed for ``criterion="random_negative"``.

    Returns
    -------
    PruneMask
        ``{layer: bool tensor}`` of the selected weights. Fewer than ``k`` are selected only when there are not
        enough candidates (logged as a warning).
    """
    check_choice("criterion", criterion, SELECTIONS)
    if seed is not None:
        seed = check_seed("seed", seed)
    mods = prunable_layers(model, layers)
    if not isinstance(w_start, Mapping):
        raise TypeError(f"w_start must be a mapping of layer name -> tensor, got {type(w_start).__name__}")
    for name, mod in mods.items():
        if name not in w_start:
            raise ValueError(f"w_start has no entry for prunable layer {name!r}")
        if not isinstance(w_start[name], torch.Tensor):
            raise TypeError(f"w_start[{name!r}] must be a torch.Tensor, got {type(w_start[name]).__name__}")
        if not bool(torch.isfinite(w_start[name]).all()):
            raise ValueError(f"w_start[{name!r}] must be finite, got NaN or infinity")
        if tuple(w_start[name].shape) != tuple(effective_weight(mod).shape):
            raise ValueError(
                f"w_start[{name!r}] has shape {tuple(w_start[name].shape)}, "
                f"expected {tuple(effective_weight(mod).shape)}"
            )
    alive_masks = [weight_mask(m).reshape(-1) for m in mods.values()]
    total_alive = sum(int(a.sum()) for a in alive_masks)
    if k is None:
        frac = _check_rate("frac", frac)
        k = _round_half_up(frac * total_alive)
    else:
        k = check_int("k", k, minimum=0)

    w = torch.cat([effective_weight(m).reshape(-1).to(torch.float64) for m in mods.values()])
    w0 = torch.cat([w_start[n].detach().reshape(-1).to(device=w.device, dtype=torch.float64) for n in mods])
    alive = torch.cat(alive_masks).to(w.device)
    cand = alive & (w < 0) if criterion != "stable_any" else alive
    idx = torch.nonzero(cand).reshape(-1)  # ascending flat index
    if criterion == "random_negative":
        gen = torch.Generator().manual_seed(0 if seed is None else int(seed))
        score = torch.rand(idx.numel(), generator=gen, dtype=torch.float64).to(w.device)
    else:
        score = (w[idx] - w0[idx]).abs()
    order = torch.sort(score, stable=True).indices  # ties keep ascending flat index
    if idx.numel() < k:
        logger.warning("ap_select: only %d candidates for a budget of %d weights", idx.numel(), k)
    chosen = idx[order[:k]]
    flat = torch.zeros_like(alive)
    flat[chosen] = True
    out: dict[str, torch.Tensor] = {}
    start = 0
    for name, mod in mods.items():
        shape = weight_mask(mod).shape
        n = math.prod(shape)
        out[name] = flat[start : start + n].reshape(shape)
        start += n
    return PruneMask(out)


@dataclass(frozen=True)
class PruneStep:
    """Bookkeeping of one pruning step.

    Attributes
    ----------
    n_alive : int
        Alive weights at the start of the step.
    k_base, k_ap : int
        Budgets: ``round((p - p_ap) n_alive)`` and ``round(p_ap n_alive)``.
    n_base, n_ap : int
        Weights actually pruned by the base method and by AP.
    n_refill : int
        Weights the base method pruned in addition when AP found fewer candidates than ``k_ap``.
    """

    n_alive: int
    k_base: int
    k_ap: int
    n_base: int
    n_ap: int
    n_refill: int = 0
    ap_mask: PruneMask | None = field(default=None, repr=False, compare=False)

    @property
    def n_pruned(self) -> int:
        """Total pruned in this step."""
        return self.n_base + self.n_ap + self.n_refill


def _run_base(base_pruner: BasePrunerFn, model: nn.Module, amount: int, mods: dict[str, nn.Module]) -> int:
    before = sum(int(weight_mask(m).sum()) for m in mods.values())
    if amount > 0:
        refresh_weights(model)
        base_pruner(model, amount, [(m, "weight") for m in mods.values()])
    after = sum(int(weight_mask(m).sum()) for m in mods.values())
    if before - after != amount:
        raise ValueError(
            f"base_pruner pruned {before - after} weights, expected exactly amount={amount}: a base pruner "
            "must prune `amount` alive weights through torch.nn.utils.prune"
        )
    return amount


class BaselinePruner:
    """Plain iterative pruning: the base method alone prunes ``round(p * n_alive)`` weights per cycle.

    Parameters
    ----------
    base_pruner : callable
        ``base_pruner(model, amount, targets)`` prunes exactly ``amount`` alive weights among ``targets``
        (a list of ``(module, "weight")``) through ``torch.nn.utils.prune``; e.g. :func:`global_magnitude`.
    p : float
        Per-cycle pruning rate in (0, 1) (paper default 0.2).
    layers : sequence, optional
        Prunable layers (default: every Linear/Conv weight).
    """

    def __init__(
        self, base_pruner: BasePrunerFn = global_magnitude, p: float = 0.2, layers: LayerSpec = None
    ):
        if not callable(base_pruner):
            raise TypeError("base_pruner must be callable as base_pruner(model, amount, targets)")
        self.base_pruner = base_pruner
        self.p = _check_rate("p", p)
        self.layers = layers

    def prune(self, model: nn.Module, w_start: Mapping[str, torch.Tensor] | None = None) -> PruneStep:
        """Prune one cycle's budget from the trained ``model`` (``w_start`` is unused)."""
        mods = prunable_layers(model, self.layers)
        alive = sum(int(weight_mask(m).sum()) for m in mods.values())
        k = _round_half_up(self.p * alive)
        _run_base(self.base_pruner, model, k, mods)
        refresh_weights(model)
        return PruneStep(n_alive=alive, k_base=k, k_ap=0, n_base=k, n_ap=0)

    def __repr__(self) -> str:
        return f"BaselinePruner(base_pruner={getattr(self.base_pruner, '__name__', self.base_pruner)}, p={self.p})"


class ActivateWhilePruning(BaselinePruner):
    """Activate-while-Pruning: wrap a base pruner so part of each cycle's budget removes stable negative weights.

    Per cycle, with ``n_alive`` the alive weights at its start: the base method prunes
    ``k_base = round((p - p_ap) n_alive)``, then AP prunes ``k_ap = round(p_ap n_alive)`` more among the
    remaining strictly negative weights with the smallest ``|w_trained - w_start|`` (:func:`ap_select`).
    If fewer than ``k_ap`` candidates exist, the base method prunes the shortfall so the cycle's rate stays p.

    Parameters
    ----------
    base_pruner : callable
        As in :class:`BaselinePruner` (default :func:`global_magnitude`).
    p : float
        Total per-cycle rate in (0, 1) (paper default 0.2).
    p_ap : float
        AP's share in (0, 1), at most ``p`` (paper default 0.02).
    layers : sequence, optional
        Prunable layers used by both the base method and AP.
    criterion : str
        Passed to :func:`ap_select` ("stable_negative" is AP; the others are ablations).
    seed : int
        Seed for the random ablation.

    Examples
    --------
    >>> import torch
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    >>> w_start = snapshot_weights(net)
    >>> step = ActivateWhilePruning(p=0.2, p_ap=0.02).prune(net, w_start)
    >>> (step.n_alive, step.n_base, step.n_ap)
    (160, 29, 3)
    >>> round(float(density(net)), 3)
    0.8
    """

    def __init__(
        self,
        base_pruner: BasePrunerFn = global_magnitude,
        p: float = 0.2,
        p_ap: float = 0.02,
        layers: LayerSpec = None,
        criterion: Selection = "stable_negative",
        seed: int = 0,
    ) -> None:
        super().__init__(base_pruner, p, layers)
        self.p_ap = _check_rate("p_ap", p_ap)
        if self.p_ap > self.p:
            raise ValueError(f"p_ap must not exceed p (p_ap={p_ap} > p={p})")
        self.criterion: Selection = check_choice("criterion", criterion, SELECTIONS)
        self.seed = check_seed("seed", seed)
        self._calls = 0

    def prune(self, model: nn.Module, w_start: Mapping[str, torch.Tensor] | None = None) -> PruneStep:
        """Prune one cycle: base step, then AP on what is left.

        Parameters
        ----------
        model : torch.nn.Module
            The network after the cycle's training (pruned in place).
        w_start : mapping
            Effective weights at the start of the cycle's training (:func:`snapshot_weights`).
        """
        if w_start is None:
            raise ValueError("w_start is required by AP: the weights at the start of the cycle's training")
        mods = prunable_layers(model, self.layers)
        alive = sum(int(weight_mask(m).sum()) for m in mods.values())
        k_base = _round_half_up((self.p - self.p_ap) * alive)
        k_ap = _round_half_up(self.p_ap * alive)
        _run_base(self.base_pruner, model, k_base, mods)
        sel = ap_select(
            model,
            w_start,
            k=k_ap,
            layers=list(mods),
            criterion=self.criterion,
            seed=self.seed + self._calls,
        )
        self._calls += 1
        n_ap = apply_prune_mask(model, sel)
        refill = k_ap - n_ap
        if refill > 0:
            _run_base(self.base_pruner, model, refill, mods)
        refresh_weights(model)
        return PruneStep(alive, k_base, k_ap, k_base, n_ap, refill, ap_mask=sel)

    def __repr__(self) -> str:
        name = getattr(self.base_pruner, "__name__", self.base_pruner)
        return f"ActivateWhilePruning(base_pruner={name}, p={self.p}, p_ap={self.p_ap}, criterion={self.criterion!r})"
