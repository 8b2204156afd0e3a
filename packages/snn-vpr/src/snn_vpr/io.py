"""Saving and loading trained networks: arrays plus JSON metadata in one ``.npz`` file, never pickle.

The file is a zip archive of uncompressed ``.npy`` members (what ``np.savez`` writes) plus a ``meta`` member
holding UTF-8 JSON: the format name and version, the package version, the constructor arguments, the
:class:`~snn_vpr.network.DiehlCookParams` and the shapes of every array. Reading never unpickles anything and
checks every member against the metadata *before* allocating it: the member must be stored uncompressed, its
``.npy`` header must declare exactly the dtype and shape the metadata implies, and its size in the archive must
match; anything else (an unknown format version, a pickle, an object array, a truncated or oversized member, a
missing or extra member) raises :class:`NetworkFileError` naming the file and the problem.

Files are written atomically: a temporary file in the same folder (created with the permissions the umask
allows), flushed and synced, then renamed over the target; the temporary file is removed on any failure.
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

__all__ = ["FORMAT", "FORMAT_VERSION", "NetworkFileError", "load_network", "save_network"]

#: format name stored in every network file
FORMAT = "snn-vpr/modular-snn"
#: the format version this package writes and reads
FORMAT_VERSION = 1
#: largest metadata member read (bytes)
_META_MAX = 1 << 20


class NetworkFileError(ValueError):
    """A network file cannot be read: not an snn-vpr network file, an unknown version, or inconsistent content."""


# ---------------------------------------------------------------------------------------------------- writing


def _atomic_write(path: Path, data: bytes) -> None:
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise FileNotFoundError(f"folder {str(parent)!r} of {str(path)!r} does not exist")
    if path.is_dir():
        raise IsADirectoryError(f"{str(path)!r} is a directory, expected a file path")
    for k in range(1000):
        tmp = parent / f".{path.name}.{os.getpid()}.{k}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # umask applies
        except FileExistsError:
            continue
        break
    else:  # pragma: no cover
        raise FileExistsError(f"cannot create a temporary file next to {str(path)!r}")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if tmp.exists():
            tmp.unlink()
        raise


def _model_args(net: Any) -> dict[str, Any]:
    from snn_vpr.model import DiehlCookModule

    args = {
        "region_size": int(net.region_size),
        "n_e": int(net.n_e),
        "epochs": int(net.epochs),
        "threshold": int(net.threshold_),
        "warm_start": bool(net.warm_start),
        "seed": int(net.seed),
        "hyperactive_count": str(getattr(net, "hyperactive_count", "images")),
        "engine": str(getattr(net, "engine", "auto")),
    }
    if isinstance(net, DiehlCookModule):
        args["n_in"] = int(net.n_in)
    return args


def save_network(net: Any, path: str | os.PathLike[str]) -> Path:
    """Write a fitted :class:`~snn_vpr.model.ModularSNN` (or :class:`~snn_vpr.model.DiehlCookModule`) to ``path``.

    The file holds everything :meth:`~snn_vpr.model.ModularSNN.predict_scores` needs (weights, thresholds,
    delays, neuron assignments, the reference responses of the hyperactivity rule, the calibrated threshold)
    and the state of the network's random generator, so a loaded network answers exactly like the saved one.
    Written as given (no suffix is added), atomically.
    """
    from snn_vpr import __version__
    from snn_vpr.model import DiehlCookModule, ModularSNN

    if not isinstance(net, ModularSNN):
        raise TypeError(f"net must be a ModularSNN or DiehlCookModule, got {type(net).__name__}")
    net._check_fitted()
    bank = net.bank_
    gen_state = bank.gen.get_state().cpu().numpy().astype(np.uint8)
    arrays: dict[str, NDArray[Any]] = {
        "w": bank.w.detach().cpu().numpy().astype(np.float32),
        "theta": bank.theta.detach().cpu().numpy().astype(np.float32),
        "delay_steps": bank.delay_steps.detach().cpu().numpy().astype(np.int16),
        "assignments": np.asarray(net.assignments_, dtype=np.int64),
        "region_sizes": np.array([len(r) for r in net.regions_], dtype=np.int64),
        "places": np.asarray(net.places_, dtype=np.int64),
        "reference_responses": np.asarray(net.reference_responses_, dtype=np.float32),
        "reference_place_ids": np.asarray(net.reference_place_ids_, dtype=np.int64),
        "generator_state": gen_state,
    }
    calibration = getattr(net, "calibration_", None)
    meta = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "snn_vpr_version": __version__,
        "class": "DiehlCookModule" if isinstance(net, DiehlCookModule) else "ModularSNN",
        "model": _model_args(net),
        "params": {f.name: getattr(net.params, f.name) for f in fields(net.params)},
        "n_modules": int(bank.n_modules),
        "n_in": int(bank.n_in),
        "n_places": int(arrays["places"].size),
        "n_reference": int(arrays["reference_place_ids"].size),
        "generator_device": bank.gen.device.type,
        "generator_state_bytes": int(gen_state.size),
        "threads": bank.threads,
        "calibration": None if calibration is None else [[int(t), float(r)] for t, r in calibration.items()],
    }
    buf = io.BytesIO()
    members: dict[str, Any] = {
        "meta": np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
        **arrays,
    }
    np.savez(buf, **members)
    target = Path(path)
    _atomic_write(target, buf.getvalue())
    return target


# ---------------------------------------------------------------------------------------------------- reading


def _fail(path: Path, what: str) -> NetworkFileError:
    return NetworkFileError(f"{str(path)!r} is not a readable snn-vpr network file: {what}")


def _read_member(
    zf: zipfile.ZipFile, path: Path, name: str, dtype: np.dtype[Any], shape: tuple[int, ...]
) -> NDArray[Any]:
    """Read member ``name.npy`` after checking that it is stored as an uncompressed array of ``dtype``/``shape``."""
    try:
        info = zf.getinfo(name + ".npy")
    except KeyError:
        raise _fail(path, f"member {name!r} is missing") from None
    if info.compress_type != zipfile.ZIP_STORED or info.file_size != info.compress_size:
        raise _fail(path, f"member {name!r} is compressed (network files store arrays uncompressed)")
    nbytes = math.prod(shape) * dtype.itemsize
    with zf.open(info) as fh:
        try:
            major, minor = np.lib.format.read_magic(fh)
            if (major, minor) == (1, 0):
                hshape, fortran, hdtype = np.lib.format.read_array_header_1_0(fh)
            elif (major, minor) in ((2, 0), (3, 0)):
                hshape, fortran, hdtype = np.lib.format.read_array_header_2_0(fh)
            else:
                raise ValueError(f"unknown .npy version {major}.{minor}")
        except ValueError as exc:
            raise _fail(path, f"member {name!r} has no valid .npy header ({exc})") from None
        if hdtype != dtype or tuple(hshape) != shape or fortran:
            raise _fail(
                path,
                f"member {name!r} is {hdtype} {tuple(hshape)}{' (Fortran order)' if fortran else ''}, "
                f"the metadata implies {dtype} {shape}",
            )
        if info.file_size - fh.tell() != nbytes:
            raise _fail(
                path, f"member {name!r} holds {info.file_size - fh.tell()} data bytes, expected {nbytes}"
            )
        data = fh.read(nbytes)
    if len(data) != nbytes:
        raise _fail(path, f"member {name!r} is truncated")
    return np.frombuffer(data, dtype=dtype).reshape(shape).copy()


def _req(meta: dict[str, Any], path: Path, key: str, kind: type | tuple[type, ...]) -> Any:
    if key not in meta:
        raise _fail(path, f"metadata has no {key!r}")
    v = meta[key]
    if (
        isinstance(v, bool)
        and kind is not bool
        and bool not in (kind if isinstance(kind, tuple) else (kind,))
    ):
        raise _fail(path, f"metadata {key!r} must be {kind}, got {v!r}")
    if not isinstance(v, kind):
        raise _fail(path, f"metadata {key!r} must be {kind}, got {type(v).__name__}")
    return v


def _positive(meta: dict[str, Any], path: Path, key: str, minimum: int = 1) -> int:
    v = _req(meta, path, key, int)
    if v < minimum:
        raise _fail(path, f"metadata {key!r} must be >= {minimum}, got {v}")
    return int(v)


def load_network(path: str | os.PathLike[str], device: str | torch.device = "cpu") -> Any:
    """Read a network written by :func:`save_network` (nothing is unpickled or executed).

    Parameters
    ----------
    path : str or path-like
    device : str or torch.device
        Where the loaded network simulates (default CPU).

    Returns
    -------
    ModularSNN or DiehlCookModule

    Raises
    ------
    NetworkFileError
        (a ``ValueError``) if the file is not an snn-vpr network file, has another format version, or its
        content is inconsistent.
    FileNotFoundError
        If there is no file at ``path``.
    """
    from snn_vpr.model import DiehlCookModule, ModularSNN
    from snn_vpr.network import DiehlCookParams, ModuleBank

    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no network file at {str(p)!r}")
    try:
        zf = zipfile.ZipFile(p)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _fail(p, f"not an .npz (zip) archive ({exc})") from None
    with zf:
        try:
            info = zf.getinfo("meta.npy")
        except KeyError:
            raise _fail(p, "no 'meta' member (not written by snn-vpr)") from None
        if info.file_size > _META_MAX:
            raise _fail(p, f"metadata member is {info.file_size} bytes (limit {_META_MAX})")
        try:
            with zf.open(info) as fh:
                major, minor = np.lib.format.read_magic(fh)
                reader = (
                    np.lib.format.read_array_header_1_0
                    if (major, minor) == (1, 0)
                    else np.lib.format.read_array_header_2_0
                )
                mshape, _, mdtype = reader(fh)
                if mdtype != np.dtype(np.uint8) or len(mshape) != 1:
                    raise ValueError(f"metadata member is {mdtype} {mshape}, expected uint8 bytes")
                raw = fh.read(int(mshape[0]))
            meta = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError, zipfile.BadZipFile, EOFError) as exc:
            raise _fail(p, f"unreadable metadata ({exc})") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            fmt = meta.get("format") if isinstance(meta, dict) else None
            raise _fail(p, f"format is {fmt!r}, expected {FORMAT!r}")
        version = meta.get("version")
        if version != FORMAT_VERSION:
            raise NetworkFileError(
                f"{str(p)!r} is snn-vpr network format version {version!r}; this snn-vpr reads version "
                f"{FORMAT_VERSION} only (a newer file needs a newer snn-vpr)"
            )
        cls_name = _req(meta, p, "class", str)
        if cls_name not in ("ModularSNN", "DiehlCookModule"):
            raise _fail(p, f"unknown network class {cls_name!r}")
        model = _req(meta, p, "model", dict)
        prm = _req(meta, p, "params", dict)
        known = {f.name for f in fields(DiehlCookParams)}
        if set(prm) != known:
            raise _fail(p, f"params fields differ from DiehlCookParams: {sorted(set(prm) ^ known)}")
        try:
            params = DiehlCookParams(**prm)
        except (TypeError, ValueError) as exc:
            raise _fail(p, f"invalid params ({exc})") from None
        m = _positive(meta, p, "n_modules")
        n_in = _positive(meta, p, "n_in")
        n_places = _positive(meta, p, "n_places")
        n_ref = _positive(meta, p, "n_reference")
        n_gen = _positive(meta, p, "generator_state_bytes")
        n_e = _positive(model, p, "n_e", 2)
        names = {"meta.npy"} | {
            k + ".npy"
            for k in (
                "w",
                "theta",
                "delay_steps",
                "assignments",
                "region_sizes",
                "places",
                "reference_responses",
                "reference_place_ids",
                "generator_state",
            )
        }
        extra = set(zf.namelist()) - names
        if extra:
            raise _fail(p, f"unexpected members {sorted(extra)}")
        f32, i64 = np.dtype(np.float32), np.dtype(np.int64)
        w = _read_member(zf, p, "w", f32, (m, n_in, n_e))
        theta = _read_member(zf, p, "theta", f32, (m, n_e))
        delays = _read_member(zf, p, "delay_steps", np.dtype(np.int16), (m, n_in, n_e))
        assignments = _read_member(zf, p, "assignments", i64, (m, n_e))
        sizes = _read_member(zf, p, "region_sizes", i64, (m,))
        places = _read_member(zf, p, "places", i64, (n_places,))
        ref = _read_member(zf, p, "reference_responses", f32, (n_ref, m * n_e))
        ref_ids = _read_member(zf, p, "reference_place_ids", i64, (n_ref,))
        gen_state = _read_member(zf, p, "generator_state", np.dtype(np.uint8), (n_gen,))

    # ---- content checks
    if not (np.all(np.isfinite(w)) and w.min() >= 0.0 and w.max() <= params.w_max):
        raise _fail(p, f"weights must be finite and in [0, w_max={params.w_max}]")
    if not np.all(np.isfinite(theta)):
        raise _fail(p, "theta must be finite")
    if delays.min() < 0 or delays.max() > params.delay_steps_max:
        raise _fail(p, f"delay steps must be in [0, {params.delay_steps_max}] for these params")
    if sizes.min() < 1 or int(sizes.sum()) != n_places:
        raise _fail(p, "region sizes must be positive and add up to the number of places")
    if places.min() < 0 or np.unique(places).size != n_places:
        raise _fail(p, "places must be distinct non-negative IDs")
    regions = np.split(places, np.cumsum(sizes)[:-1])
    for k, reg in enumerate(regions):
        bad = ~np.isin(assignments[k], np.concatenate([reg, [-1]]))
        if bad.any():
            raise _fail(p, f"module {k} assigns neurons to places outside its region")
    if not (np.all(np.isfinite(ref)) and ref.min() >= 0):
        raise _fail(p, "reference responses must be finite spike counts >= 0")
    if ref_ids.min() < 0:
        raise _fail(p, "reference place IDs must be >= 0")

    try:
        if cls_name == "DiehlCookModule":
            n_in_mod = _positive(model, p, "n_in")
            net: ModularSNN = DiehlCookModule(
                n_in=n_in_mod,
                n_e=n_e,
                epochs=_positive(model, p, "epochs"),
                params=params,
                seed=_req(model, p, "seed", int),
                device=device,
            )
        else:
            net = ModularSNN(
                region_size=_positive(model, p, "region_size"),
                n_e=n_e,
                epochs=_positive(model, p, "epochs"),
                params=params,
                threshold=_req(model, p, "threshold", int),
                warm_start=_req(model, p, "warm_start", bool),
                seed=_req(model, p, "seed", int),
                device=device,
                hyperactive_count=_req(model, p, "hyperactive_count", str),
                engine=_req(model, p, "engine", str),
            )
        net.threshold_ = _req(model, p, "threshold", int)
        if net.threshold_ < 0:
            raise ValueError("threshold must be >= 0")
    except (TypeError, ValueError) as exc:
        if isinstance(exc, NetworkFileError):
            raise
        raise _fail(p, f"invalid model arguments ({exc})") from None
    threads = meta.get("threads", 1)
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
        raise _fail(p, f"threads must be a positive integer or null, got {threads!r}")
    bank = ModuleBank(m, n_in, n_e, params, seed=net.seed, device=device, threads=threads)
    bank.w = torch.from_numpy(w).to(bank.device)
    bank.theta = torch.from_numpy(theta).to(bank.device)
    bank.delay_steps = torch.from_numpy(delays).to(bank.device)
    if bank.delays:
        bank._index_delays()
    if meta.get("generator_device") == bank.gen.device.type:
        try:
            bank.gen.set_state(torch.from_numpy(gen_state))
        except RuntimeError as exc:
            raise _fail(p, f"invalid generator state ({exc})") from None
    net.bank_ = bank
    net.n_in_ = n_in
    net.regions_ = regions
    net.places_ = places
    net.assignments_ = assignments
    net.reference_responses_ = ref
    net.reference_place_ids_ = ref_ids
    cal = meta.get("calibration")
    if cal is not None:
        if not isinstance(cal, list) or not all(
            isinstance(x, list) and len(x) == 2 and isinstance(x[0], int) and isinstance(x[1], int | float)
            for x in cal
        ):
            raise _fail(p, "calibration must be a list of [threshold, recall] pairs")
        net.calibration_ = {int(t): float(r) for t, r in cal}
    return net
