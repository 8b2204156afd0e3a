"""Default data: the synthetic SHD-like tasks, spike-train conversion, and loaders for the real SHD / NeuronIO files.

Nothing here downloads anything: the synthetic tasks are generated, and the loaders read files the user already
has (SHD / SSC HDF5 files from zenkelab.org, NeuronIO pickles from Kaggle). The NeuronIO pickles are read only
when the caller opts in (``allow_pickle=True``: unpickling a file can run any code in it); a file converted once
with :func:`save_neuronio` (arrays in an ``.npz`` archive, no pickle) loads without that risk.
"""

from __future__ import annotations

import os
import pickle
import secrets
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from neurotypes.validation import check_float, check_int, check_path, check_probability, check_rng

if TYPE_CHECKING:
    from neurotypes import SpikeTrains

__all__ = [
    "NeuronIOData",
    "neuronio",
    "read_recording",
    "save_neuronio",
    "shd",
    "shd_adding",
    "spike_prediction_windows",
    "synthetic_shd",
    "synthetic_shd_adding",
    "synthetic_shd_templates",
    "to_raster",
]

SHD_CHANNELS = 700


def synthetic_shd_templates(
    n_classes: int = 10, n_channels: int = 32, n_bins: int = 40, seed: int | np.random.Generator | None = 0
) -> np.ndarray:
    """Class templates: every class gives every channel a preferred spike time ``~ U(0, n_bins)`` (in bins).

    Returns
    -------
    numpy.ndarray
        ``[n_classes, n_channels]`` float64 preferred times.
    """
    n_classes = check_int("n_classes", n_classes, minimum=1)
    n_channels = check_int("n_channels", n_channels, minimum=1)
    n_bins = check_int("n_bins", n_bins, minimum=1)
    return check_rng(seed).uniform(0.0, n_bins, size=(n_classes, n_channels))


def _render(
    templates: np.ndarray,
    labels: np.ndarray,
    n_bins: int,
    jitter: float,
    p_fire: float,
    noise: float,
    rng: np.random.Generator,
) -> np.ndarray:
    n = labels.shape[0]
    n_channels = templates.shape[1]
    times = templates[labels] + rng.normal(0.0, jitter, size=(n, n_channels))
    bins = np.rint(times).astype(np.int64)
    keep = (rng.random((n, n_channels)) < p_fire) & (bins >= 0) & (bins < n_bins)
    x = (rng.random((n, n_bins, n_channels)) < noise).astype(np.float32)
    sample, channel = np.nonzero(keep)
    x[sample, bins[sample, channel], channel] = 1.0
    return x


def synthetic_shd(
    n_samples: int = 1000,
    n_classes: int = 10,
    n_channels: int = 32,
    n_bins: int = 40,
    jitter: float = 2.0,
    p_fire: float = 0.8,
    noise: float = 0.01,
    seed: int | np.random.Generator | None = 0,
    template_seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic SHD-like classification: class-specific spike-time patterns with jitter, dropout and noise.

    Each class template gives every channel a preferred spike time ``~ U(0, n_bins)``; a sample of class ``c``
    places one spike per channel at the rounded preferred time plus Gaussian jitter (``sigma = jitter`` bins),
    keeps it with probability ``p_fire``, and adds background spikes with probability ``noise`` per bin.

    Parameters
    ----------
    n_samples
        Number of samples (labels drawn uniformly).
    n_classes, n_channels, n_bins
        Classes, input channels and time bins (defaults 10, 32, 40).
    jitter, p_fire, noise
        Spike-time jitter (bins), keep probability, background probability per bin.
    seed
        Seed of the samples (use different seeds for train and test).
    template_seed
        Seed of the class templates (keep it equal for train and test).

    Returns
    -------
    x, y
        Binary raster ``[n_samples, n_bins, n_channels]`` float32 and labels ``[n_samples]`` int64.
    """
    n_samples = check_int("n_samples", n_samples, minimum=1)
    jitter = check_float("jitter", jitter, minimum=0.0)
    p_fire = check_probability("p_fire", p_fire)
    noise = check_probability("noise", noise)
    templates = synthetic_shd_templates(n_classes, n_channels, n_bins, template_seed)
    rng = check_rng(seed)
    labels = rng.integers(0, n_classes, size=n_samples)
    x = _render(templates, labels, n_bins, jitter, p_fire, noise, rng)
    return x, labels.astype(np.int64)


def synthetic_shd_adding(
    n_samples: int = 1000,
    n_classes: int = 10,
    n_channels: int = 32,
    n_bins: int = 40,
    jitter: float = 2.0,
    p_fire: float = 0.8,
    noise: float = 0.01,
    seed: int | np.random.Generator | None = 0,
    template_seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic SHD-Adding: two patterns of :func:`synthetic_shd` back to back, label = sum of the classes.

    The label ``c1 + c2`` has ``2 n_classes - 1`` values (19 for 10 classes); the first class must be held in
    memory for at least ``n_bins`` steps. Chance is ``1/19``; always answering the most frequent sum (9)
    gives 0.10.

    Returns
    -------
    x, y
        Binary raster ``[n_samples, 2 n_bins, n_channels]`` float32 and labels ``[n_samples]`` int64.
    """
    n_samples = check_int("n_samples", n_samples, minimum=1)
    p_fire = check_probability("p_fire", p_fire)
    noise = check_probability("noise", noise)
    jitter = check_float("jitter", jitter, minimum=0.0)
    templates = synthetic_shd_templates(n_classes, n_channels, n_bins, template_seed)
    rng = check_rng(seed)
    first = rng.integers(0, n_classes, size=n_samples)
    second = rng.integers(0, n_classes, size=n_samples)
    x1 = _render(templates, first, n_bins, jitter, p_fire, noise, rng)
    x2 = _render(templates, second, n_bins, jitter, p_fire, noise, rng)
    return np.concatenate([x1, x2], axis=1), (first + second).astype(np.int64)


def to_raster(
    trains: SpikeTrains | Sequence[SpikeTrains],
    bin_size: float,
    n_bins: int | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Bin ``neurotypes.SpikeTrains`` (one or a batch) into an input tensor ``[batch, time, n_units]``.

    Parameters
    ----------
    trains
        One ``SpikeTrains`` or a sequence with equal ``n_units``.
    bin_size
        Bin width in seconds (the neuron's ``delta_t``; e.g. 0.001 for NeuronIO, 0.01 for SHD).
    n_bins
        Number of bins (default: the longest recording's); shorter ones are zero-padded, longer ones cut.

    Returns
    -------
    torch.Tensor
        Spike counts per bin (0/1 when no bin holds two spikes).
    """
    from neurotypes import SpikeTrains

    batch = [trains] if isinstance(trains, SpikeTrains) else list(trains)
    if not batch:
        raise ValueError("trains must hold at least one SpikeTrains")
    for k, item in enumerate(batch):
        if not isinstance(item, SpikeTrains):
            raise TypeError(f"trains[{k}] must be neurotypes.SpikeTrains, got {type(item).__name__}")
    bin_size = check_float("bin_size", bin_size, positive=True)
    units = {t.n_units for t in batch}
    if len(units) != 1:
        raise ValueError(f"trains must all have the same n_units, got {sorted(units)}")
    counts = [np.asarray(t.bin(float(bin_size)).counts) for t in batch]
    length = max(c.shape[1] for c in counts) if n_bins is None else check_int("n_bins", n_bins, minimum=1)
    out = np.zeros((len(batch), length, units.pop()), dtype=np.float32)
    for k, c in enumerate(counts):
        n = min(length, c.shape[1])
        out[k, :n] = c[:, :n].T
    return torch.as_tensor(out, dtype=dtype, device=device)


def shd(
    path: str | Path,
    bin_size_ms: float = 10.0,
    n_bins: int = 100,
    n_channels: int = SHD_CHANNELS,
    max_samples: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Load a local Spiking Heidelberg Digits (or SSC) HDF5 file and bin it.

    The file holds ``spikes/times`` (ragged, seconds), ``spikes/units`` (ragged channel ids) and ``labels``.
    Spikes at or after ``n_bins * bin_size_ms`` are dropped (1 s at the defaults, which covers nearly all
    SHD digits).

    Parameters
    ----------
    path
        The ``shd_train.h5`` / ``shd_test.h5`` file (needs the ``h5py`` extra: ``pip install elm-neuron[shd]``).
    bin_size_ms
        Bin width in ms (the neuron's ``delta_t``; 10 in the paper).
    n_bins
        Number of bins per sample.
    n_channels
        Number of input channels (700 for SHD).
    max_samples
        Read only the first ``max_samples`` samples.

    Returns
    -------
    x, y
        Spike-count raster ``[n, n_bins, n_channels]`` float32 (counts clipped to 1) and labels int64.

    Raises
    ------
    FileNotFoundError
        When ``path`` is not a file.
    ValueError
        On a file that is not readable as HDF5 (naming the file), a missing dataset, mismatched lengths,
        negative times or out-of-range channel ids.
    """
    try:
        import h5py
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("reading SHD files needs h5py: pip install 'elm-neuron[shd]'") from err
    path = check_path("path", path)
    bin_size_ms = check_float("bin_size_ms", bin_size_ms, positive=True)
    n_bins = check_int("n_bins", n_bins, minimum=1)
    n_channels = check_int("n_channels", n_channels, minimum=1)
    if max_samples is not None:
        max_samples = check_int("max_samples", max_samples, minimum=1)
    try:
        f = h5py.File(path, "r")
    except OSError as err:  # not HDF5, truncated, unreadable: h5py's message does not name the file
        raise ValueError(f"path: cannot read {path} as an HDF5 file ({err})") from err
    with f:
        try:
            return _read_shd(f, path, bin_size_ms, n_bins, n_channels, max_samples)
        except (OSError, KeyError, TypeError) as err:  # a damaged dataset inside the file
            raise ValueError(
                f"path: cannot read the SHD datasets of {path} ({type(err).__name__}: {err})"
            ) from err


def _read_shd(
    f: Any, path: Path, bin_size_ms: float, n_bins: int, n_channels: int, max_samples: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """The body of :func:`shd` on an open ``h5py.File``."""
    for key in ("spikes/times", "spikes/units", "labels"):
        if key not in f:
            raise ValueError(f"path: {path.name} is not an SHD file (missing dataset {key!r})")
    times, units, labels = f["spikes/times"], f["spikes/units"], np.asarray(f["labels"])
    n = len(labels)
    if len(times) != n or len(units) != n:
        raise ValueError(
            f"path: {path.name} has {len(times)} spike-time lists, {len(units)} unit lists and {n} labels"
        )
    if max_samples is not None:
        n = min(n, max_samples)
    x = np.zeros((n, n_bins, n_channels), dtype=np.float32)
    for k in range(n):
        t = np.asarray(times[k], dtype=np.float64)
        u = np.asarray(units[k], dtype=np.int64)
        if t.shape != u.shape:
            raise ValueError(f"path: {path.name}: sample {k} has {t.size} spike times but {u.size} units")
        if t.size and (not np.all(np.isfinite(t)) or t.min() < 0):
            raise ValueError(f"path: {path.name}: sample {k} has negative or non-finite spike times")
        if u.size and (u.min() < 0 or u.max() >= n_channels):
            raise ValueError(f"path: {path.name}: sample {k} has channel ids outside [0, {n_channels})")
        b = np.floor(t * 1000.0 / bin_size_ms).astype(np.int64)
        keep = b < n_bins
        x[k, b[keep], u[keep]] = 1.0
    return x, labels[:n].astype(np.int64)


def shd_adding(
    x: np.ndarray, y: np.ndarray, n_samples: int, seed: int | np.random.Generator | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """SHD-Adding from binned SHD samples: two random digits back to back, label ``(y1 mod 10) + (y2 mod 10)``.

    SHD's 20 classes are the English and German digits 0-9, so ``mod 10`` gives the digit value and the sum
    has 19 classes.
    """
    x = np.asarray(x)
    y = np.asarray(y)
    if x.ndim != 3 or y.shape != (x.shape[0],):
        raise ValueError(f"x must be [n, time, channels] and y [n]; got {x.shape} and {y.shape}")
    n_samples = check_int("n_samples", n_samples, minimum=1)
    rng = check_rng(seed)
    i = rng.integers(0, x.shape[0], size=n_samples)
    j = rng.integers(0, x.shape[0], size=n_samples)
    return np.concatenate([x[i], x[j]], axis=1), (y[i] % 10 + y[j] % 10).astype(np.int64)


@dataclass(frozen=True)
class NeuronIOData:
    """One NeuronIO simulation file.

    Attributes
    ----------
    x
        Input spikes ``[n_sim, T, 1278]`` bool (excitatory then inhibitory).
    y_spike
        Somatic output spikes ``[n_sim, T]`` float (1 at the spike's ms).
    y_soma
        Somatic voltage ``[n_sim, T]`` in mV.
    """

    x: np.ndarray
    y_spike: np.ndarray
    y_soma: np.ndarray


def _ragged_to_raster(spike_times: Any, n_rows: int, n_steps: int, name: str) -> np.ndarray:
    out = np.zeros((n_rows, n_steps), dtype=bool)
    if not isinstance(spike_times, dict):
        raise ValueError(
            f"{name} must be a dict segment -> spike times (ms), got {type(spike_times).__name__}"
        )
    for row, times in spike_times.items():
        t = np.asarray(times, dtype=np.int64)
        if not 0 <= int(row) < n_rows or (t.size and (t.min() < 0 or t.max() >= n_steps)):
            raise ValueError(f"{name}: segment {row} or its spike times are outside the simulation")
        out[int(row), t] = True
    return out


#: Exceptions an unpickler raises on a damaged or foreign file (reported as a ValueError naming the file).
_UNPICKLING_ERRORS = (
    pickle.UnpicklingError,
    EOFError,
    ValueError,
    TypeError,
    AttributeError,
    ImportError,
    IndexError,
    KeyError,
    UnicodeDecodeError,
)


def neuronio(path: str | Path, allow_pickle: bool = False) -> NeuronIOData:
    """Load one NeuronIO simulation file: an archive written by :func:`save_neuronio`, or (only with
    ``allow_pickle=True``) one of the dataset's original pickles (the ``*sim__*`` files of Beniaguev et al. 2021).

    **Security:** the NeuronIO dataset is distributed as Python pickles, and unpickling a file runs whatever code
    it was made to run: a crafted file can do anything your account can. Pickles are therefore refused unless
    you pass ``allow_pickle=True``, which you should do only for files you trust (e.g. the dataset you downloaded
    yourself from its Kaggle page). Convert each trusted pickle once with :func:`save_neuronio`; the ``.npz``
    archive it writes holds plain arrays and loads without ``allow_pickle``.

    Pickle format (as read by the reference): ``{"Params": {"allSegmentsType", "totalSimDurationInSec"},
    "Results": {"listOfSingleSimulationDicts": [{"exInputSpikeTimes", "inhInputSpikeTimes",
    "outputSpikeTimes", "somaVoltageLowRes"}]}}``; input spike times are dicts segment -> ms, output spike
    times are placed at ``int(t - 0.5)``.

    Parameters
    ----------
    path
        The file.
    allow_pickle
        Read a pickle (default False: pickles are refused).

    Raises
    ------
    FileNotFoundError
        When ``path`` is not a file.
    ValueError
        When the file is a pickle and ``allow_pickle`` is False, or it cannot be read as a NeuronIO file
        (the message names the file).
    """
    if not isinstance(allow_pickle, bool):
        raise TypeError(f"allow_pickle must be True or False, got {allow_pickle!r}")
    path = check_path("path", path)
    if zipfile.is_zipfile(path):
        return _load_neuronio_npz(path)
    if not allow_pickle:
        raise ValueError(
            f"path: {path} is not an archive written by save_neuronio; reading it as a NeuronIO pickle would "
            "run any code stored in it. Pass allow_pickle=True only for a file you trust (e.g. the NeuronIO "
            "dataset you downloaded), and convert it once with elm_neuron.data.save_neuronio"
        )
    with path.open("rb") as fh:
        try:
            try:
                experiment = pickle.load(fh, encoding="ASCII")
            except UnicodeDecodeError:
                fh.seek(0)
                experiment = pickle.load(fh, encoding="latin1")
        except _UNPICKLING_ERRORS as err:
            raise ValueError(f"path: cannot read {path} as a pickle ({type(err).__name__}: {err})") from err
    return _neuronio_from_experiment(experiment, path)


def _neuronio_from_experiment(experiment: Any, path: Path) -> NeuronIOData:
    """The arrays of one unpickled NeuronIO simulation file."""
    try:
        params = experiment["Params"]
        sims = experiment["Results"]["listOfSingleSimulationDicts"]
        n_seg = len(params["allSegmentsType"])
        n_steps = round(float(params["totalSimDurationInSec"]) * 1000)
    except (KeyError, TypeError) as err:
        raise ValueError(f"path: {path.name} is not a NeuronIO simulation file (missing {err})") from err
    try:
        x = np.zeros((len(sims), n_steps, 2 * n_seg), dtype=bool)
        y_spike = np.zeros((len(sims), n_steps))
        y_soma = np.zeros((len(sims), n_steps))
        for k, sim in enumerate(sims):
            ex = _ragged_to_raster(sim["exInputSpikeTimes"], n_seg, n_steps, "exInputSpikeTimes")
            inh = _ragged_to_raster(sim["inhInputSpikeTimes"], n_seg, n_steps, "inhInputSpikeTimes")
            x[k] = np.vstack([ex, inh]).T
            spikes = (np.asarray(sim["outputSpikeTimes"], dtype=float) - 0.5).astype(np.int64)
            y_spike[k, spikes[(spikes >= 0) & (spikes < n_steps)]] = 1.0
            soma = np.asarray(sim["somaVoltageLowRes"], dtype=float)
            if soma.shape != (n_steps,):
                raise ValueError(
                    f"somaVoltageLowRes of simulation {k} has shape {soma.shape}, expected ({n_steps},)"
                )
            y_soma[k] = soma
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"path: {path.name} is not a valid NeuronIO simulation file ({err})") from err
    return NeuronIOData(x=x, y_spike=y_spike, y_soma=y_soma)


_NPZ_KEYS = ("x", "y_spike", "y_soma")


def _load_neuronio_npz(path: Path) -> NeuronIOData:
    """A :class:`NeuronIOData` from an archive of :func:`save_neuronio` (no pickles: ``allow_pickle=False``)."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [k for k in _NPZ_KEYS if k not in archive.files]
            if missing:
                raise ValueError(f"path: {path} is not a NeuronIO archive (missing {missing})")
            x, y_spike, y_soma = (archive[k] for k in _NPZ_KEYS)
    except (OSError, zipfile.BadZipFile, EOFError, KeyError) as err:
        raise ValueError(
            f"path: cannot read {path} as a NeuronIO archive ({type(err).__name__}: {err})"
        ) from err
    except ValueError as err:
        if str(err).startswith("path:"):
            raise
        raise ValueError(f"path: cannot read {path} as a NeuronIO archive ({err})") from err
    if x.dtype != np.bool_ or x.ndim != 3:
        raise ValueError(f"path: {path}: x must be a boolean [n_sim, T, n_in] array, got {x.dtype} {x.shape}")
    for name, arr in (("y_spike", y_spike), ("y_soma", y_soma)):
        if arr.dtype.kind != "f" or arr.shape != x.shape[:2]:
            raise ValueError(
                f"path: {path}: {name} must be a float {x.shape[:2]} array, got {arr.dtype} {arr.shape}"
            )
    return NeuronIOData(x=x, y_spike=y_spike, y_soma=y_soma)


def save_neuronio(data: NeuronIOData, path: str | Path) -> Path:
    """Write ``data`` as an ``.npz`` archive of plain arrays (no pickle) that :func:`neuronio` reads safely.

    The file is written to a temporary file next to ``path`` and then renamed, so ``path`` never holds a
    partial archive. Returns the path written (``.npz`` is appended when missing, as numpy does).
    """
    if not isinstance(data, NeuronIOData):
        raise TypeError(f"data must be a NeuronIOData, got {type(data).__name__}")
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    # A new file with the permissions the umask allows (mkstemp would make it private to the owner).
    tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez_compressed(
                fh,
                x=np.asarray(data.x, dtype=bool),
                y_spike=np.asarray(data.y_spike, dtype=np.float64),
                y_soma=np.asarray(data.y_soma, dtype=np.float64),
            )
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


#: Suffixes of the recordings :func:`read_recording` reads (neurotypes' NWB and npz, and the neo formats).
RECORDING_SUFFIXES = (".nwb", ".npz", ".abf", ".smr", ".smrx", ".plx", ".pl2", ".nev", ".nix")


def read_recording(path: str | Path, units: Sequence[int] | None = None) -> SpikeTrains:
    """Spike trains of a recording file, through :mod:`neurotypes.io`: an NWB Units table (``.nwb``, needs
    ``neurotypes[nwb]``), a saved ``neurotypes.SpikeTrains`` (``.npz``), or a neo format with one segment.

    Parameters
    ----------
    path
        The file; its format is detected by suffix.
    units
        NWB unit ids to keep (default: all units, in the file's order).

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        For an unknown suffix, a file that is not what its suffix says (``neurotypes.FormatError``, naming the
        file), or a neo file with several segments.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> from neurotypes import SpikeTrains
    >>> trains = SpikeTrains.from_unit_times([np.array([0.01, 0.02]), np.array([0.015])], t_stop=0.05)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "units.npz"
    >>> _ = trains.save(path)
    >>> read_recording(path).n_units
    2
    """
    from neurotypes import SpikeTrains
    from neurotypes.io import read_spike_trains

    file = check_path("path", path)
    suffix = file.suffix.lower()
    if suffix not in RECORDING_SUFFIXES:
        raise ValueError(
            f"path: {str(file)!r} has an unknown recording format {suffix or '(no suffix)'}; elm-neuron reads "
            f"{', '.join(RECORDING_SUFFIXES)}"
        )
    kwargs: dict[str, Any] = {}
    if units is not None:
        if suffix != ".nwb":
            raise ValueError("units: selecting units by id needs an NWB file")
        kwargs["units"] = list(units)
    value = read_spike_trains(file, **kwargs)
    if isinstance(value, list):
        if len(value) != 1:
            raise ValueError(
                f"path: {str(file)!r} holds {len(value)} segments; elm-neuron takes one recording"
            )
        value = value[0]
    if not isinstance(value, SpikeTrains):  # pragma: no cover - neurotypes returns SpikeTrains
        raise ValueError(f"path: {str(file)!r} holds no spike trains")
    return value


def spike_prediction_windows(
    trains: SpikeTrains, target: int | str, bin_size: float = 0.001, window: int = 500
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Windows of a recording for fitting a neuron to one of its units (the NeuronIO task on your own data).

    The recording is binned at ``bin_size`` seconds; the target unit's spikes (0/1 per bin) are what the neuron
    should output, the other units' spikes (clipped to 1 per bin) are its inputs. The binned recording is cut
    into consecutive, non-overlapping windows of ``window`` bins (a partial last window is dropped).

    Parameters
    ----------
    trains
        The recording (``neurotypes.SpikeTrains``, e.g. from :func:`read_recording`), at least two units.
    target
        The target unit: its id (a string of ``trains.unit_ids``) or its index.
    bin_size
        Bin width in seconds (the neuron's time step; 0.001 for NeuronIO's 1 ms).
    window
        Bins per window (the training sequence length).

    Returns
    -------
    x, y, input_ids
        Inputs ``[n_windows, window, n_units - 1]`` float32, target spikes ``[n_windows, window]`` float32, and
        the ids of the input units in input order.
    """
    from neurotypes import SpikeTrains

    if not isinstance(trains, SpikeTrains):
        raise TypeError(f"trains must be neurotypes.SpikeTrains, got {type(trains).__name__}")
    if trains.n_units < 2:
        raise ValueError(f"trains must hold at least 2 units (a target and inputs), got {trains.n_units}")
    bin_size = check_float("bin_size", bin_size, positive=True)
    window = check_int("window", window, minimum=2)
    ids = (
        tuple(trains.unit_ids)
        if trains.unit_ids is not None
        else tuple(str(i) for i in range(trains.n_units))
    )
    if isinstance(target, str):
        if target not in ids:
            raise ValueError(f"target: no unit with id {target!r} (ids: {', '.join(ids[:10])})")
        index = ids.index(target)
    else:
        index = check_int("target", target, minimum=0, maximum=trains.n_units - 1)
    counts = np.minimum(np.asarray(trains.bin(bin_size).counts), 1).astype(np.float32)  # [units, bins]
    n_windows = counts.shape[1] // window
    if n_windows < 2:
        raise ValueError(
            f"window: the recording holds {counts.shape[1]} bins of {bin_size} s, fewer than two windows of "
            f"{window} bins"
        )
    used = counts[:, : n_windows * window].reshape(counts.shape[0], n_windows, window)
    others = [u for u in range(counts.shape[0]) if u != index]
    x = np.ascontiguousarray(used[others].transpose(1, 2, 0))
    y = np.ascontiguousarray(used[index])
    return x, y, tuple(ids[u] for u in others)
