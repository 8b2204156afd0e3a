"""Input pipeline: grey, resize, patch normalisation and the uint8 mapping (Hussaini et al. 2023, Sec. III-A).

``process_image`` follows the reference order: resize, convert to grey, patch-normalise with a k x k window
padded with NaN (border windows use only real pixels), population standard deviation (ddof = 0), NaN (constant
windows) -> 0, clip to [-1, 1], then ``uint8(255 * (1 + z) / 2)`` with truncation toward zero.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike, NDArray
from PIL import Image

from neurotypes import Stimulus

__all__ = ["patch_normalise", "process_image", "process_images", "to_grey"]


def _as_image(name: str, img: ArrayLike) -> NDArray[np.float64]:
    arr = np.asarray(img)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (3, 4)):
        raise ValueError(f"{name} must be [H, W] (grey) or [H, W, 3|4] (colour), got shape {arr.shape}")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    out = arr.astype(np.float64)
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{name} must hold finite values")
    return out


def to_grey(img: ArrayLike) -> NDArray[np.float64]:
    """Grey values of an ``[H, W]`` or ``[H, W, 3|4]`` image (ITU-R 601 luma, the weights cv2 and PIL use)."""
    arr = _as_image("img", img)
    if arr.ndim == 2:
        return arr
    return arr[..., 0] * 0.299 + arr[..., 1] * 0.587 + arr[..., 2] * 0.114


def patch_normalise(img: ArrayLike, k: int = 7) -> NDArray[np.float64]:
    """Patch-normalise a grey image: ``z = (x - nanmean(window)) / nanstd(window)``, clipped to [-1, 1].

    Parameters
    ----------
    img : array_like, shape (H, W)
        Grey image.
    k : int
        Odd window size (7 in the paper). The image is padded with NaN, so border windows use only real pixels.

    Returns
    -------
    ndarray of float64, shape (H, W), values in [-1, 1]; constant windows give 0.

    Raises
    ------
    ValueError
        If ``img`` is not 2-D or ``k`` is not a positive odd integer.
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1 or k % 2 == 0:
        raise ValueError(f"k must be a positive odd integer, got {k!r}")
    x = _as_image("img", img)
    if x.ndim != 2:
        raise ValueError(f"img must be a grey [H, W] image, got shape {x.shape}")
    h = (k - 1) // 2
    padded = np.pad(x, h, mode="constant", constant_values=np.nan)
    windows = sliding_window_view(padded, (k, k))  # [H, W, k, k]
    valid = ~np.isnan(windows)
    n = valid.sum(axis=(2, 3))
    filled = np.where(valid, windows, 0.0)
    mu = filled.sum(axis=(2, 3)) / n
    var = (np.where(valid, windows - mu[..., None, None], 0.0) ** 2).sum(axis=(2, 3)) / n  # ddof = 0
    sd = np.sqrt(var)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (x - mu) / sd
    z[~np.isfinite(z)] = 0.0
    return np.asarray(np.clip(z, -1.0, 1.0), dtype=np.float64)


def _resize(grey: NDArray[np.float64], size: int) -> NDArray[np.float64]:
    if grey.shape == (size, size):
        return grey
    im = Image.fromarray(grey.astype(np.float32), mode="F")
    return np.asarray(im.resize((size, size), Image.Resampling.BILINEAR), dtype=np.float64)


def process_image(img: ArrayLike, size: int = 28, k: int = 7) -> NDArray[np.uint8]:
    """The full input pipeline for one image: grey, resize to ``size`` x ``size``, patch-normalise, uint8.

    Resizing uses PIL's bilinear filter (the reference uses OpenCV; pixels differ slightly, so parity checks
    must feed an image that is already ``size`` x ``size``). The uint8 mapping truncates ``255 (1 + z) / 2``.
    """
    if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 1:
        raise ValueError(f"size must be a positive integer, got {size!r}")
    grey = _resize(to_grey(img), int(size))
    z = patch_normalise(grey, k)
    return (255.0 * (1.0 + z) / 2.0).astype(np.uint8)


def process_images(
    images: Sequence[ArrayLike] | NDArray[np.generic] | Stimulus, size: int = 28, k: int = 7
) -> NDArray[np.uint8]:
    """Apply :func:`process_image` to a stack of images that all share one shape.

    Raises
    ------
    ValueError
        If the images differ in size (the error names the first offending index) or the stack is empty.
    """
    frames = images.frames if isinstance(images, Stimulus) else images
    seq = list(frames) if not isinstance(frames, np.ndarray) else [frames[i] for i in range(frames.shape[0])]
    if not seq:
        raise ValueError("images must hold at least one image")
    shape0 = np.shape(seq[0])
    for i, im in enumerate(seq):
        if np.shape(im) != shape0:
            raise ValueError(
                f"images must all have the same size: image 0 is {shape0}, image {i} is {np.shape(im)}"
            )
    out = []
    for i, im in enumerate(seq):
        try:
            out.append(process_image(im, size, k))
        except (ValueError, TypeError) as e:
            raise type(e)(f"images[{i}]: {e}") from None
    return np.stack(out)
