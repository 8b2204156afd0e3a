"""Digital twins: ground-truth populations, a small CNN twin, and an adapter for any torch model.

A twin is a differentiable ``torch.nn.Module`` mapping a batch of stimuli ``[B, *stim_shape]`` to responses
``[B, N]``. The embedded populations also carry their ground-truth types in ``labels`` (numpy int array).

Choices not recorded by the paper or the reference (documented here, fixed before any result was seen):

* ``LNPopulation`` prototypes on an ``H × H`` grid (H = ``size``), centre at ``(H−1)/2``:
  DoG with centre σ = H/12 and surround σ = H/6, each Gaussian normalised to unit sum (a balanced,
  zero-mean centre–surround filter); ``off_dog`` is its negative. Gabors have envelope σ = H/6, wavelength
  H/3, cosine phase, mean subtracted; ``gabor_v`` has vertical bars (varies along x), ``gabor_h``
  horizontal bars. Every prototype is scaled to unit L2 norm.
* Each neuron's filter is its type's prototype plus i.i.d. Gaussian pixel noise of std ``noise/H`` (so the
  noise norm is about ``noise`` ≈ 30 % of the unit prototype); the filter is not renormalised.
* The gain multiplies the linear drive: ``r = softplus(g · (w · s) + b)``, ``g ~ U(0.7, 1.3)``,
  ``b ~ U(−1, 0)``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Literal

import numpy as np
import torch
from torch import nn

__all__ = [
    "PROTOTYPES",
    "CNNTwin",
    "LNPopulation",
    "OnOffToy",
    "TwinAdapter",
    "prototype_filter",
    "train_cnn_twin",
    "wrap",
]

logger = logging.getLogger(__name__)

PROTOTYPES = ("on_dog", "off_dog", "gabor_v", "gabor_h")


def _check_stimulus(x: torch.Tensor, n_pixels: int, name: str) -> torch.Tensor:
    if x.ndim < 2:
        raise ValueError(f"{name} expects a batch of stimuli [B, ...], got shape {tuple(x.shape)}")
    flat = x.reshape(x.shape[0], -1)
    if flat.shape[1] != n_pixels:
        raise ValueError(
            f"{name} expects stimuli with {n_pixels} values each, got stimulus shape {tuple(x.shape[1:])}"
        )
    return flat


class OnOffToy(nn.Module):
    """The reference's on/off test model: even neurons respond ``+mean(s)``, odd neurons ``−mean(s)``.

    Parameters
    ----------
    n_neurons
        Number of neurons N (≥ 2).
    size
        The stimulus is ``size × size``.
    """

    signs: torch.Tensor

    def __init__(self, n_neurons: int = 42, size: int = 18) -> None:
        super().__init__()
        if int(n_neurons) < 2:
            raise ValueError(f"n_neurons must be >= 2, got {n_neurons}")
        if int(size) < 1:
            raise ValueError(f"size must be >= 1, got {size}")
        self.n_neurons = int(n_neurons)
        self.size = int(size)
        self.stim_shape = (self.size, self.size)
        signs = np.where(np.arange(self.n_neurons) % 2 == 0, 1.0, -1.0)
        self.register_buffer("signs", torch.tensor(signs, dtype=torch.get_default_dtype()))
        self.labels = (np.arange(self.n_neurons) % 2).astype(np.int64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = _check_stimulus(x, self.size * self.size, "OnOffToy")
        return flat.mean(dim=1, keepdim=True) * self.signs


def prototype_filter(name: str, size: int = 18) -> np.ndarray:
    """Unit-L2-norm prototype filter ``[size, size]`` (see the module docstring for the parameters).

    Parameters
    ----------
    name
        One of ``"on_dog"``, ``"off_dog"``, ``"gabor_v"``, ``"gabor_h"``.
    size
        Side length H of the square filter.
    """
    if name not in PROTOTYPES:
        raise ValueError(f"prototype name must be one of {PROTOTYPES}, got {name!r}")
    c = (size - 1) / 2.0
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    r2 = (xx - c) ** 2 + (yy - c) ** 2

    def gauss(sigma: float) -> np.ndarray:
        g = np.exp(-r2 / (2 * sigma**2))
        return np.asarray(g / g.sum())

    if name.endswith("dog"):
        f = gauss(size / 12.0) - gauss(size / 6.0)
        if name == "off_dog":
            f = -f
    else:
        coord = xx if name == "gabor_v" else yy
        f = np.exp(-r2 / (2 * (size / 6.0) ** 2)) * np.cos(2 * np.pi * (coord - c) / (size / 3.0))
        f = f - f.mean()
    return np.asarray(f / np.linalg.norm(f))


class LNPopulation(nn.Module):
    """Linear–nonlinear population with known functional types.

    Neuron ``i`` of type ``t`` responds ``softplus(g_i · (w_i · s) + b_i)`` with ``w_i`` = prototype ``t``
    plus pixel noise of std ``noise/size``, ``g_i ~ U(0.7, 1.3)``, ``b_i ~ U(−1, 0)``.

    Parameters
    ----------
    prototypes
        Type names (see :data:`PROTOTYPES`); neurons are ordered type by type.
    n_per_type
        Neurons per type.
    size
        Stimulus side length H.
    noise
        Relative filter noise (per-pixel std is ``noise / size``).
    seed
        Seed of the per-neuron noise, gains and biases.
    """

    weights: torch.Tensor
    gains: torch.Tensor
    biases: torch.Tensor

    def __init__(
        self,
        prototypes: Sequence[str] = PROTOTYPES,
        n_per_type: int = 40,
        size: int = 18,
        noise: float = 0.3,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if len(prototypes) < 1:
            raise ValueError("prototypes must name at least one type")
        if int(n_per_type) < 1:
            raise ValueError(f"n_per_type must be >= 1, got {n_per_type}")
        if not noise >= 0:
            raise ValueError(f"noise must be >= 0, got {noise}")
        rng = np.random.default_rng(seed)
        self.prototypes = tuple(prototypes)
        self.size = int(size)
        self.stim_shape = (self.size, self.size)
        protos = np.stack([prototype_filter(p, self.size).ravel() for p in self.prototypes])
        self.labels = np.repeat(np.arange(len(self.prototypes)), int(n_per_type)).astype(np.int64)
        self.n_neurons = self.labels.size
        w = protos[self.labels] + rng.normal(0.0, noise / self.size, size=(self.n_neurons, self.size**2))
        gains = rng.uniform(0.7, 1.3, size=self.n_neurons)
        biases = rng.uniform(-1.0, 0.0, size=self.n_neurons)
        dtype = torch.get_default_dtype()
        self.register_buffer("weights", torch.tensor(w, dtype=dtype))
        self.register_buffer("gains", torch.tensor(gains, dtype=dtype))
        self.register_buffer("biases", torch.tensor(biases, dtype=dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = _check_stimulus(x, self.size * self.size, "LNPopulation")
        drive = flat @ self.weights.T
        return nn.functional.softplus(self.gains * drive + self.biases)


class TwinAdapter(nn.Module):
    """Wraps any model so that it returns ``[B, len(neuron_idx)]`` responses.

    Parameters
    ----------
    module
        A differentiable model. Its output may be a tensor ``[B, N_all]``, ``[B, T, N_all]`` (time is
        reduced with ``time_reduce``), or a tuple/list whose first element is such a tensor.
    neuron_idx
        Indices of the neurons to cluster (``None``: all).
    time_reduce
        How a time axis (output ``[B, T, N]``) is reduced: ``"mean"``, ``"max"`` or ``"last"``.
    """

    neuron_idx: torch.Tensor | None

    def __init__(
        self,
        module: nn.Module,
        neuron_idx: Sequence[int] | np.ndarray | None = None,
        time_reduce: Literal["mean", "max", "last"] = "mean",
    ) -> None:
        super().__init__()
        if not isinstance(module, nn.Module):
            raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
        if time_reduce not in ("mean", "max", "last"):
            raise ValueError(f"time_reduce must be 'mean', 'max' or 'last', got {time_reduce!r}")
        self.module = module
        self.time_reduce = time_reduce
        if neuron_idx is None:
            self.register_buffer("neuron_idx", None)
        else:
            idx = np.asarray(neuron_idx)
            if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer) or (idx < 0).any():
                raise ValueError("neuron_idx must be a non-empty 1-D array of non-negative integers")
            self.register_buffer("neuron_idx", torch.as_tensor(idx, dtype=torch.long))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.module(x)
        if isinstance(out, tuple | list):
            out = out[0]
        if not isinstance(out, torch.Tensor):
            raise TypeError(f"the wrapped model must return a tensor, got {type(out).__name__}")
        if out.ndim == 3:
            if self.time_reduce == "mean":
                out = out.mean(dim=1)
            elif self.time_reduce == "max":
                out = out.amax(dim=1)
            else:
                out = out[:, -1]
        if out.ndim != 2:
            raise ValueError(
                f"the wrapped model must return [B, N] or [B, T, N], got shape {tuple(out.shape)}"
            )
        if self.neuron_idx is not None:
            if int(self.neuron_idx.max()) >= out.shape[1]:
                raise ValueError(
                    f"neuron_idx holds index {int(self.neuron_idx.max())} but the model has {out.shape[1]} neurons"
                )
            out = out[:, self.neuron_idx]
        return out


def wrap(
    module: nn.Module,
    neuron_idx: Sequence[int] | np.ndarray | None = None,
    time_reduce: Literal["mean", "max", "last"] = "mean",
) -> TwinAdapter:
    """Adapter for any user model (e.g. an openretina model loaded by the user). See :class:`TwinAdapter`."""
    return TwinAdapter(module, neuron_idx, time_reduce)


class CNNTwin(nn.Module):
    """Tiny CNN digital twin: a one-layer convolutional core (ELU) and a factorised readout per neuron.

    Each neuron reads the core's feature maps through its own spatial mask and feature weights (the
    factorised readout common in system-identification CNNs), ``r_n = softplus(Σ_{c,p} F[c,p] m_n[p] f_n[c] + b_n)``.

    Parameters
    ----------
    stim_shape
        ``(H, W)`` or ``(C, H, W)`` of the stimuli.
    n_neurons
        Number of output neurons.
    channels
        Feature channels of the core.
    kernel_size
        Odd convolution kernel size.
    """

    def __init__(
        self, stim_shape: Sequence[int], n_neurons: int, channels: int = 8, kernel_size: int = 9
    ) -> None:
        super().__init__()
        shape = tuple(int(s) for s in stim_shape)
        if len(shape) not in (2, 3):
            raise ValueError(f"stim_shape must be (H, W) or (C, H, W), got {shape}")
        self.stim_shape = shape
        in_ch = 1 if len(shape) == 2 else shape[0]
        h, w = shape[-2:]
        self.core = nn.Conv2d(in_ch, channels, kernel_size, padding=kernel_size // 2)
        self.spatial = nn.Parameter(torch.randn(int(n_neurons), h * w) * 0.01)
        self.features = nn.Parameter(torch.randn(int(n_neurons), channels) / channels**0.5)
        self.bias = nn.Parameter(torch.zeros(int(n_neurons)))
        self.n_neurons = int(n_neurons)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[1:]) != self.stim_shape:
            raise ValueError(f"CNNTwin expects stimuli of shape {self.stim_shape}, got {tuple(x.shape[1:])}")
        if len(self.stim_shape) == 2:
            x = x[:, None]
        feats = nn.functional.elu(self.core(x)).flatten(2)  # [B, C, P]
        drive = torch.einsum("bcp,np,nc->bn", feats, self.spatial, self.features)
        return nn.functional.softplus(drive + self.bias)


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
    """Fit a :class:`CNNTwin` to simulated (Poisson) responses of ``population`` to white noise.

    The noise stimuli are Gaussian white noise whose pixel standard deviation (contrast) is drawn uniformly
    from ``contrast_range`` per stimulus: white noise drives an LN neuron only by about ``‖s‖/√D``, so a
    high contrast is needed for the training responses to rise above the Poisson noise. Trained with Adam on the Poisson negative
    log-likelihood (plain torch loop: the fit takes seconds, so Lightning would add weight, not value).

    Parameters
    ----------
    population
        Ground-truth model ``[B, *stim_shape] -> [B, N]`` (e.g. :class:`LNPopulation`).
    stim_shape
        Stimulus shape.
    n_train
        Number of training stimuli (another ``n_train // 4`` are held out for the test correlation).
    epochs, batch_size, lr
        Optimisation settings.
    contrast_range
        Range of the per-stimulus pixel standard deviation.
    poisson
        Train on Poisson samples of the rates (True) or on the noiseless rates.
    seed
        Seed for stimuli, Poisson noise, initialisation and batch order.
    device
        Torch device.
    progress
        Show a tqdm progress bar over epochs.

    Returns
    -------
    (CNNTwin, dict)
        The fitted twin (eval mode) and ``{"test_corr": mean per-neuron correlation with the noiseless
        held-out rates, "train_loss": last epoch's loss}``.
    """
    from tqdm.auto import tqdm

    if int(n_train) < 10:
        raise ValueError(f"n_train must be >= 10, got {n_train}")
    gen = torch.Generator().manual_seed(int(seed))
    shape = tuple(int(s) for s in stim_shape)
    n_total = int(n_train) + int(n_train) // 4
    x = torch.randn((n_total, *shape), generator=gen)
    lo, hi = contrast_range
    if not 0 < lo <= hi:
        raise ValueError(f"contrast_range must satisfy 0 < low <= high, got {contrast_range}")
    contrast = torch.empty(n_total).uniform_(lo, hi, generator=gen)
    x = x * contrast.reshape(-1, *([1] * len(shape)))
    with torch.no_grad():
        rates = population.to(device)(x.to(device)).cpu()
    targets = torch.poisson(rates, generator=gen) if poisson else rates
    n_neurons = rates.shape[1]
    torch.manual_seed(int(seed))  # parameter initialisation of the twin
    twin = CNNTwin(shape, n_neurons).to(device)
    opt = torch.optim.Adam(twin.parameters(), lr=lr)
    x_train, y_train = x[:n_train].to(device), targets[:n_train].to(device)
    loss_value = float("nan")
    for _ in tqdm(range(int(epochs)), disable=not progress, desc="CNN twin"):
        perm = torch.randperm(int(n_train), generator=gen)
        total = 0.0
        for start in range(0, int(n_train), int(batch_size)):
            idx = perm[start : start + int(batch_size)].to(device)
            pred = twin(x_train[idx])
            loss = nn.functional.poisson_nll_loss(pred, y_train[idx], log_input=False)
            opt.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
            total += float(loss.detach()) * idx.numel()
        loss_value = total / int(n_train)
    twin.eval()
    with torch.no_grad():
        pred = twin(x[n_train:].to(device)).cpu().numpy()
    true = rates[n_train:].numpy()
    pc = pred - pred.mean(0)
    tc = true - true.mean(0)
    corr = (pc * tc).sum(0) / np.sqrt((pc**2).sum(0) * (tc**2).sum(0) + 1e-12)
    logger.info("CNN twin: held-out correlation %.3f", float(corr.mean()))
    for p in twin.parameters():
        p.requires_grad_(False)
    return twin, {"test_corr": float(corr.mean()), "train_loss": loss_value}
