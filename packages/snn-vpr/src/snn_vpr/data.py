"""Data: the synthetic traverse generator (default), and loaders for image folders laid out as traverses."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray
from PIL import Image

from neurotypes import Stimulus
from neurotypes.validation import check_int, check_path

__all__ = [
    "NORDLAND_EXPECTED",
    "PlaceDataset",
    "load_image_folders",
    "load_traverses",
    "read_name_list",
    "select_every_nth",
    "synthetic_traverses",
]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


@dataclass(frozen=True, eq=False)
class PlaceDataset:
    """Images of places along traverses.

    Attributes
    ----------
    images : ndarray, shape (N, H, W) or (N, H, W, C)
        Raw (unprocessed) images, grey values in [0, 1] for the synthetic data, as read for folders.
    place_id : ndarray of int, shape (N,)
    traverse : ndarray of str, shape (N,)
    """

    images: NDArray[np.float64]
    place_id: NDArray[np.int64]
    traverse: NDArray[np.str_]

    def __post_init__(self) -> None:
        imgs = np.asarray(self.images)
        if imgs.ndim not in (3, 4) or imgs.shape[0] == 0:
            raise ValueError(f"images must be a non-empty [N, H, W(, C)] stack, got shape {imgs.shape}")
        pid, trav = np.asarray(self.place_id), np.asarray(self.traverse)
        if pid.shape != (imgs.shape[0],) or trav.shape != (imgs.shape[0],):
            raise ValueError(
                f"place_id and traverse need one entry per image: {pid.shape}, {trav.shape} for {imgs.shape[0]} images"
            )
        if not np.issubdtype(pid.dtype, np.integer) or pid.min() < 0:
            raise ValueError("place_id must hold non-negative integers")
        object.__setattr__(self, "images", imgs)
        object.__setattr__(self, "place_id", pid.astype(np.int64))
        object.__setattr__(self, "traverse", trav.astype(str))

    def select(self, *traverses: str) -> PlaceDataset:
        """The images of the named traverses, in the order given (then by position)."""
        missing = [t for t in traverses if t not in set(self.traverse.tolist())]
        if missing:
            raise ValueError(f"unknown traverse(s) {missing}; have {sorted(set(self.traverse.tolist()))}")
        idx = np.concatenate([np.flatnonzero(self.traverse == t) for t in traverses])
        return PlaceDataset(self.images[idx], self.place_id[idx], self.traverse[idx])

    def to_stimulus(self, rate: float = 1.0 / 0.5) -> Stimulus:
        """Images as a :class:`neurotypes.Stimulus` (default rate: one image per 350 + 150 ms)."""
        return Stimulus(self.images, rate=rate)

    def __len__(self) -> int:
        return int(self.images.shape[0])


def _smooth_texture(rng: np.random.Generator, size: int, n_blobs: int = 12) -> NDArray[np.float64]:
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    img = np.zeros((size, size))
    for _ in range(n_blobs):
        cy, cx = rng.uniform(0, size, 2)
        sig = rng.uniform(size / 16, size / 5)
        amp = rng.uniform(-1, 1)
        img += amp * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * sig**2))
    img -= img.min()
    return np.asarray(img / max(img.max(), 1e-12), dtype=np.float64)


def _appearance_change(
    rng: np.random.Generator, img: NDArray[np.float64], strength: float
) -> NDArray[np.float64]:
    size = img.shape[0]
    out = img
    if strength > 0:
        gamma = rng.uniform(0.6, 1.6)
        contrast = rng.uniform(0.5, 1.0)
        out = contrast * out**gamma
        yy, xx = np.mgrid[0:size, 0:size] / (size - 1)
        ang = rng.uniform(0, 2 * np.pi)
        gradient = 0.4 * (np.cos(ang) * (xx - 0.5) + np.sin(ang) * (yy - 0.5))
        out = out + gradient + rng.uniform(-0.2, 0.2)
        dy, dx = rng.integers(-2, 3, size=2)
        out = np.roll(out, (int(dy), int(dx)), axis=(0, 1))
        out = out + rng.normal(0, 0.05, out.shape)
    return np.clip(out, 0.0, 1.0)


def synthetic_traverses(
    P: int = 40,
    size: int = 64,
    seed: int = 0,
    traverses: Sequence[str] = ("ref_a", "ref_b", "query", "calibration"),
) -> PlaceDataset:
    """Synthetic traverses of ``P`` places: smooth random textures (sums of Gaussian blobs), ``size`` x ``size``.

    Traverses whose name starts with ``ref`` add mild noise (sigma 0.02). The others (query, calibration) apply
    an appearance change: gamma and contrast change, a global illumination gradient and offset, a random
    +-2 px shift and Gaussian noise sigma 0.05, each drawn independently per image. Ground truth is the
    identity (image ``i`` of every traverse shows place ``i``).
    """
    if isinstance(P, bool) or not isinstance(P, int | np.integer) or P < 1:
        raise ValueError(f"P must be a positive integer, got {P!r}")
    if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 8:
        raise ValueError(f"size must be an integer >= 8, got {size!r}")
    if not traverses:
        raise ValueError("traverses must name at least one traverse")
    rng = np.random.default_rng(seed)
    base = [_smooth_texture(rng, int(size)) for _ in range(P)]
    images, pid, trav = [], [], []
    for t in traverses:
        trng = np.random.default_rng([int(seed), sum(ord(c) * 31**i for i, c in enumerate(t)) % (2**31)])
        for i, b in enumerate(base):
            if t.startswith("ref"):
                images.append(np.clip(b + trng.normal(0, 0.02, b.shape), 0, 1))
            else:
                images.append(_appearance_change(trng, b, 1.0))
            pid.append(i)
            trav.append(t)
    return PlaceDataset(np.stack(images), np.asarray(pid), np.asarray(trav))


# --------------------------------------------------------------------------- real data
#: Nordland after the reference's preprocessing: frames below 15 km/h removed (VPRSNN's image-name list),
#: then every 8th frame (~100 m): 3300 places, 600 for calibration and 2700 for test.
NORDLAND_EXPECTED = {"places": 3300, "calibration": 600, "test": 2700, "skip": 8}


def read_name_list(path: str | Path) -> list[int]:
    """Frame indices from a VPRSNN-style image-name list (one file name per line; the digits give the index)."""
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"name list {p} is not a file")
    out = []
    for n, line in enumerate(p.read_text().splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        digits = "".join(re.findall(r"\d", line))
        if not digits:
            raise ValueError(f"name list {p}, line {n}: no frame number in {line!r}")
        out.append(int(digits))
    return out


def select_every_nth(indices: Sequence[int], skip: int = 8, offset: int = 0) -> list[int]:
    """Every ``skip``-th entry of the (speed-filtered) frame indices, starting at ``offset``."""
    skip = check_int("skip", skip, minimum=1)
    offset = check_int("offset", offset, minimum=0)
    return list(indices)[offset::skip]


def _read_image(path: Path) -> NDArray[np.float64]:
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("L"), dtype=np.float64) / 255.0
    except OSError as e:
        raise ValueError(f"cannot read image {path}: {e}") from e


def load_image_folders(
    root: str | Path,
    reference: Sequence[str] = ("spring", "fall"),
    query: Sequence[str] = ("summer",),
    frames: Sequence[int] | None = None,
    skip: int = 1,
    offset: int = 0,
    n_places: int | None = None,
) -> PlaceDataset:
    """Load traverses laid out as ``root/<traverse>/<image files>`` (Nordland / VPRTempo style).

    Files are sorted by name in each folder; frame ``k`` of every traverse shows the same place (Nordland's
    frame alignment). ``frames`` (e.g. from :func:`read_name_list`: the frames kept by the 15 km/h filter)
    selects frames by position, then every ``skip``-th from ``offset`` is kept, then the first ``n_places``.
    Place ``i`` is the ``i``-th kept frame. Images are read as grey in [0, 1].

    Parameters
    ----------
    root : str or path
        Folder holding one sub-folder per traverse.
    reference, query : sequence of str
        Names of the reference and query traverse folders under ``root``.
    frames, skip, offset, n_places
        Frame selection (see above).

    Returns
    -------
    PlaceDataset
        Images of all traverses (``traverse`` holds the folder names).

    Raises
    ------
    ValueError
        If a folder is missing or empty, traverses hold different numbers of images, an image cannot be read,
        or images differ in size.

    Examples
    --------
    >>> d = load_image_folders("nordland", ("spring", "fall"), ("summer",), skip=8)  # doctest: +SKIP
    """
    root = check_path("root", root, must_exist=False, kind="any")
    names = list(reference) + list(query)
    if not names:
        raise ValueError("reference and query must name at least one traverse folder")
    return load_traverses([root / t for t in names], frames, skip, offset, n_places)


def load_traverses(
    folders: Sequence[str | Path],
    frames: Sequence[int] | None = None,
    skip: int = 1,
    offset: int = 0,
    n_places: int | None = None,
) -> PlaceDataset:
    """Load frame-aligned traverses, one folder of images each (PNG, JPEG, ...; sorted by file name).

    Parameters
    ----------
    folders : sequence of str or path
        One folder per traverse; each holds the same number of images, frame ``k`` of every folder showing the
        same place. The traverse label of each image is its folder's name.
    frames : sequence of int, optional
        Frame positions to keep (e.g. the frames of a speed-filtered name list, :func:`read_name_list`).
    skip, offset : int
        Then keep every ``skip``-th frame from ``offset``.
    n_places : int, optional
        Then keep the first ``n_places`` frames.

    Returns
    -------
    PlaceDataset
        Grey images in [0, 1], place ``i`` = the ``i``-th kept frame.

    Raises
    ------
    ValueError
        If a folder does not exist or holds no images (the message names it), folders hold different numbers
        of images, an image cannot be read or sizes differ, or the selection is empty or out of range.
    TypeError
        If ``folders`` is not a sequence of paths.

    Examples
    --------
    >>> d = load_traverses(["nordland/spring", "nordland/fall"])  # doctest: +SKIP
    """
    if isinstance(folders, str | Path) or not isinstance(folders, Sequence):
        raise TypeError(f"folders must be a sequence of folder paths, got {type(folders).__name__}")
    if not folders:
        raise ValueError("folders must name at least one traverse folder")
    skip = check_int("skip", skip, minimum=1)
    offset = check_int("offset", offset, minimum=0)
    if n_places is not None:
        n_places = check_int("n_places", n_places, minimum=1)
    lists: dict[str, list[Path]] = {}
    for raw in folders:
        d = check_path("folders", raw, must_exist=False, kind="any")
        if not d.exists():
            raise ValueError(f"traverse folder {d} does not exist")
        if not d.is_dir():
            raise ValueError(f"{d} is not a folder of images (a traverse is a folder, one image per frame)")
        files = sorted(f for f in d.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise ValueError(f"traverse folder {d} holds no images ({', '.join(IMAGE_SUFFIXES)})")
        if d.name in lists:
            raise ValueError(f"two traverse folders are named {d.name!r}: names label the traverses")
        lists[d.name] = files
    names = list(lists)
    counts = {t: len(f) for t, f in lists.items()}
    if len(set(counts.values())) != 1:
        raise ValueError(f"traverses must hold the same number of frames (aligned places), got {counts}")
    n = next(iter(counts.values()))
    idx = list(range(n)) if frames is None else [int(i) for i in frames]
    bad = [i for i in idx if not 0 <= i < n]
    if bad:
        raise ValueError(f"frames must index the {n} images of each traverse, got out-of-range {bad[:5]}")
    idx = select_every_nth(idx, skip, offset)
    if n_places is not None:
        idx = idx[:n_places]
    if not idx:
        raise ValueError("no frames left after frames / skip / offset / n_places selection")
    images, pid, trav = [], [], []
    shape: tuple[int, ...] | None = None
    first: Path | None = None
    for t in names:
        for place, i in enumerate(idx):
            img = _read_image(lists[t][i])
            if shape is None:
                shape, first = img.shape, lists[t][i]
            elif img.shape != shape:
                raise ValueError(
                    f"images must all have the same size: {first} is {shape}, {lists[t][i]} is {img.shape}"
                )
            images.append(img)
            pid.append(place)
            trav.append(t)
    return PlaceDataset(np.stack(images), np.asarray(pid), np.asarray(trav))


def as_array(x: ArrayLike) -> NDArray[np.float64]:
    """Float array view (helper for loaders)."""
    return np.asarray(x, dtype=np.float64)
