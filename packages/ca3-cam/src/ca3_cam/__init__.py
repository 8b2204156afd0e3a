"""ca3-cam: a spike-based hippocampal CA3 content-addressable memory.

Casanueva-Morato, Ayuso-Martinez, Dominguez-Morales, Jimenez-Fernandez, Jimenez-Moreno (2024), "Bio-inspired
computational memory model of the Hippocampus: an approach to a neuromorphic spike-based Content-Addressable
Memory", Neural Networks 178:106474 (arXiv:2310.05868).

The network is described once (:func:`build_network`) and run by the package's exact 1-ms numpy simulator
(default, SpiNNaker semantics), or through PyNN on NEST or sPyNNaker (:func:`build_pynn_network`).
"""

from ca3_cam import data, experiments, plots
from ca3_cam import experiments as testbench  # the spec's name for the experiments module
from ca3_cam.memory import CA3CAM, ENGINES, Answer, IdealCAM, decode_answers, ideal_answers, run_schedule
from ca3_cam.model import CA3_POPULATIONS, CA3Params, Network, NeuronParams, STDPParams, build_network
from ca3_cam.pynn_engine import build_pynn_network, run_pynn
from ca3_cam.reproduce import reproduce
from ca3_cam.schedule import Operation, Schedule
from ca3_cam.simulator import NumpySimulator
from neurotypes import package_version

__version__ = package_version("ca3-cam")

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
    "data",
    "decode_answers",
    "experiments",
    "ideal_answers",
    "plots",
    "reproduce",
    "run_pynn",
    "run_schedule",
    "testbench",
]
