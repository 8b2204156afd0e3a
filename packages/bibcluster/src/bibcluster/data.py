"""Data in and out: spike counts from users' files (through :mod:`neurotypes.io`), the paper's simulations, and
results written in formats users load.

* :func:`load_counts` reads a neurotypes ``.npz`` (``SpikeCounts``, or ``SpikeTrains`` binned with
  ``bin_size``), an NWB file's Units table, or any spike-train format neo reads, and returns
  :class:`neurotypes.SpikeCounts` (neurons x time bins);
* :func:`save_result` writes the neuron clusters and the state path of a fit as neurotypes ``.npz`` files
  (``Partition``), and, for an NWB input, adds the neuron clusters as a column of its Units table
  (:func:`neurotypes.io.add_unit_columns`);
* :func:`simulate_biclustered` and :func:`simulate_structureless` generate the paper's simulations (re-exported from
  :mod:`bibcluster.simulate`).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from bibcluster.posterior import Posterior
from bibcluster.simulate import simulate_biclustered, simulate_structureless
from neurotypes import FormatError, Partition, SpikeCounts, SpikeTrains
from neurotypes.validation import check_float, check_path

__all__ = ["load_counts", "save_result", "simulate_biclustered", "simulate_structureless"]


def load_counts(
    path: str | os.PathLike[str],
    *,
    bin_size: float | None = None,
) -> SpikeCounts:
    """Spike counts (neurons x time bins) from a file, with the format chosen by the suffix.

    Parameters
    ----------
    path : str or os.PathLike
        ``.npz`` written by neurotypes (``SpikeCounts``; or ``SpikeTrains``, then ``bin_size`` is needed), ``.nwb``
        (its Units table), or a spike-train format that neo reads (all segments' units stacked).
    bin_size : float, optional
        Bin width in seconds for spike trains (the paper uses 50 ms bins on the Allen recording). Refused for
        a ``SpikeCounts`` file, whose bins are fixed.

    Returns
    -------
    neurotypes.SpikeCounts

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    neurotypes.FormatError
        If the file is not a readable recording (a ``ValueError``; the message names the file).
    ValueError, TypeError
        If ``bin_size`` is missing for spike trains, not positive, or given for counts.

    Examples
    --------
    >>> Y = load_counts("session.nwb", bin_size=0.05)  # doctest: +SKIP
    """
    p = check_path("path", path)
    width = None if bin_size is None else check_float("bin_size", bin_size, positive=True)
    from neurotypes import io

    try:
        value = io.read(p) if p.suffix.lower() == ".npz" else io.read_spike_trains(p)
    except FormatError:
        raise
    except ImportError as exc:
        extra = "nwb" if p.suffix.lower() == ".nwb" else "neo"
        raise ImportError(
            f"file {str(p)!r}: reading {p.suffix or 'this format'} needs the extra {extra}: "
            f"pip install 'bibcluster[{extra}]' ({exc})"
        ) from exc
    except (ValueError, KeyError, OSError, TypeError) as exc:
        raise FormatError(
            f"file {str(p)!r} is not a readable recording: {' '.join(str(exc).split())}"
        ) from exc
    if isinstance(value, list):
        if not value:
            raise FormatError(f"file {str(p)!r} holds no spike trains")
        if len(value) > 1:
            raise FormatError(
                f"file {str(p)!r} holds {len(value)} segments; save the one to fit as a neurotypes .npz first"
            )
        value = value[0]
    if isinstance(value, SpikeCounts):
        if width is not None:
            raise ValueError(f"bin_size applies to spike trains; file {str(p)!r} already holds binned counts")
        return value
    if isinstance(value, SpikeTrains):
        if width is None:
            raise ValueError(f"bin_size (seconds) is needed to bin the spike trains of file {str(p)!r}")
        return value.bin(width)
    raise FormatError(f"file {str(p)!r} holds a {type(value).__name__}, not spike counts or spike trains")


def save_result(
    post: Posterior,
    out_dir: str | os.PathLike[str],
    *,
    source: str | os.PathLike[str] | None = None,
) -> dict[str, Path]:
    """Write a fit's point estimates: ``neuron_clusters.npz`` and ``states.npz`` (neurotypes ``Partition``).

    Parameters
    ----------
    post : Posterior
        A fitted posterior.
    out_dir : str or os.PathLike
        Folder for the files (created).
    source : str or os.PathLike, optional
        The NWB file the counts came from: its Units table gets a column ``bibcluster_cluster`` with each unit's
        cluster (the file is rewritten atomically). Other suffixes are refused.

    Returns
    -------
    dict of str to pathlib.Path
        The files written (``"neuron_clusters"``, ``"states"`` and, with ``source``, ``"nwb"``).

    Raises
    ------
    TypeError, ValueError
        If ``post`` is not a :class:`Posterior`, or ``source`` is not an existing ``.nwb`` file.

    Examples
    --------
    >>> save_result(post, "results")  # doctest: +SKIP
    """
    if not isinstance(post, Posterior):
        raise TypeError(f"post must be a bibcluster.Posterior, got {type(post).__name__}")
    if not isinstance(out_dir, str | os.PathLike) or not str(out_dir):
        raise TypeError(f"out_dir must be a non-empty path, got {out_dir!r}")
    src = None if source is None else check_path("source", source, suffixes=(".nwb",))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    clusters = post.point_estimate()
    states = Partition(labels=np.asarray(post.state_estimate(), dtype=np.int64))
    written = {
        "neuron_clusters": clusters.save(out / "neuron_clusters.npz"),
        "states": states.save(out / "states.npz"),
    }
    if src is not None:
        from neurotypes.io import add_unit_columns

        written["nwb"] = add_unit_columns(
            src, {"bibcluster_cluster": np.asarray(clusters.labels)}, description="written by bibcluster fit"
        )
    return written
