"""Exemplars of the units of any torch model's layer: streaming top-k images and quantile-threshold masks.

For unit ``i`` of a layer, every image's activation map is spatially max-pooled and the ``k`` images with the
largest maxima are kept (ties broken by the smaller image index). The unit's threshold ``eta_i`` is the
``quantile`` (default 0.99) of *all* its spatial activations over the dataset, computed exactly (numpy's
default linear interpolation) by streaming only the largest ``n - floor(q (n - 1))`` activations per unit, so
memory is ``(1 - q)`` of the full activation tensor plus one batch. The exemplar mask is the activation map
upsampled bilinearly to image size (``align_corners=False``) and thresholded ``> eta_i`` (paper, Sec. 2).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from milan.data import CONCEPTS, ShapesWorld, _npz_arrays, concept_masks
from milan.model import get_layer, resolve_device
from neurotypes import atomic_write_bytes
from neurotypes.validation import check_array, check_bool, check_float, check_int, check_path

__all__ = [
    "ExemplarSet",
    "Exemplars",
    "ablate_units",
    "compute_exemplars",
    "exemplars_from_activations",
    "label_units_by_iou",
    "quantile_from_top",
    "upsample_masks",
]

_FORMAT = "milan.Exemplars"
_FORMAT_VERSION = 1


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
    layer : str
        The layer name.
    indices : numpy.ndarray
        int64 [units, k]; dataset indices of the top-k images, best first.
    activations : numpy.ndarray
        float32 [units, k]; the spatial maxima of those images.
    thresholds : numpy.ndarray
        float64 [units]; the per-unit ``quantile`` (``eta_i``) of all spatial activations.
    maps : numpy.ndarray
        float32 [units, k, h, w]; the layer's activation maps of the exemplar images.
    masks : numpy.ndarray
        bool [units, k, H, W]; upsampled maps thresholded ``> thresholds``.
    images : numpy.ndarray or None
        float32 [units, k, C, H, W]; the exemplar images (kept when ``keep_images``).
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
        i = check_int("i", i, minimum=0, maximum=self.n_units - 1)
        if self.images is None:
            raise ValueError("images were not kept; recompute with keep_images=True")
        return ExemplarSet(self.images[i], self.masks[i], i, float(self.thresholds[i]))

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the exemplars to an ``.npz`` archive (atomically; plain arrays and JSON, no pickle).

        Read it back with :meth:`load` or ``numpy.load(path, allow_pickle=False)``.
        """
        p = check_path("path", path, must_exist=False, suffixes=(".npz",))
        meta = {"format": _FORMAT, "version": _FORMAT_VERSION, "layer": self.layer}
        arrays = {
            "meta": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
            "indices": self.indices,
            "activations": self.activations,
            "thresholds": self.thresholds,
            "maps": self.maps,
            "masks": self.masks,
        }
        if self.images is not None:
            arrays["images"] = self.images
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)  # type: ignore[arg-type]
        return atomic_write_bytes(p, buf.getvalue())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Exemplars:
        """Read exemplars written by :meth:`save`.

        Raises
        ------
        FileNotFoundError
            No such file.
        ValueError
            Not an exemplars archive of a version this package reads (the message names the file).
        """
        p = check_path("path", path, kind="file")
        arrays = _npz_arrays(p, "exemplars")
        try:
            meta = json.loads(bytes(arrays["meta"].astype(np.uint8)).decode())
            if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
                raise ValueError("it is not a milan exemplars file")
            if meta.get("version") != _FORMAT_VERSION:
                raise ValueError(f"format version {meta.get('version')!r} is not {_FORMAT_VERSION}")
            out = cls(
                layer=str(meta["layer"]),
                indices=check_array("indices", arrays["indices"], ndim=2, dtype="int", nonnegative=True),
                activations=check_array("activations", arrays["activations"], ndim=2).astype(np.float32),
                thresholds=check_array("thresholds", arrays["thresholds"], ndim=1),
                maps=check_array("maps", arrays["maps"], ndim=4).astype(np.float32),
                masks=check_array("masks", arrays["masks"], ndim=4, dtype="bool"),
                images=(
                    check_array("images", arrays["images"], ndim=5).astype(np.float32)
                    if "images" in arrays
                    else None
                ),
            )
        except (KeyError, TypeError, ValueError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"exemplars file {str(p)!r} cannot be read: {exc}") from None
        u, k = out.indices.shape
        shapes = {"activations": out.activations.shape[:2], "thresholds": (*out.thresholds.shape, k)}
        shapes.update(maps=out.maps.shape[:2], masks=out.masks.shape[:2])
        if any(s != (u, k) for s in shapes.values()):
            raise ValueError(f"exemplars file {str(p)!r} holds arrays of inconsistent shapes {shapes}")
        return out


def quantile_from_top(top_desc: torch.Tensor, n: int, q: float) -> torch.Tensor:
    """numpy-``linear`` quantile ``q`` of ``n`` values per row, given each row's largest values.

    Parameters
    ----------
    top_desc : torch.Tensor
        [rows, m], each row sorted descending, with at least ``n - floor(q (n - 1))`` values.
    n : int
        How many values each row summarises (>= 1).
    q : float
        Quantile in [0, 1].

    Returns
    -------
    torch.Tensor
        float64 [rows].
    """
    if not isinstance(top_desc, torch.Tensor) or top_desc.ndim != 2:
        raise TypeError("top_desc must be a 2-D torch.Tensor [rows, m]")
    n = check_int("n", n, minimum=1)
    q = check_float("q", q, minimum=0.0, maximum=1.0)
    pos = q * (n - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, n - 1)
    frac = pos - lo
    m_needed = n - lo
    if top_desc.shape[1] < m_needed:
        raise ValueError(f"top_desc must hold the top {m_needed} values per row, got {top_desc.shape[1]}")
    v_lo = top_desc[:, n - 1 - lo].double()
    v_hi = top_desc[:, n - 1 - hi].double()
    return v_lo + (v_hi - v_lo) * frac


def upsample_masks(maps: torch.Tensor, thresholds: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear (``align_corners=False``) upsampling of ``maps`` [units, k, h, w] to ``size``, then ``> thresholds``."""
    if not isinstance(maps, torch.Tensor) or maps.ndim != 4:
        raise TypeError("maps must be a 4-D torch.Tensor [units, k, h, w]")
    size = _check_size("size", size)
    u, k, h, w = maps.shape
    if tuple(thresholds.shape) != (u,):
        raise ValueError(f"thresholds must have shape ({u},), got {tuple(thresholds.shape)}")
    up = F.interpolate(maps.reshape(u * k, 1, h, w).float(), size=size, mode="bilinear", align_corners=False)
    return up.reshape(u, k, *size) > thresholds.reshape(u, 1, 1, 1).to(up.dtype)


def _check_size(name: str, size: object) -> tuple[int, int]:
    if not isinstance(size, tuple | list) or len(size) != 2:
        raise TypeError(f"{name} must be a (height, width) pair of positive integers, got {size!r}")
    return check_int(f"{name}[0]", size[0], minimum=1), check_int(f"{name}[1]", size[1], minimum=1)


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
            raise ValueError(
                f"the layer's output must be [batch, units, h, w], got shape {tuple(acts.shape)}"
            )
        if not bool(torch.isfinite(acts).all()):
            raise ValueError("the layer's output holds NaN or infinite activations")
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
        if (u, h, w) != (self.top_maps.shape[0], *self.top_maps.shape[2:]):
            raise ValueError(f"the layer's output changed shape between batches: {tuple(acts.shape)}")
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
    if isinstance(images, torch.utils.data.Dataset) and not isinstance(images, torch.Tensor):
        if not hasattr(images, "__len__"):
            raise TypeError("images: a torch Dataset must be sized (define __len__)")
        n = len(images)
        if n < 1:
            raise ValueError("images must hold at least one image, got an empty dataset")
        loader = torch.utils.data.DataLoader(images, batch_size=batch_size, shuffle=False)

        def gen() -> Iterator[torch.Tensor]:
            for item in loader:
                x = item[0] if isinstance(item, list | tuple) else item
                if not isinstance(x, torch.Tensor) or x.ndim != 4:
                    raise ValueError(
                        "images: dataset items must be [C, H, W] tensors or (tensor, label) tuples"
                    )
                if not bool(torch.isfinite(x).all()):
                    raise ValueError("images must be finite, got NaN or infinity in a dataset item")
                yield x.float()

        return n, gen()
    if isinstance(images, torch.Tensor):
        images = images.detach().cpu().numpy()
    if not isinstance(images, np.ndarray):
        raise TypeError(
            f"images must be a [N, C, H, W] numpy array / tensor or a sized torch Dataset, got {type(images).__name__}"
        )
    data = torch.from_numpy(check_array("images", images, ndim=4, min_size=1).astype(np.float32))
    return len(data), (data[i : i + batch_size] for i in range(0, len(data), batch_size))


def _check_k_q(k: object, quantile: object, n: int) -> tuple[int, float]:
    k = check_int("k", k, minimum=1)
    if k > n:
        raise ValueError(f"k must not exceed the number of images ({n}), got k={k}")
    q = check_float("quantile", quantile, minimum=0.0)
    if q >= 1.0:
        raise ValueError(f"quantile must lie in [0, 1), got {q}")
    return k, q


def compute_exemplars(
    model: nn.Module,
    layer: str,
    images: Any,
    k: int = 15,
    quantile: float = 0.99,
    *,
    batch_size: int = 128,
    device: str | torch.device = "auto",
    keep_images: bool = True,
    progress: bool = False,
) -> Exemplars:
    """Top-``k`` exemplar images and ``quantile``-threshold masks of every unit of ``model``'s ``layer``.

    Parameters
    ----------
    model : torch.nn.Module
        Any model; it runs in eval mode under ``torch.no_grad`` and its mode is restored afterwards.
    layer : str
        Name of a submodule (as in ``model.named_modules()``) whose output is [batch, units, h, w].
    images : array_like or torch.utils.data.Dataset
        [N, C, H, W] numpy array or tensor, or a sized dataset of [C, H, W] tensors (or ``(tensor, label)``
        pairs), read in order.
    k : int
        Exemplars per unit (paper: 15).
    quantile : float
        Activation quantile of the mask threshold, in [0, 1) (paper: 0.99).
    batch_size : int
        Images per forward pass.
    device : str or torch.device
        Where the images are sent: ``"auto"`` (default: the device of the model's first parameter), ``"cpu"``,
        ``"cuda"``, ``"cuda:N"`` or ``"mps"``. The model must already live there.
    keep_images : bool
        Store the exemplar images in the result (memory ``units * k * C * H * W`` floats).
    progress : bool
        Show a progress bar.

    Returns
    -------
    Exemplars

    Raises
    ------
    TypeError, ValueError
        A bad argument (named in the message), a layer that does not exist or does not output a 4-D tensor.

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU())
    >>> ex = compute_exemplars(net, "1", torch.rand(20, 3, 8, 8), k=5)
    >>> ex.indices.shape, ex.masks.shape
    ((4, 5), (4, 5, 8, 8))
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    target = get_layer(model, layer)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    keep_images = check_bool("keep_images", keep_images)
    progress = check_bool("progress", progress)
    dev = resolve_device(device, model)
    n, batches = _batches(images, batch_size)
    k, quantile = _check_k_q(k, quantile, n)
    stream = _Stream(n, k, quantile)
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
                try:
                    model(x.to(dev))
                except RuntimeError as exc:  # shape or dtype mismatch between the images and the model
                    raise ValueError(
                        f"images: the model's forward pass failed on a batch of shape {tuple(x.shape)}: {exc}"
                    ) from exc
                if not captured:
                    raise ValueError(f"layer {layer!r} was not called in the forward pass")
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
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else x


def exemplars_from_activations(
    activations: np.ndarray,
    images: np.ndarray | None = None,
    k: int = 15,
    quantile: float = 0.99,
    image_size: tuple[int, int] | None = None,
    layer: str = "activations",
) -> Exemplars:
    """Exemplars from precomputed activation maps (a layer's output saved from any framework, planted units).

    Parameters
    ----------
    activations : array_like
        [N, units, h, w] finite activation maps of N probe images.
    images : array_like, optional
        [N, C, H, W] probe images; kept in the result and giving the mask size.
    k, quantile : int, float
        As in :func:`compute_exemplars`.
    image_size : (int, int), optional
        Mask size when ``images`` is not given.
    layer : str
        Name recorded in the result.

    Returns
    -------
    Exemplars
    """
    acts = torch.from_numpy(check_array("activations", activations, ndim=4, min_size=1).astype(np.float32))
    n = int(acts.shape[0])
    k, quantile = _check_k_q(k, quantile, n)
    if not isinstance(layer, str):
        raise TypeError(f"layer must be a str, got {type(layer).__name__}")
    if images is not None:
        images = check_array("images", images, ndim=4).astype(np.float32)
        if len(images) != n:
            raise ValueError(f"images and activations must have the same length, got {len(images)} and {n}")
    if image_size is not None:
        size = _check_size("image_size", image_size)
    elif images is not None:
        size = (int(images.shape[-2]), int(images.shape[-1]))
    else:
        raise ValueError("give images or image_size (the size of the masks)")
    stream = _Stream(n, k, quantile)
    for s in range(0, n, 512):
        stream.update(acts[s : s + 512], s)
    return _finish(stream, layer, images, size, images is not None)


def label_units_by_iou(
    exemplars: Exemplars,
    world: ShapesWorld,
    concepts: Sequence[str] = CONCEPTS,
    min_iou: float = 0.2,
) -> list[tuple[str | None, float]]:
    """NetDissect-style label per unit: the concept whose ground-truth masks best overlap the exemplar masks.

    The IoU is pooled over the unit's ``k`` exemplars (intersection and union summed over images).

    Parameters
    ----------
    exemplars : Exemplars
        Computed on the images of ``world`` (its ``indices`` index ``world``).
    world : ShapesWorld
    concepts : sequence of str
        Candidate concepts (default: every concept of the shapes world).
    min_iou : float
        Units whose best IoU is below this get the label ``None``.

    Returns
    -------
    list of (str or None, float)
        ``(label, best IoU)`` per unit.
    """
    if not isinstance(exemplars, Exemplars):
        raise TypeError(f"exemplars must be milan.Exemplars, got {type(exemplars).__name__}")
    if not isinstance(world, ShapesWorld):
        raise TypeError(f"world must be a milan.data.ShapesWorld, got {type(world).__name__}")
    min_iou = check_float("min_iou", min_iou, minimum=0.0, maximum=1.0)
    if int(exemplars.indices.max(initial=0)) >= len(world):
        raise ValueError("exemplars index images beyond world: compute them on this world's images")
    if exemplars.masks.shape[-2:] != world.glyph_mask.shape[-2:]:
        raise ValueError(
            f"exemplar masks are {exemplars.masks.shape[-2:]}, world images {world.glyph_mask.shape[-2:]}"
        )
    gts = {c: concept_masks(world, c) for c in concepts}
    out: list[tuple[str | None, float]] = []
    for u in range(exemplars.n_units):
        m = exemplars.masks[u]
        best, best_iou = None, 0.0
        for c in concepts:
            g = gts[c][exemplars.indices[u]]
            union = (g | m).sum()
            iou = float((g & m).sum() / union) if union else 0.0
            if iou > best_iou:
                best, best_iou = c, iou
        out.append((best if best_iou >= min_iou else None, best_iou))
    return out


@contextlib.contextmanager
def ablate_units(model: nn.Module, layer: str, units: Sequence[int]) -> Iterator[nn.Module]:
    """Zero channels ``units`` of ``layer``'s output while the context is open; the hook is removed on exit.

    Parameters
    ----------
    model : torch.nn.Module
    layer : str
        Name of the submodule whose output [batch, units, ...] is edited.
    units : sequence of int
        Channel indices (non-negative; checked against the layer's width at the first forward pass).

    Yields
    ------
    torch.nn.Module
        ``model`` itself.

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 1), torch.nn.ReLU())
    >>> with ablate_units(net, "1", [0, 2]):
    ...     out = net(torch.rand(1, 3, 2, 2) + 1)
    >>> float(out[:, [0, 2]].abs().sum())
    0.0
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    target = get_layer(model, layer)
    if isinstance(units, str | bytes) or not isinstance(units, Sequence | np.ndarray):
        raise TypeError(f"units must be a sequence of channel indices, got {type(units).__name__}")
    chosen = [check_int(f"units[{i}]", u, minimum=0) for i, u in enumerate(units)]
    idx = torch.as_tensor(chosen, dtype=torch.int64)

    def hook(_m: nn.Module, _i: Any, out: torch.Tensor) -> torch.Tensor:
        if not isinstance(out, torch.Tensor) or out.ndim < 2:
            raise ValueError(f"layer {layer!r} output must be a [batch, units, ...] tensor")
        if chosen and max(chosen) >= out.shape[1]:
            raise ValueError(f"units must lie in [0, {out.shape[1]}), got {max(chosen)}")
        out = out.clone()
        out[:, idx.to(out.device)] = 0
        return out

    handle = target.register_forward_hook(hook)
    try:
        yield model
    finally:
        handle.remove()
