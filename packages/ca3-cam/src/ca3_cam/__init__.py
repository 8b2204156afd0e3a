"""ca3-cam: a spike-based hippocampal CA3 content-addressable memory.

Casanueva-Morato, Ayuso-Martinez, Dominguez-Morales, Jimenez-Fernandez, Jimenez-Moreno (2024), "Bio-inspired
computational memory model of the Hippocampus: an approach to a neuromorphic spike-based Content-Addressable
Memory", Neural Networks 178:106474 (arXiv:2310.05868).

The network is described once (:func:`build_network`) and run by the package's exact 1-ms numpy simulator
(default, SpiNNaker semantics), or through PyNN on NEST or sPyNNaker (:func:`build_pynn_network`).
"""

from importlib.metadata import PackageNotFoundError, version

from ca3_cam import testbench
from ca3_cam.memory import CA3CAM, ENGINES, Answer, IdealCAM, decode_answers, ideal_answers, run_schedule
from ca3_cam.model import CA3_POPULATIONS, CA3Params, Network, NeuronParams, STDPParams, build_network
from ca3_cam.pynn_engine import build_pynn_network, run_pynn
from ca3_cam.reproduce import reproduce
from ca3_cam.schedule import Operation, Schedule
from ca3_cam.simulator import NumpySimulator

try:
    __version__ = version("ca3-cam")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without installing
    __version__ = "0.0.0"

__all__ = [
    "CA3CAM",
    "CA3_POPULATIONS",
    "ENGINES",
    "Answer",
    "CA3Params",
    "IdealCAM",
    "Network",
    "NeuronParams",
    "NumpySimulator",
    "Operation",
    "STDPParams",
    "Schedule",
    "__version__",
    "build_network",
    "build_pynn_network",
    "decode_answers",
    "ideal_answers",
    "reproduce",
    "run_pynn",
    "run_schedule",
    "testbench",
]
