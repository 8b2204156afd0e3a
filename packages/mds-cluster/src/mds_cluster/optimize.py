"""Optimisation of most discriminative stimuli: all K cluster stimuli as one batched tensor.

The objective of stimulus ``s_k`` depends on ``s_k`` only, so maximising ``Σ_k J_k(s_k)`` over the batch
``S[K, *stim_shape]`` gives every stimulus exactly the gradient it would get alone; element-wise optimisers
(SGD, Adam) therefore take the same steps as the reference's one-cluster-at-a-time loop, with one model
call per step instead of K. :func:`optimize_stimuli_loop` keeps the per-cluster loop for comparison.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

from neurotypes.validation import check_float, check_int

from .constraints import Constraint, gaussian_blur, laplace_penalty
from .objective import _cluster_means, _diagonal_objective, _normalise, contrastive_objective

__all__ = ["EMAStopper", "OptimizerSpec", "call_model", "optimize_stimuli", "optimize_stimuli_loop"]

OptimizerSpec = Literal["adam", "sgd"] | Callable[[list[torch.Tensor], float], torch.optim.Optimizer]


@dataclass
class EMAStopper:
    """Early stopping on an exponential moving average of the loss (reference ``EMALossStopper``).

    Stops when the EMA of the loss has not reached a new minimum for ``patience`` steps.

    Parameters
    ----------
    patience
        Steps without improvement of the EMA before stopping (100 in the reference).
    ema
        EMA factor: ``ema_t = ema · ema_{t−1} + (1 − ema) · loss_t`` (0.9 in the reference).
    """

    patience: int = 100
    ema: float = 0.9
    _value: float = math.nan
    _best: float = math.inf
    _since_best: int = 0

    def __post_init__(self) -> None:
        self.patience = check_int("patience", self.patience, minimum=1)
        self.ema = check_float("ema", self.ema, minimum=0.0)
        if not self.ema < 1.0:
            raise ValueError(f"ema must lie in [0, 1), got {self.ema}")

    def __call__(self, loss: float) -> bool:
        """Record ``loss``; return True when optimisation should stop."""
        loss = check_float("loss", loss, allow_inf=True)
        self._value = loss if math.isnan(self._value) else self.ema * self._value + (1 - self.ema) * loss
        if self._value < self._best - 1e-12:
            self._best = self._value
            self._since_best = 0
        else:
            self._since_best += 1
        return self._since_best >= self.patience


def call_model(model: nn.Module, stimuli: torch.Tensor, unit_idx: torch.Tensor | None = None) -> torch.Tensor:
    """Responses ``[B, N]`` of ``model`` to ``stimuli``, restricted to ``unit_idx``; rejects NaN/inf.

    Raises
    ------
    ValueError
        If the model output is not ``[B, N]`` or contains non-finite values.
    TypeError
        If ``model`` is not a module or ``stimuli`` not a tensor.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(stimuli, torch.Tensor):
        raise TypeError(f"stimuli must be a torch.Tensor, got {type(stimuli).__name__}")
    out = model(stimuli)
    if not isinstance(out, torch.Tensor) or out.ndim != 2 or out.shape[0] != stimuli.shape[0]:
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(
            f"model must return responses [B, N] for a batch of B stimuli, got {shape}; use twins.wrap() for "
            "models with other outputs"
        )
    if not bool(torch.isfinite(out).all()):
        raise ValueError(
            "model returned non-finite responses (NaN or inf); check the model and the stimulus constraint"
        )
    if unit_idx is not None:
        out = out[:, unit_idx]
    return out


def _check_inputs(
    model: object,
    stimuli: object,
    labels: object,
    tau: float,
    steps: int,
    lr: float,
    constraint: object,
    unit_idx: object,
) -> tuple[float, int, float]:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(stimuli, torch.Tensor) or not stimuli.is_floating_point():
        raise TypeError(
            f"stimuli must be a floating-point torch.Tensor [K, *stim_shape], got {type(stimuli).__name__}"
        )
    if stimuli.ndim < 2 or stimuli.shape[0] < 1:
        raise ValueError(
            f"stimuli must be a batch [K, *stim_shape] with K >= 1, got shape {tuple(stimuli.shape)}"
        )
    if not bool(torch.isfinite(stimuli).all()):
        raise ValueError("stimuli must be finite (no NaN or inf)")
    if not isinstance(labels, torch.Tensor) or labels.ndim != 1 or labels.is_floating_point():
        raise TypeError("labels must be a 1-D integer torch.Tensor (one cluster label per neuron)")
    k = stimuli.shape[0]
    if labels.numel() == 0 or int(labels.min()) < 0 or int(labels.max()) >= k:
        raise ValueError(f"labels must be non-empty and lie in [0, K={k}) (one stimulus per cluster)")
    if unit_idx is not None:
        if not isinstance(unit_idx, torch.Tensor) or unit_idx.ndim != 1 or unit_idx.is_floating_point():
            raise TypeError("unit_idx must be a 1-D integer torch.Tensor or None")
        if unit_idx.numel() != labels.numel():
            raise ValueError(
                f"labels must hold one label per selected neuron ({unit_idx.numel()}), got {labels.numel()}"
            )
    if constraint is not None and not callable(constraint):
        raise TypeError("constraint must be a Constraint (e.g. L2Sphere(5.0)) or None")
    return (
        check_float("tau", tau, positive=True),
        check_int("steps", steps, minimum=0),
        check_float("lr", lr, positive=True),
    )


def _make_optimizer(spec: OptimizerSpec, params: list[torch.Tensor], lr: float) -> torch.optim.Optimizer:
    if spec == "adam":
        return torch.optim.Adam(params, lr=lr)
    if spec == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if callable(spec):
        return spec(params, lr)
    raise ValueError(f"optimizer must be 'adam', 'sgd' or a callable(params, lr), got {spec!r}")


def _objective(
    model: nn.Module,
    stimuli: torch.Tensor,
    labels: torch.Tensor,
    n_clusters: int,
    on_idx: torch.Tensor | None,
    tau: float,
    offset: torch.Tensor | float,
    scale: torch.Tensor | float,
    unit_idx: torch.Tensor | None,
) -> torch.Tensor:
    responses = _normalise(call_model(model, stimuli, unit_idx), offset, scale)
    means = _cluster_means(responses, labels, n_clusters)
    if on_idx is None:
        return _diagonal_objective(means, tau)
    return contrastive_objective(means, on_idx, tau)


def optimize_stimuli(
    model: nn.Module,
    stimuli: torch.Tensor,
    labels: torch.Tensor,
    *,
    tau: float = 1.6,
    steps: int = 200,
    optimizer: OptimizerSpec = "adam",
    lr: float = 0.1,
    constraint: Constraint | None = None,
    smoothness: float = 0.0,
    grad_blur_sigma: float | None = None,
    offset: torch.Tensor | float = 0.0,
    scale: torch.Tensor | float = 1.0,
    unit_idx: torch.Tensor | None = None,
    stopper: EMAStopper | None = None,
    on_step: Callable[[torch.Tensor], None] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Maximise ``J_k(s_k) − λ·‖∇²s_k‖²`` for all K clusters at once (one model call per step).

    Parameters
    ----------
    model
        Twin mapping ``[B, *stim_shape]`` to ``[B, N]``.
    stimuli
        Initial stimuli ``S[K, *stim_shape]`` (row k is cluster k's MDS); not modified.
    labels
        Cluster label of each (selected) neuron, ``[n]`` with values ``0..K-1``; every cluster non-empty.
    tau
        Temperature τ of Eq. 1.
    steps
        Number of optimiser steps (``0`` only evaluates).
    optimizer, lr
        ``"adam"``, ``"sgd"`` or ``callable(params, lr) -> torch.optim.Optimizer``; learning rate.
    constraint
        Projection applied after every step (and once before the first), e.g. :class:`L2Sphere`.
    smoothness
        Weight λ of the Laplace smoothness penalty (acts on the last two axes).
    grad_blur_sigma
        If set, the gradient is Gaussian-blurred with this σ (pixels) before each step (preconditioning).
    offset, scale
        Per-neuron normalisation ``subt``/``div`` of the objective (for the neurons in ``unit_idx``).
    unit_idx
        Restrict the objective to these model neurons (sub-clustering of one cluster); ``None``: all.
    stopper
        Optional :class:`EMAStopper` on the (batch-summed) loss.
    on_step
        Called with the (projected) stimuli after every step (used by tests and progress reporting).

    Returns
    -------
    (torch.Tensor, torch.Tensor)
        The optimised stimuli ``[K, *stim_shape]`` (detached) and the objective ``J_k(s_k)`` of each, ``[K]``.

    Raises
    ------
    TypeError, ValueError
        A bad model, stimulus batch, label vector or setting (the message names it).

    Examples
    --------
    >>> from mds_cluster.twins import OnOffToy
    >>> toy = OnOffToy(4, 3)
    >>> s, j = optimize_stimuli(toy, torch.zeros(2, 3, 3) + 0.1, torch.tensor([0, 1, 0, 1]), steps=5, lr=10.0,
    ...                         optimizer="sgd")
    >>> s.shape, bool(j.mean() > 0)
    (torch.Size([2, 3, 3]), True)
    """
    tau, steps, lr = _check_inputs(model, stimuli, labels, tau, steps, lr, constraint, unit_idx)
    smoothness = check_float("smoothness", smoothness, minimum=0.0)
    if grad_blur_sigma is not None:
        grad_blur_sigma = check_float("grad_blur_sigma", grad_blur_sigma, positive=True)
    if stopper is not None and not isinstance(stopper, EMAStopper):
        raise TypeError(f"stopper must be an EMAStopper or None, got {type(stopper).__name__}")
    n_clusters = stimuli.shape[0]
    s = stimuli.detach().clone()
    if constraint is not None:
        s = constraint(s)
    s.requires_grad_(True)
    opt = _make_optimizer(optimizer, [s], lr)
    for _ in range(steps):
        # The constraint also acts inside the graph (s = P(p)): for a norm sphere this removes the radial
        # part of the gradient, without which Adam + projection stalls at a non-stationary point.
        s_in = constraint(s) if constraint is not None else s
        j = _objective(model, s_in, labels, n_clusters, None, tau, offset, scale, unit_idx)
        loss = -j.sum()
        if smoothness:
            loss = loss + smoothness * laplace_penalty(s_in).sum()
        (grad,) = torch.autograd.grad(loss, [s])
        if grad_blur_sigma is not None:
            grad = gaussian_blur(grad, grad_blur_sigma)
        s.grad = grad
        opt.step()
        if constraint is not None:
            with torch.no_grad():
                s.copy_(constraint(s))
        if on_step is not None:
            on_step(s.detach())
        if stopper is not None and stopper(float(loss.detach())):
            break
    with torch.no_grad():
        j = _objective(model, s, labels, n_clusters, None, tau, offset, scale, unit_idx)
    return s.detach(), j.detach()


def optimize_stimuli_loop(
    model: nn.Module,
    stimuli: torch.Tensor,
    labels: torch.Tensor,
    *,
    tau: float = 1.6,
    steps: int = 200,
    optimizer: OptimizerSpec = "adam",
    lr: float = 0.1,
    constraint: Constraint | None = None,
    offset: torch.Tensor | float = 0.0,
    scale: torch.Tensor | float = 1.0,
    unit_idx: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Reference-style optimisation: one cluster at a time, one model call per cluster and step.

    Same arguments and results as :func:`optimize_stimuli` (without smoothness/preconditioning/stopper);
    kept as the baseline of the batched implementation (benchmarks, equivalence test).
    """
    tau, steps, lr = _check_inputs(model, stimuli, labels, tau, steps, lr, constraint, unit_idx)
    n_clusters = stimuli.shape[0]
    out = []
    js = []
    for k in range(n_clusters):
        s = stimuli[k : k + 1].detach().clone()
        if constraint is not None:
            s = constraint(s)
        s.requires_grad_(True)
        opt = _make_optimizer(optimizer, [s], lr)
        on = torch.tensor([k])
        for _ in range(steps):
            s_in = constraint(s) if constraint is not None else s
            loss = -_objective(model, s_in, labels, n_clusters, on, tau, offset, scale, unit_idx).sum()
            (grad,) = torch.autograd.grad(loss, [s])
            s.grad = grad
            opt.step()
            if constraint is not None:
                with torch.no_grad():
                    s.copy_(constraint(s))
        with torch.no_grad():
            js.append(_objective(model, s, labels, n_clusters, on, tau, offset, scale, unit_idx))
        out.append(s.detach())
    return torch.cat(out), torch.cat(js)
