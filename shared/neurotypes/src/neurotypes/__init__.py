"""neurotypes: the tiny shared data types of neurozoo.

Small, frozen, validated values over numpy arrays that every neurozoo package speaks, so that packages combine
without importing each other. Times are in seconds. Each type saves to and loads from a versioned ``.npz``
archive (:meth:`save` / :meth:`load`, or :func:`neurotypes.load` for any type); reports save as JSON.
"""

from importlib.metadata import PackageNotFoundError, version

from neurotypes._base import SchemaError, atomic_write_bytes, load
from neurotypes.labels import InstanceLabels
from neurotypes.partition import Partition, adjusted_rand_index
from neurotypes.report import VERDICTS, Claim, Report
from neurotypes.sdr import SDR
from neurotypes.spikes import SpikeCounts, SpikeTrains
from neurotypes.stimulus import Stimulus
from neurotypes.traces import Traces

try:
    __version__ = version("neurotypes")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without installing
    __version__ = "0.0.0"

__all__ = [
    "SDR",
    "VERDICTS",
    "Claim",
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
    "load",
]
