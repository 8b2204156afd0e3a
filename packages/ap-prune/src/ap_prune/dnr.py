"""Dynamic dead neuron rate (DNR), measured through forward hooks on ReLU modules.

The paper (Liu et al., TMLR 2023, Sec. 3) defines, for ReLU units i = 1..N and inputs x in the training set D,

    DNR = 1 / (|D| N) * sum_x sum_i 1[sigma(z_i(x)) = 0]

and measures it *during* training ("dynamic"): the rate is accumulated over the training passes of an epoch and
averaged over the epochs of a pruning cycle. :class:`DNRTracker` does exactly that with forward hooks;
:func:`dead_neuron_rate` is the static version over one pass of a data set with fixed weights.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import torch
from torch import nn

from neurotypes.validation import check_bool, check_choice

__all__ = ["DNRTracker", "dead_neuron_rate", "pooled_rate", "relu_layers"]

logger = logging.getLogger(__name__)

Per = Literal["element", "channel"]
LayerSpec = Sequence[str | nn.Module] | None


def relu_layers(model: nn.Module, layers: LayerSpec = None) -> dict[str, nn.Module]:
    """Resolve the ReLU modules whose outputs count as neurons.

    Parameters
    ----------
    model : torch.nn.Module
        The network.
    layers : sequence of str or nn.Module, optional
        Module names (as in ``model.named_modules()``) or module objects. ``None`` takes every ``nn.ReLU``
        module of the model, in registration order.

    Returns
    -------
    dict
        ``{name: module}`` in model order.

    Raises
    ------
    TypeError
        If ``model`` is not an ``nn.Module`` or an entry of ``layers`` is neither a name nor a module.
    ValueError
        If a name or module is not part of the model, or the model has no ``nn.ReLU`` module.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    named = dict(model.named_modules())
    if layers is None:
        found: dict[str, nn.Module] = {name: mod for name, mod in named.items() if isinstance(mod, nn.ReLU)}
        if not found:
            raise ValueError(
                "model has no nn.ReLU modules to track (functional relu cannot be hooked); "
                "use nn.ReLU modules or pass layers= with the activation modules"
            )
        return found
    if isinstance(layers, str | nn.Module):
        raise TypeError("layers must be a sequence of module names or modules, not a single item")
    by_id = {id(mod): name for name, mod in named.items()}
    out: dict[str, nn.Module] = {}
    for item in layers:
        if isinstance(item, str):
            if item not in named:
                raise ValueError(f"layers: no module named {item!r} in the model")
            out[item] = named[item]
        elif isinstance(item, nn.Module):
            if id(item) not in by_id:
                raise ValueError(f"layers: module {type(item).__name__} is not part of the model")
            out[by_id[id(item)]] = item
        else:
            raise TypeError(f"layers entries must be str or nn.Module, got {type(item).__name__}")
    if not out:
        raise ValueError("layers must name at least one module")
    return out


def _zero_counts(out: torch.Tensor, per: Per) -> torch.Tensor:
    """Per-neuron count of inputs (over the batch axis 0) for which the neuron is exactly zero."""
    zero = out.detach() == 0
    if per == "channel" and zero.ndim > 2:
        # a channel is dead for an input when it is zero at every spatial position
        zero = zero.flatten(2).all(dim=-1)
    return zero.sum(dim=0)


class DNRTracker:
    """Accumulate the dynamic dead neuron rate of a model's ReLU layers during training.

    Forward hooks count, per neuron, the inputs for which the ReLU output is exactly 0. Counts live on the
    model's device as integer tensors and are updated in place, so tracking adds no host synchronisation per
    step. Call :meth:`end_epoch` after every training epoch (the Lightning callback in :mod:`ap_prune.train`
    does it) and :meth:`reset` at the start of every pruning cycle.

    Parameters
    ----------
    model : torch.nn.Module
        The network to watch.
    layers : sequence of str or nn.Module, optional
        ReLU modules to hook (default: every ``nn.ReLU``).
    per : {"element", "channel"}
        What a neuron is for outputs with spatial axes: each (channel, position) element (default), or each
        channel (dead for an input when zero at every position). Identical for dense layers.
    train_only : bool
        Count only forward passes made while the hooked module is in training mode (default ``True``), so that
        validation passes do not enter the dynamic DNR.

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU())
    >>> with torch.no_grad():
    ...     _ = net[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]]))
    ...     _ = net[0].bias.zero_()
    >>> tracker = DNRTracker(net)
    >>> _ = net(torch.tensor([[1.0, 1.0], [-1.0, 2.0], [2.0, -3.0]]))
    >>> round(tracker.epoch_mean(), 4)  # (1 + 2 + 1) / 9
    0.4444
    >>> tracker.remove()
    """

    def __init__(
        self, model: nn.Module, layers: LayerSpec = None, per: Per = "element", train_only: bool = True
    ) -> None:
        self.per: Per = check_choice("per", per, ("element", "channel"))
        self.train_only = check_bool("train_only", train_only)
        self.model = model
        self.layers = relu_layers(model, layers)
        self._counts: dict[str, torch.Tensor] = {}
        self._n_inputs: dict[str, int] = dict.fromkeys(self.layers, 0)
        self._epochs: list[dict[str, torch.Tensor]] = []
        self._handles = [
            mod.register_forward_hook(self._make_hook(name)) for name, mod in self.layers.items()
        ]

    def _make_hook(self, name: str) -> Any:
        def hook(module: nn.Module, _inp: Any, out: Any) -> None:
            if self.train_only and not module.training:
                return
            if not isinstance(out, torch.Tensor):
                raise TypeError(f"layer {name!r} returned {type(out).__name__}, expected a tensor")
            counts = _zero_counts(out, self.per)
            acc = self._counts.get(name)
            if acc is None:
                self._counts[name] = counts.to(torch.int64)
            elif acc.shape != counts.shape:
                raise ValueError(
                    f"layer {name!r}: neuron shape changed from {tuple(acc.shape)} to "
                    f"{tuple(counts.shape)} within an epoch"
                )
            else:
                acc.add_(counts)
            self._n_inputs[name] += int(out.shape[0])

        return hook

    # ----------------------------------------------------------------------------------------------------
    def remove(self) -> None:
        """Detach the hooks (the recorded rates stay readable)."""
        for h in self._handles:
            h.remove()
        self._handles = []

    def __enter__(self) -> DNRTracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    def reset(self) -> None:
        """Forget the current epoch's counts and all finished epochs (start of a pruning cycle)."""
        self._counts = {}
        self._n_inputs = dict.fromkeys(self.layers, 0)
        self._epochs = []

    def _current_unit_rates(self) -> dict[str, torch.Tensor]:
        rates: dict[str, torch.Tensor] = {}
        for name in self.layers:
            n = self._n_inputs[name]
            if n == 0 or name not in self._counts:
                raise ValueError(
                    f"no training forward pass has been recorded for layer {name!r} in this epoch"
                    + (" (train_only=True ignores eval-mode passes)" if self.train_only else "")
                )
            rates[name] = self._counts[name].to(torch.float64).cpu() / n
        return rates

    def end_epoch(self) -> float:
        """Close the current epoch: store its per-neuron dead rates and return its DNR."""
        rates = self._current_unit_rates()
        self._epochs.append(rates)
        self._counts = {}
        self._n_inputs = dict.fromkeys(self.layers, 0)
        return pooled_rate(rates)

    @property
    def n_epochs(self) -> int:
        """Number of finished epochs in the current cycle."""
        return len(self._epochs)

    def epoch_mean(self, by_layer: bool = False) -> float | dict[str, float]:
        """DNR over the forward passes of the current (unfinished) epoch."""
        rates = self._current_unit_rates()
        return _layer_rates(rates) if by_layer else pooled_rate(rates)

    def epoch_rates(self) -> list[float]:
        """DNR of every finished epoch of the current cycle."""
        return [pooled_rate(r) for r in self._epochs]

    def cycle_unit_rates(self) -> dict[str, torch.Tensor]:
        """Per-neuron dead fraction averaged over the finished epochs of the cycle."""
        if not self._epochs:
            raise ValueError("no finished epoch in this cycle: call end_epoch() after each training epoch")
        return {name: torch.stack([ep[name] for ep in self._epochs]).mean(dim=0) for name in self.layers}

    def cycle_mean(
        self, by_layer: bool = False, exclude: Mapping[str, torch.Tensor] | None = None
    ) -> float | dict[str, float]:
        """Dynamic DNR of the cycle: the mean over its finished epochs.

        Parameters
        ----------
        by_layer : bool
            Return ``{layer: rate}`` instead of the pooled rate over all tracked neurons.
        exclude : mapping, optional
            ``{layer: bool tensor}`` of neurons to leave out (e.g. structural deaths).
        """
        rates = self.cycle_unit_rates()
        return _layer_rates(rates, exclude) if by_layer else pooled_rate(rates, exclude)


def _layer_rates(
    rates: Mapping[str, torch.Tensor], exclude: Mapping[str, torch.Tensor] | None = None
) -> dict[str, float]:
    return {name: pooled_rate({name: r}, exclude) for name, r in rates.items()}


def pooled_rate(
    rates: Mapping[str, torch.Tensor], exclude: Mapping[str, torch.Tensor] | None = None
) -> float:
    """Pool per-neuron dead fractions into one rate, the paper's 1/(|D| N) sum over all N tracked neurons.

    Parameters
    ----------
    rates : mapping
        ``{layer: tensor of per-neuron dead fractions}``.
    exclude : mapping, optional
        ``{layer: bool tensor of the same shape}``; True entries are left out of the average.

    Returns
    -------
    float
        The pooled rate, NaN when every neuron is excluded.
    """
    total = 0.0
    count = 0
    for name, r in rates.items():
        r = r.to(torch.float64)
        if exclude is not None and name in exclude:
            keep = ~exclude[name].to(torch.bool).cpu()
            if keep.shape != r.shape:
                raise ValueError(
                    f"exclude[{name!r}] has shape {tuple(keep.shape)}, expected {tuple(r.shape)}"
                )
            r = r[keep]
        total += float(r.sum())
        count += r.numel()
    return total / count if count else float("nan")


def _batches(loader: Iterable[Any] | torch.Tensor) -> Iterable[torch.Tensor]:
    if isinstance(loader, torch.Tensor):
        yield loader
        return
    for batch in loader:
        x = batch[0] if isinstance(batch, list | tuple) else batch
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"loader must yield tensors or (inputs, ...) tuples, got {type(x).__name__}")
        yield x


def dead_neuron_rate(
    model: nn.Module,
    loader: Iterable[Any] | torch.Tensor,
    layers: LayerSpec = None,
    per: Per = "element",
    by_layer: bool = False,
) -> float | dict[str, float]:
    """Dead neuron rate of a model with fixed weights over one pass of a data set.

    The model runs in eval mode under ``torch.no_grad()`` (its training flag is restored afterwards).

    Parameters
    ----------
    model : torch.nn.Module
        Network with ``nn.ReLU`` activation modules.
    loader : iterable or torch.Tensor
        A ``DataLoader`` (batches ``x`` or ``(x, y, ...)``) or a single input tensor.
    layers, per
        As in :class:`DNRTracker`.
    by_layer : bool
        Return ``{layer: rate}`` instead of the pooled rate.

    Returns
    -------
    float or dict
        DNR = (1 / (|D| N)) sum_x sum_i 1[relu(z_i(x)) = 0].

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU())
    >>> with torch.no_grad():
    ...     _ = net[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]]))
    ...     _ = net[0].bias.zero_()
    >>> x = torch.tensor([[1.0, 1.0], [-1.0, 2.0], [2.0, -3.0]])
    >>> dead_neuron_rate(net, x) == 4 / 9
    True
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(by_layer, bool):
        raise TypeError(f"by_layer must be a bool, got {type(by_layer).__name__}")
    if isinstance(loader, torch.Tensor) and not bool(torch.isfinite(loader).all()):
        raise ValueError("loader must hold finite inputs, got NaN or infinity")
    was_training = model.training
    tracker = DNRTracker(model, layers=layers, per=per, train_only=False)
    try:
        model.eval()
        n_batches = 0
        with torch.no_grad():
            for x in _batches(loader):
                model(x)
                n_batches += 1
        if n_batches == 0:
            raise ValueError("loader yielded no batches")
        return tracker.epoch_mean(by_layer=by_layer)
    finally:
        tracker.remove()
        model.train(was_training)
