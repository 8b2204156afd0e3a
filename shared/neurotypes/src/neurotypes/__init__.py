"""neurotypes: the tiny shared data types of neurozoo.

Small, frozen, validated values over numpy arrays that every neurozoo package speaks, so that packages combine
without importing each other. Times are in seconds. Each type saves to and loads from a versioned ``.npz``
archive (:meth:`save` / :meth:`load`, or :func:`neurotypes.load` for any type); reports save as JSON.

Modules: :mod:`neurotypes.validation` (the argument checks every package uses), :mod:`neurotypes.reproduction`
(the reproduction kit), :mod:`neurotypes.io` (NWB, neo and text tables, optional extras), :mod:`neurotypes.cli`
(the shared command-line flags and error policy).
"""

from importlib.metadata import PackageNotFoundError, version

from neurotypes import io, reproduction, validation
from neurotypes._base import FileMissingError, FormatError, SchemaError, atomic_write_bytes, load
from neurotypes.labels import InstanceLabels
from neurotypes.partition import Partition, adjusted_rand_index
from neurotypes.report import VERDICTS, Claim, Criterion, Report
from neurotypes.sdr import SDR
from neurotypes.spikes import SpikeCounts, SpikeTrains
from neurotypes.stimulus import Stimulus
from neurotypes.traces import Traces


def package_version(dist: str) -> str:
    """The installed version of distribution ``dist`` (``"0.0.0"`` when run from an uninstalled source tree).

    Every package sets ``__version__ = neurotypes.package_version("<dist-name>")``.
    """
    try:
        return version(dist)
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without installing
        return "0.0.0"


__version__ = package_version("neurotypes")

__all__ = [
    "SDR",
    "VERDICTS",
    "Claim",
    "Criterion",
    "FileMissingError",
    "FormatError",
    "InstanceLabels",
    "Partition",
    "Report",
    "SchemaError",
    "SpikeCounts",
    "SpikeTrains",
    "Stimulus",
    "Traces",
    "__version__",
    "adjusted_rand_index",
    "atomic_write_bytes",
    "io",
    "load",
    "package_version",
    "reproduction",
    "validation",
]
