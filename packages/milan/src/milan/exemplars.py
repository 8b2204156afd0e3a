"""Exemplars of the units of any torch model's layer: streaming top-k images and quantile-threshold masks.

For unit ``i`` of a layer, every image's activation map is spatially max-pooled and the ``k`` images with the
largest maxima are kept (ties broken by the smaller image index). The unit's threshold ``eta_i`` is the
``quantile`` (default 0.99) of *all* its spatial activations over the dataset, computed exactly (numpy's
default linear interpolation) by streaming only the largest ``n - floor(q (n - 1))`` activations per unit, so
memory is ``(1 - q)`` of the full activation tensor plus one batch. The exemplar mask is the activation map
upsampled bilinearly to image size (``align_corners=False``) and thresholded ``> eta_i``.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

__all__ = [
    "ExemplarSet",
    "Exemplars",
    "ablate_units",
    "compute_exemplars",
    "exemplars_from_activations",
    "get_layer",
    "quantile_from_top",
    "upsample_masks",
]


@dataclass(frozen=True)
class ExemplarSet:
    """The exemplars of one unit: ``images`` [k, C, H, W], ``masks`` [k, H, W] bool, ``unit``, ``threshold``."""

    images: np.ndarray
    masks: np.ndarray
    unit: int
    threshold: float


@dataclass(frozen=True)
class Exemplars:
    """Exemplars of every unit of one layer.

    Attributes
    ----------
    layer : the layer name.
    indices : int64 [units, k]; dataset indices of the top-k images, best first.
    activations : float32 [units, k]; the spatial maxima of those images.
    thresholds : float64 [units]; the per-unit ``quantile`` of all spatial activations.
    maps : float32 [units, k, h, w]; the layer's activation maps of the exemplar images.
    masks : bool [units, k, H, W]; upsampled maps thresholded ``> thresholds``.
    images : float32 [units, k, C, H, W] or None; the exemplar images (kept when ``keep_images``).
    """

    layer: str
    indices: np.ndarray
    activations: np.ndarray
    thresholds: np.ndarray
    maps: np.ndarray
    masks: np.ndarray
    images: np.ndarray | None = None

    @property
    def n_units(self) -> int:
        """Number of units."""
        return int(self.indices.shape[0])

    @property
    def k(self) -> int:
        """Exemplars per unit."""
        return int(self.indices.shape[1])

    def unit(self, i: int) -> ExemplarSet:
        """The :class:`ExemplarSet` of unit ``i`` (needs ``images``)."""
        if not 0 <= i < self.n_units:
            raise ValueError(f"unit must lie in [0, {self.n_units}), got {i}")
        if self.images is None:
            raise ValueError("images were not kept; recompute with keep_images=True")
        return ExemplarSet(self.images[i], self.masks[i], i, float(self.thresholds[i]))


def get_layer(model: nn.Module, layer: str) -> nn.Module:
    """The submodule called ``layer`` (a name from ``model.named_modules()``)."""
    if not isinstance(layer, str):
        raise TypeError(f"layer must be a str naming a submodule, got {type(layer).__name__}")
    modules = dict(model.named_modules())
    if layer not in modules or layer == "":
        names = [n for n in modules if n]
        raise ValueError(f"layer {layer!r} does not exist in the model; available: {names[:20]}")
    found: nn.Module = modules[layer]
    return found


def quantile_from_top(top_desc: torch.Tensor, n: int, q: float) -> torch.Tensor:
    """numpy-``linear`` quantile ``q`` of ``n`` values per row given the row's largest values, sorted descending.

    ``top_desc`` [rows, m] must hold at least ``n - floor(q (n - 1))`` values per row.
    """
    pos = q * (n - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, n - 1)
    frac = pos - lo
    m_needed = n - lo
    if top_desc.shape[1] < m_needed:
        raise ValueError(f"need the top {m_needed} values per row, got {top_desc.shape[1]}")
    v_lo = top_desc[:, n - 1 - lo].double()
    v_hi = top_desc[:, n - 1 - hi].double()
    return v_lo + (v_hi - v_lo) * frac


def upsample_masks(maps: torch.Tensor, thresholds: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear (``align_corners=False``) upsampling of ``maps`` [units, k, h, w] to ``size``, then ``> thresholds``."""
    u, k, h, w = maps.shape
    up = F.interpolate(maps.reshape(u * k, 1, h, w).float(), size=size, mode="bilinear", align_corners=False)
    return up.reshape(u, k, *size) > thresholds.reshape(u, 1, 1, 1).to(up.dtype)


class _Stream:
    """Streaming top-k images and top-m activations per unit."""

    def __init__(self, n_images: int, k: int, quantile: float) -> None:
        self.n_images, self.k, self.q = n_images, k, quantile
        self.top_val: torch.Tensor | None = None
        self.top_idx: torch.Tensor | None = None
        self.top_maps: torch.Tensor | None = None
        self.top_act: torch.Tensor | None = None
        self.m = 0
        self.n_total = 0

    def update(self, acts: torch.Tensor, start: int) -> None:
        acts = acts.detach().float().cpu()
        if acts.ndim != 4:
            raise ValueError(f"layer output must be [batch, units, h, w], got shape {tuple(acts.shape)}")
        b, u, h, w = acts.shape
        if self.top_val is None:
            self.n_total = self.n_images * h * w
            lo = math.floor(self.q * (self.n_total - 1))
            self.m = self.n_total - lo
            self.top_val = torch.empty(u, 0)
            self.top_idx = torch.empty(u, 0, dtype=torch.int64)
            self.top_maps = torch.empty(u, 0, h, w)
            self.top_act = torch.empty(u, 0)
        assert self.top_idx is not None and self.top_maps is not None and self.top_act is not None
        maxes = acts.amax(dim=(2, 3)).T  # [u, b]
        idx = torch.arange(start, start + b).expand(u, b)
        val = torch.cat([self.top_val, maxes], dim=1)
        ids = torch.cat([self.top_idx, idx], dim=1)
        maps = torch.cat([self.top_maps, acts.transpose(0, 1)], dim=1)
        order = torch.sort(val, dim=1, descending=True, stable=True).indices[:, : self.k]
        self.top_val = torch.gather(val, 1, order)
        self.top_idx = torch.gather(ids, 1, order)
        self.top_maps = maps[torch.arange(u)[:, None], order]
        flat = torch.cat([self.top_act, acts.transpose(0, 1).reshape(u, -1)], dim=1)
        m = min(self.m, flat.shape[1])
        self.top_act = torch.topk(flat, m, dim=1, largest=True, sorted=True).values


def _batches(images: Any, batch_size: int) -> tuple[int, Iterator[torch.Tensor]]:
    if isinstance(images, np.ndarray):
        images = torch.from_numpy(images)
    if isinstance(images, torch.Tensor):
        if images.ndim != 4:
            raise ValueError(f"images must be a [N, C, H, W] array, got shape {tuple(images.shape)}")
        data = images.float()
        return len(data), (data[i : i + batch_size] for i in range(0, len(data), batch_size))
    if isinstance(images, torch.utils.data.Dataset) and hasattr(images, "__len__"):
        loader = torch.utils.data.DataLoader(images, batch_size=batch_size, shuffle=False)

        def gen() -> Iterator[torch.Tensor]:
            for item in loader:
                x = item[0] if isinstance(item, list | tuple) else item
                if not isinstance(x, torch.Tensor) or x.ndim != 4:
                    raise ValueError(
                        "images: dataset items must be [C, H, W] tensors or (tensor, label) tuples"
                    )
                yield x.float()

        return len(images), gen()
    raise TypeError(
        f"images must be a [N, C, H, W] numpy array / tensor or a sized torch Dataset, got {type(images).__name__}"
    )


def _check_k_q(k: int, quantile: float, n: int) -> None:
    if not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if k > n:
        raise ValueError(f"k must not exceed the number of images ({n}), got k={k}")
    if not 0.0 <= float(quantile) < 1.0:
        raise ValueError(f"quantile must lie in [0, 1), got {quantile!r}")


def compute_exemplars(
    model: nn.Module,
    layer: str,
    images: Any,
    k: int = 15,
    quantile: float = 0.99,
    *,
    batch_size: int = 128,
    device: str | torch.device = "cpu",
    keep_images: bool = True,
    progress: bool = False,
) -> Exemplars:
    """Top-``k`` exemplar images and ``quantile``-threshold masks of every unit of ``model``'s ``layer``.

    Parameters
    ----------
    model : any torch module; it is run in eval mode under ``torch.no_grad`` and restored afterwards.
    layer : name of a submodule (as in ``model.named_modules()``) whose output is [batch, units, h, w].
    images : [N, C, H, W] numpy array or tensor, or a sized ``torch.utils.data.Dataset`` of [C, H, W] tensors
        (or ``(tensor, label)`` pairs), read in order.
    k : exemplars per unit (paper: 15).
    quantile : activation quantile of the mask threshold (paper: 0.99).
    batch_size, device : forward-pass batching and device.
    keep_images : store the exemplar images in the result (memory ``units * k * C * H * W`` floats).
    progress : show a tqdm bar.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    target = get_layer(model, layer)
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    n, batches = _batches(images, batch_size)
    _check_k_q(k, quantile, n)
    stream = _Stream(n, int(k), float(quantile))
    captured: list[torch.Tensor] = []
    handle = target.register_forward_hook(lambda _m, _i, out: captured.append(out))
    was_training = model.training
    model.eval()
    img_size: tuple[int, int] | None = None
    start = 0
    try:
        with torch.no_grad():
            for x in tqdm(
                batches, total=math.ceil(n / batch_size), disable=not progress, desc=f"exemplars {layer}"
            ):
                if img_size is None:
                    img_size = (int(x.shape[-2]), int(x.shape[-1]))
                captured.clear()
                model(x.to(device))
                if not captured:
                    raise RuntimeError(f"layer {layer!r} was not called in the forward pass")
                out = captured[-1]
                if not isinstance(out, torch.Tensor):
                    raise ValueError(f"layer {layer!r} must output a tensor, got {type(out).__name__}")
                stream.update(out, start)
                start += x.shape[0]
    finally:
        handle.remove()
        model.train(was_training)
    assert img_size is not None
    return _finish(stream, layer, images, img_size, keep_images)


def _finish(
    stream: _Stream, layer: str, images: Any, img_size: tuple[int, int], keep_images: bool
) -> Exemplars:
    assert stream.top_act is not None and stream.top_maps is not None and stream.top_idx is not None
    assert stream.top_val is not None
    thr = quantile_from_top(stream.top_act, stream.n_total, stream.q)
    masks = upsample_masks(stream.top_maps, thr, img_size)
    idx = stream.top_idx.numpy()
    ims = None
    if keep_images:
        ims = np.stack([[np.asarray(_item(images, int(j))) for j in row] for row in idx]).astype(np.float32)
    return Exemplars(
        layer=layer,
        indices=idx,
        activations=stream.top_val.numpy().astype(np.float32),
        thresholds=thr.numpy(),
        maps=stream.top_maps.numpy().astype(np.float32),
        masks=masks.numpy(),
        images=ims,
    )


def _item(images: Any, j: int) -> Any:
    x = images[j]
    if isinstance(x, list | tuple):
        x = x[0]
    return x.numpy() if isinstance(x, torch.Tensor) else x


def exemplars_from_activations(
    activations: np.ndarray,
    images: np.ndarray | None = None,
    k: int = 15,
    quantile: float = 0.99,
    image_size: tuple[int, int] | None = None,
    layer: str = "activations",
) -> Exemplars:
    """Exemplars from precomputed activation maps ``activations`` [N, units, h, w] (e.g. planted units)."""
    acts = torch.as_tensor(np.asarray(activations, dtype=np.float32))
    if acts.ndim != 4:
        raise ValueError(f"activations must be [N, units, h, w], got shape {tuple(acts.shape)}")
    n = int(acts.shape[0])
    _check_k_q(k, quantile, n)
    if images is None and image_size is None:
        raise ValueError("give images or image_size")
    size = image_size if image_size is not None else (int(images.shape[-2]), int(images.shape[-1]))  # type: ignore[union-attr]
    stream = _Stream(n, int(k), float(quantile))
    for s in range(0, n, 512):
        stream.update(acts[s : s + 512], s)
    return _finish(stream, layer, images, size, images is not None)


@contextlib.contextmanager
def ablate_units(model: nn.Module, layer: str, units: Sequence[int]) -> Iterator[nn.Module]:
    """Context manager zeroing channels ``units`` of ``layer``'s output; the hook is removed on exit."""
    target = get_layer(model, layer)
    units = [int(u) for u in units]
    idx = torch.as_tensor(units, dtype=torch.int64)

    def hook(_m: nn.Module, _i: Any, out: torch.Tensor) -> torch.Tensor:
        if not isinstance(out, torch.Tensor) or out.ndim < 2:
            raise ValueError(f"layer {layer!r} output must be a [batch, units, ...] tensor")
        if units and (min(units) < 0 or max(units) >= out.shape[1]):
            raise ValueError(f"units must lie in [0, {out.shape[1]}), got {units}")
        out = out.clone()
        out[:, idx.to(out.device)] = 0
        return out

    handle = target.register_forward_hook(hook)
    try:
        yield model
    finally:
        handle.remove()
