"""
Quick start
===========

A spiking CA3 content-addressable memory: one-shot learning of cue -> content associations, recall by cue, recall
by any fragment of the content, and forgetting when a cue is learned again. The network (56 neurons for 5 cues and
10 content bits) runs on the package's exact 1-ms simulator, which reproduces the paper's SpiNNaker recordings
spike for spike.
"""

# %%
# Learn, recall, forget
# ---------------------
import tempfile
from pathlib import Path

from ca3_cam import CA3CAM, testbench
from ca3_cam.plots import plot_raster
from ca3_cam.reproduce import experiment_schedule

mem = CA3CAM(n_cues=5, n_content=10)
mem.learn(0, {0, 1, 8, 9}).learn(4, {1, 5, 6}).learn(3, {4, 5, 6})
print("recall cue 0:", sorted(mem.recall_by_cue(0)))
print("recall by content {6}:", sorted(mem.recall_by_content({6})))
mem.learn(3, {1, 3, 4, 8})  # cue 3 forgets bits 5 and 6
print("after re-learning cue 3, recall by content {6}:", sorted(mem.recall_by_content({6})))
print(f"{mem.n_neurons()} neurons, {mem.n_synapses()} synapses")

# %%
# Every spike of the paper's first experiment
# -------------------------------------------
from ca3_cam import build_network, run_schedule  # noqa: E402
from ca3_cam.data import load_recording  # noqa: E402

sched = experiment_schedule(1)
rows = run_schedule(build_network(5, 10), sched)
fig = plot_raster(
    rows, "Experiment 1: simulated (dots) over the SpiNNaker recording (circles)", recorded=load_recording(1)
)
fig.savefig(Path(tempfile.mkdtemp()) / "exp1.png")
print(len(testbench.stress()), "operations in the stress test")
