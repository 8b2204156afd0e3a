"""
Use it on your own data: FISBe zarr ground truth and an HDF5 segmentation
=========================================================================

FISBe ships each image as a zarr group with ``volumes/raw`` (3 colour channels) and ``volumes/gt_instances``
(one neuron per channel, so neurons may overlap) and a ``dim_neurons`` attribute; segmentations commonly come
as HDF5 (or zarr, or TIFF) label volumes. Here we write a toy FISBe image in exactly that layout, segment it
with the colour-clustering baseline, store the segmentation as HDF5, and score it from the files, as
``fisbe-bench run pred.hdf gt.zarr --pred-key volumes/labels`` does from the command line.
"""

# %%
import tempfile
from pathlib import Path

import h5py
import numpy as np
import zarr
from matplotlib.figure import Figure

from fisbe_bench import evaluate, io, synth
from fisbe_bench.baselines import colour_clustering

folder = Path(tempfile.mkdtemp())
toy = synth.toy_fisbe((24, 96, 96), n_neurons=4, seed=3)

g = zarr.open_group(str(folder / "sample.zarr"), mode="w", zarr_format=2)
g.create_array("volumes/raw", shape=toy.raw.shape, dtype=np.float32)[:] = toy.raw
gt_array = g.create_array("volumes/gt_instances", shape=toy.gt.shape, dtype=np.uint8)
gt_array[:] = toy.gt
gt_array.attrs["dim_neurons"] = [2]

segmentation = colour_clustering(toy.raw, seed=0)
with h5py.File(folder / "sample.hdf", "w") as f:
    f.create_dataset("volumes/labels", data=segmentation, compression="gzip")

# %%
# Read them back the way you would read your own files: the ground truth with its ``dim_neurons`` and the
# segmentation by its key. Both are held sparsely, so full-size FISBe volumes fit in little memory.
sample = io.read_fisbe_zarr(folder / "sample.zarr")
pred = io.read_labels(folder / "sample.hdf", "volumes/labels")
scores = evaluate(sample.gt, pred, min_instance_size=800, dim_instances=sample.dim_neurons)
print(f"{sample.name}: {scores.n_gt} neurons, {scores.n_pred} predicted instances")
print(f"S = {scores.S:.3f}  avF1 = {scores.avF1:.3f}  C = {scores.C:.3f}  FS = {scores.fs}  FM = {scores.fm}")
print("the official evaluator's keys:", list(scores.to_reference_dict()["general"])[:6], "...")

# %%
fig = Figure(figsize=(8, 3))
ax = fig.subplots(1, 2)
ax[0].imshow(np.moveaxis(toy.raw.max(axis=1), 0, -1))
ax[0].set_title("raw (max projection)")
ax[1].imshow(segmentation.max(axis=0), cmap="tab20", interpolation="nearest")
ax[1].set_title("colour-clustering segmentation")
for a in ax:
    a.set_axis_off()
fig.tight_layout()
