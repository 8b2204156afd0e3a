"""Readers for FISBe data: zarr groups (``volumes/raw``, ``volumes/gt_instances``), HDF5 and TIFF.

Label volumes are read slab by slab along Z straight into :class:`~fisbe_bench.labels.SparseLabels`,
so a full 400 x 700 x 700 x C FISBe volume never sits in memory densely.  zarr and h5py are
dependencies of the package; TIFF needs ``tifffile`` (extra ``[tif]``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from neurotypes import atomic_write_bytes

from .labels import SparseLabels, as_sparse, check_ndim

__all__ = [
    "GT_KEY",
    "RAW_KEY",
    "FisbeSample",
    "atomic_write_text",
    "find_pairs",
    "read_dim_neurons",
    "read_fisbe_zarr",
    "read_labels",
]

GT_KEY = "volumes/gt_instances"
RAW_KEY = "volumes/raw"
HDF_SUFFIXES = (".hdf", ".h5", ".hdf5")
TIF_SUFFIXES = (".tif", ".tiff")


def _need(module: str, extra: str) -> Any:
    try:
        return __import__(module)
    except ImportError as err:  # pragma: no cover - exercised only without the extra
        raise ImportError(f"reading this file needs {module}: pip install 'fisbe-bench[{extra}]'") from err


def _kind(path: Path) -> str:
    name = path.name.lower().rstrip("/")
    if name.endswith(".zarr") or (path.is_dir() and (path / ".zgroup").exists()):
        return "zarr"
    if name.endswith(HDF_SUFFIXES):
        return "hdf5"
    if name.endswith(TIF_SUFFIXES):
        return "tif"
    raise ValueError(
        f"path must be a .zarr folder, an HDF5 (.hdf/.h5/.hdf5) or a TIFF (.tif/.tiff) file: {path}"
    )


def _sparse_from_slabs(arr: Any, name: str, slab_voxels: int = 2**25) -> SparseLabels:
    """Read a ZYX / CZYX array-like (zarr / h5py dataset) slab-wise into SparseLabels.

    Slabs are whole storage chunks along Z (each chunk is decompressed once) of about
    ``slab_voxels`` voxels.
    """
    shape = tuple(int(s) for s in arr.shape)
    dtype = np.dtype(arr.dtype)
    if dtype != np.bool_ and not np.issubdtype(dtype, np.integer):
        raise TypeError(f"{name} must hold integer instance ids (0 = background), got dtype {dtype}")
    if len(shape) == 3:
        n_ch, spatial = 1, shape
    elif len(shape) == 4:
        n_ch, spatial = shape[0], shape[1:]
    else:
        raise ValueError(f"{name} must be [Z, Y, X] or [C, Z, Y, X], got shape {shape}")
    z_n, y_n, x_n = spatial
    plane = y_n * x_n
    chunks = getattr(arr, "chunks", None)
    cz = int(chunks[-3]) if chunks else 1
    slab = max(cz, (slab_voxels // max(1, plane * n_ch)) // cz * cz)
    idx_parts: list[list[NDArray[np.int64]]] = [[] for _ in range(n_ch)]
    val_parts: list[list[NDArray[np.int64]]] = [[] for _ in range(n_ch)]
    for z0 in range(0, z_n, slab):
        z1 = min(z_n, z0 + slab)
        block = np.asarray(arr[z0:z1] if len(shape) == 3 else arr[:, z0:z1])
        if len(shape) == 3:
            block = block[np.newaxis]
        if np.issubdtype(block.dtype, np.signedinteger) and block.size and block.min() < 0:
            raise ValueError(f"{name} must hold non-negative instance ids, found {int(block.min())}")
        for c in range(n_ch):
            flat = block[c].reshape(-1)
            nz = np.flatnonzero(flat)
            idx_parts[c].append(nz.astype(np.int64) + z0 * plane)
            val_parts[c].append(flat[nz].astype(np.int64))
    return SparseLabels(
        (z_n, y_n, x_n),
        tuple(np.concatenate(p) if p else np.zeros(0, np.int64) for p in idx_parts),
        tuple(np.concatenate(p) if p else np.zeros(0, np.int64) for p in val_parts),
    )


def _read_array(arr: Any, name: str, ndim: int) -> SparseLabels:
    if ndim == 3:
        return _sparse_from_slabs(arr, name)
    return as_sparse(np.asarray(arr[...]), name, ndim)  # 2-D images are small: read whole


def read_labels(path: str | os.PathLike[str], key: str | None = None, *, ndim: int = 3) -> SparseLabels:
    """Read a label volume (``[Z, Y, X]`` or ``[C, Z, Y, X]``) or image from zarr, HDF5 or TIFF.

    Parameters
    ----------
    path : path
        ``.zarr`` group, ``.hdf``/``.h5``/``.hdf5`` file or ``.tif``/``.tiff`` file.
    key : str, optional
        Array inside a zarr group / HDF5 file (zarr default: ``volumes/gt_instances``).
        HDF5 files with a single dataset need no key.  Ignored for TIFF.
    ndim : {3, 2}
        Spatial dimensions: 3 reads ``[Z, Y, X]`` / ``[C, Z, Y, X]`` volumes, 2 reads ``[Y, X]`` /
        ``[C, Y, X]`` images.

    Raises
    ------
    FileNotFoundError, ValueError, TypeError
        Missing file, missing key / wrong layout, non-integer labels.
    """
    ndim = check_ndim(ndim)
    p = _existing(path, "path")
    if key is not None and not isinstance(key, str):
        raise TypeError(f"key must be a string, got {type(key).__name__}")
    kind = _kind(p)
    if kind == "zarr":
        group = _open_zarr(p)
        k = key or GT_KEY
        try:
            arr = group[k]
        except KeyError:
            raise ValueError(
                f"key {k!r} not found in zarr group {p} (FISBe layout: {GT_KEY}, {RAW_KEY})"
            ) from None
        if not hasattr(arr, "shape"):
            raise ValueError(f"key {k!r} in {p} is a group, not an array")
        return _read_array(arr, f"{p}:{k}", ndim)
    if kind == "hdf5":
        import h5py

        with _open_hdf5(p) as f:
            if key is None:
                names: list[str] = []
                f.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
                if len(names) != 1:
                    raise ValueError(f"key is required for HDF5 file {p} holding datasets {names}")
                key = names[0]
            if key not in f or not isinstance(f[key], h5py.Dataset):
                raise ValueError(f"key {key!r} is not a dataset in HDF5 file {p}")
            return _read_array(f[key], f"{p}:{key}", ndim)
    tifffile = _need("tifffile", "tif")
    try:
        image = tifffile.imread(str(p))
    except Exception as err:  # tifffile raises many kinds on a corrupt file
        raise ValueError(f"cannot read TIFF file {p}: {err}") from None
    return as_sparse(image, str(p), ndim)


def _existing(path: Any, name: str) -> Path:
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"{name} must be a path (str or os.PathLike), got {type(path).__name__}")
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{name} does not exist: {p}")
    return p


def _open_zarr(p: Path) -> Any:
    """Open a zarr group read-only; a folder that is not one is a ValueError naming it."""
    import zarr

    try:
        return zarr.open(str(p), mode="r")
    except Exception as err:  # zarr raises several kinds for a folder that is not a store
        raise ValueError(f"cannot read zarr store {p}: {err}") from None


def _open_hdf5(p: Path) -> Any:
    """Open an HDF5 file read-only; an unreadable file is a ValueError naming it (not an h5py traceback)."""
    import h5py

    try:
        return h5py.File(p, "r")
    except OSError as err:
        raise ValueError(f"cannot read HDF5 file {p}: {err}") from None


def read_dim_neurons(path: str | os.PathLike[str], key: str = "volumes/gt_instances") -> tuple[int, ...]:
    """The ``dim_neurons`` attribute of a FISBe zarr ground truth (empty for other files or without it).

    Raises
    ------
    FileNotFoundError, ValueError
        Missing path; unreadable zarr store.
    """
    p = _existing(path, "path")
    if _kind(p) != "zarr":
        return ()
    group = _open_zarr(p)
    try:
        node = group[key]
    except KeyError:
        return ()
    return tuple(int(v) for v in dict(node.attrs).get("dim_neurons", ()))


@dataclass(frozen=True)
class FisbeSample:
    """One FISBe image: ground truth (sparse), optional raw volume and metadata."""

    name: str
    gt: SparseLabels
    raw: NDArray[Any] | None = None
    dim_neurons: tuple[int, ...] = ()
    attrs: dict[str, Any] = field(default_factory=dict)

    def gt_instance_labels(self) -> Any:
        """The ground truth as a dense ``neurotypes.InstanceLabels`` (0.44 um isotropic voxels)."""
        from neurotypes import InstanceLabels

        dense = self.gt.to_dense()
        return InstanceLabels(labels=dense, voxel_size=(0.44, 0.44, 0.44))


def read_fisbe_zarr(
    path: str | os.PathLike[str], *, gt_key: str = GT_KEY, load_raw: bool = False
) -> FisbeSample:
    """Read a FISBe zarr group: ``volumes/gt_instances`` (C, Z, Y, X) and optionally ``volumes/raw``.

    Raises
    ------
    FileNotFoundError
        If the path does not exist.
    ValueError
        If the group lacks ``gt_key`` (or ``volumes/raw`` with ``load_raw=True``), or the raw
        volume's spatial shape differs from the GT's.
    """
    p = _existing(path, "path")
    if not isinstance(gt_key, str):
        raise TypeError(f"gt_key must be a string, got {type(gt_key).__name__}")
    import zarr

    try:
        group: Any = zarr.open_group(str(p), mode="r")
    except Exception:
        raise ValueError(f"{p} is not a zarr group (expected FISBe layout with {GT_KEY})") from None
    try:
        arr = group[gt_key]
    except KeyError:
        raise ValueError(
            f"zarr group {p} has no {gt_key!r} array (FISBe layout: {GT_KEY}, {RAW_KEY})"
        ) from None
    gt = _sparse_from_slabs(arr, f"{p}:{gt_key}")
    attrs = dict(arr.attrs)
    dim = tuple(int(v) for v in attrs.get("dim_neurons", ()))
    raw = None
    if load_raw:
        try:
            raw = np.asarray(group[RAW_KEY])
        except KeyError:
            raise ValueError(f"zarr group {p} has no {RAW_KEY!r} array") from None
        if tuple(raw.shape[-3:]) != gt.shape:
            raise ValueError(f"raw spatial shape {raw.shape[-3:]} differs from gt shape {gt.shape} in {p}")
    name = p.name[: -len(".zarr")] if p.name.endswith(".zarr") else p.name
    return FisbeSample(name=name, gt=gt, raw=raw, dim_neurons=dim, attrs=_plain(attrs))


def _plain(obj: Any) -> Any:
    return json.loads(json.dumps(obj, default=str))


def find_pairs(pred: str | os.PathLike[str], gt: str | os.PathLike[str]) -> list[tuple[Path, Path]]:
    """Pair prediction and GT files: single files, or folders matched by name stem.

    A prediction ``X.hdf`` (or ``X.zarr``, ``X.tif``) matches the GT ``X.zarr`` (or ``X.*``).

    Raises
    ------
    ValueError
        If folders are given and some prediction has no GT, or nothing matches.
    """
    pp, gp = _existing(pred, "pred"), _existing(gt, "gt")
    is_pred_dir = pp.is_dir() and not pp.name.endswith(".zarr")
    is_gt_dir = gp.is_dir() and not gp.name.endswith(".zarr")
    if not is_pred_dir:
        if is_gt_dir:
            stem = pp.name.split(".")[0]
            cands = sorted(q for q in gp.iterdir() if q.name.split(".")[0] == stem)
            if not cands:
                raise ValueError(f"no GT file named {stem}.* in {gp}")
            return [(pp, cands[0])]
        return [(pp, gp)]
    if not is_gt_dir:
        raise ValueError("gt must be a folder when pred is a folder")
    pairs = []
    gts = {q.name.split(".")[0]: q for q in sorted(gp.iterdir()) if not q.name.startswith(".")}
    for q in sorted(pp.iterdir()):
        if q.name.startswith("."):
            continue
        try:
            _kind(q)
        except ValueError:
            continue
        stem = q.name.split(".")[0]
        if stem not in gts:
            raise ValueError(f"prediction {q.name} has no GT named {stem}.* in {gp}")
        pairs.append((q, gts[stem]))
    if not pairs:
        raise ValueError(f"no prediction files (.zarr/.hdf/.h5/.tif) in {pp}")
    return pairs


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically, with the permissions the umask allows.

    Raises
    ------
    TypeError
        If ``text`` is not a string.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_bytes(p, text.encode("utf-8"))
