"""Training: a CNN digital twin fitted to simulated (Poisson) responses of a ground-truth population.

A plain torch loop (the fit takes seconds on a CPU, so Lightning would add weight, not value). Randomness comes
from a local ``torch.Generator`` and the twin's initialisation runs inside ``torch.random.fork_rng``: the
caller's global torch random state is left as it was.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from neurotypes.validation import check_bool, check_float, check_int

from .twins import CNNTwin

__all__ = ["train_cnn_twin"]

log = logging.getLogger(__name__)


def train_cnn_twin(
    population: nn.Module,
    stim_shape: Sequence[int],
    n_train: int = 4000,
    epochs: int = 40,
    batch_size: int = 128,
    lr: float = 1e-2,
    contrast_range: tuple[float, float] = (0.5, 3.0),
    poisson: bool = True,
    seed: int = 0,
    device: str | torch.device = "cpu",
    progress: bool = False,
) -> tuple[CNNTwin, dict[str, float]]:
    """Fit a :class:`~mds_cluster.twins.CNNTwin` to simulated (Poisson) responses of ``population`` to noise.

    The noise stimuli are Gaussian white noise whose pixel standard deviation (contrast) is drawn uniformly
    from ``contrast_range`` per stimulus: white noise drives an LN neuron only by about ``‖s‖/√D``, so a high
    contrast is needed for the training responses to rise above the Poisson noise. Trained with Adam on the
    Poisson negative log-likelihood.

    Parameters
    ----------
    population : torch.nn.Module
        Ground-truth model ``[B, *stim_shape] -> [B, N]`` (e.g. :class:`~mds_cluster.twins.LNPopulation`).
    stim_shape : sequence of int
        Stimulus shape ``(H, W)`` or ``(C, H, W)``, positive sizes.
    n_train : int
        Training stimuli, >= 10 (another ``n_train // 4`` are held out for the test correlation).
    epochs, batch_size : int
        Optimisation settings, >= 1.
    lr : float
        Adam learning rate, > 0.
    contrast_range : (float, float)
        Range ``0 < low <= high`` of the per-stimulus pixel standard deviation.
    poisson : bool
        Train on Poisson samples of the rates (True) or on the noiseless rates.
    seed : int
        Seed (>= 0) of the stimuli, the Poisson noise, the initialisation and the batch order.
    device : str or torch.device
        Torch device.
    progress : bool
        Show a progress bar over epochs.

    Returns
    -------
    (CNNTwin, dict)
        The fitted twin (eval mode, parameters frozen) and ``{"test_corr": mean per-neuron correlation with
        the noiseless held-out rates, "train_loss": last epoch's loss}``.

    Raises
    ------
    TypeError, ValueError
        A bad argument (the message names it).

    Examples
    --------
    >>> from mds_cluster.twins import LNPopulation
    >>> pop = LNPopulation(n_per_type=3, size=8, seed=0)
    >>> twin, info = train_cnn_twin(pop, (8, 8), n_train=200, epochs=2, seed=0)
    >>> twin.n_neurons
    12
    """
    from tqdm.auto import tqdm

    if not isinstance(population, nn.Module):
        raise TypeError(f"population must be a torch.nn.Module, got {type(population).__name__}")
    if isinstance(stim_shape, str | bytes) or not isinstance(stim_shape, Sequence) or not stim_shape:
        raise TypeError(f"stim_shape must be a non-empty sequence of ints, got {stim_shape!r}")
    shape = tuple(check_int(f"stim_shape[{i}]", s, minimum=1) for i, s in enumerate(stim_shape))
    n_train = check_int("n_train", n_train, minimum=10)
    epochs = check_int("epochs", epochs, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    lr = check_float("lr", lr, positive=True)
    if not isinstance(contrast_range, Sequence) or len(contrast_range) != 2:
        raise TypeError(f"contrast_range must be a pair (low, high), got {contrast_range!r}")
    lo = check_float("contrast_range[0]", contrast_range[0], positive=True)
    hi = check_float("contrast_range[1]", contrast_range[1], positive=True)
    if lo > hi:
        raise ValueError(f"contrast_range must satisfy low <= high, got {contrast_range}")
    poisson = check_bool("poisson", poisson)
    seed = check_int("seed", seed, minimum=0)
    progress = check_bool("progress", progress)

    gen = torch.Generator().manual_seed(seed)
    n_total = n_train + n_train // 4
    x = torch.randn((n_total, *shape), generator=gen)
    contrast = torch.empty(n_total).uniform_(lo, hi, generator=gen)
    x = x * contrast.reshape(-1, *([1] * len(shape)))
    with torch.no_grad():
        rates = population.to(device)(x.to(device)).cpu()
    if not isinstance(rates, torch.Tensor) or rates.ndim != 2 or rates.shape[0] != n_total:
        raise ValueError("population must map stimuli [B, *stim_shape] to responses [B, N]")
    if not bool(torch.isfinite(rates).all()) or bool((rates < 0).any()):
        raise ValueError("population must return finite, non-negative rates (Poisson means)")
    targets = torch.poisson(rates, generator=gen) if poisson else rates
    n_neurons = rates.shape[1]
    with torch.random.fork_rng(
        devices=[]
    ):  # the twin's default initialisation, without touching global state
        torch.manual_seed(seed)
        twin = CNNTwin(shape, n_neurons).to(device)
    opt = torch.optim.Adam(twin.parameters(), lr=lr)
    x_train, y_train = x[:n_train].to(device), targets[:n_train].to(device)
    loss_value = float("nan")
    for _ in tqdm(range(epochs), disable=not progress, desc="CNN twin", leave=False):
        perm = torch.randperm(n_train, generator=gen)
        total = 0.0
        for start in range(0, n_train, batch_size):
            idx = perm[start : start + batch_size].to(device)
            pred = twin(x_train[idx])
            loss = nn.functional.poisson_nll_loss(pred, y_train[idx], log_input=False)
            opt.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
            total += float(loss.detach()) * idx.numel()
        loss_value = total / n_train
    twin.eval()
    with torch.no_grad():
        pred = twin(x[n_train:].to(device)).cpu().numpy()
    true = rates[n_train:].numpy()
    pc = pred - pred.mean(0)
    tc = true - true.mean(0)
    corr = (pc * tc).sum(0) / np.sqrt((pc**2).sum(0) * (tc**2).sum(0) + 1e-12)
    log.info("CNN twin: held-out correlation %.3f", float(corr.mean()))
    for p in twin.parameters():
        p.requires_grad_(False)
    return twin, {"test_corr": float(corr.mean()), "train_loss": loss_value}
