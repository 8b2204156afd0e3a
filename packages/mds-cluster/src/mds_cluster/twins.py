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

from neurotypes.validation import check_array, check_choice, check_float, check_int

__all__ = [
    "PROTOTYPES",
    "CNNTwin",
    "LNPopulation",
    "OnOffToy",
    "TwinAdapter",
    "prototype_filter",
    "wrap",
]

logger = logging.getLogger(__name__)

PROTOTYPES = ("on_dog", "off_dog", "gabor_v", "gabor_h")


def _check_stimulus(x: torch.Tensor, n_pixels: int, name: str) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} expects a torch.Tensor of stimuli, got {type(x).__name__}")
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
        self.n_neurons = check_int("n_neurons", n_neurons, minimum=2)
        self.size = check_int("size", size, minimum=1)
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
    name = check_choice("name", name, PROTOTYPES)
    size = check_int("size", size, minimum=3)
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
        if isinstance(prototypes, str | bytes) or not isinstance(prototypes, Sequence) or len(prototypes) < 1:
            raise TypeError(f"prototypes must be a non-empty sequence of type names, got {prototypes!r}")
        for i, name in enumerate(prototypes):
            check_choice(f"prototypes[{i}]", name, PROTOTYPES)
        n_per_type = check_int("n_per_type", n_per_type, minimum=1)
        noise = check_float("noise", noise, minimum=0.0)
        seed = check_int("seed", seed, minimum=0)
        rng = np.random.default_rng(seed)
        self.prototypes = tuple(prototypes)
        self.size = check_int("size", size, minimum=3)
        self.stim_shape = (self.size, self.size)
        protos = np.stack([prototype_filter(p, self.size).ravel() for p in self.prototypes])
        self.labels = np.repeat(np.arange(len(self.prototypes)), n_per_type).astype(np.int64)
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
        self.module = module
        self.time_reduce = check_choice("time_reduce", time_reduce, ("mean", "max", "last"))
        if neuron_idx is None:
            self.register_buffer("neuron_idx", None)
        else:
            idx = check_array("neuron_idx", neuron_idx, ndim=1, dtype="int", nonnegative=True, min_size=1)
            if np.unique(idx).size != idx.size:
                raise ValueError("neuron_idx must not repeat a neuron")
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
        if isinstance(stim_shape, str | bytes) or not isinstance(stim_shape, Sequence):
            raise TypeError(f"stim_shape must be a sequence of ints, got {stim_shape!r}")
        shape = tuple(check_int(f"stim_shape[{i}]", s, minimum=1) for i, s in enumerate(stim_shape))
        if len(shape) not in (2, 3):
            raise ValueError(f"stim_shape must be (H, W) or (C, H, W), got {shape}")
        n_neurons = check_int("n_neurons", n_neurons, minimum=1)
        channels = check_int("channels", channels, minimum=1)
        kernel_size = check_int("kernel_size", kernel_size, minimum=1)
        if kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd, got {kernel_size}")
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
