"""fisbe-bench stage: a crop of a real FISBe image (ground truth) and of a real baseline segmentation of it,
written as neurotypes.InstanceLabels files; scores the crop from the arrays it read, for the next stage to match.

usage: fisbe_crop.py ZARR PRED_HDF PRED_KEY OUT_DIR
"""

import sys
from pathlib import Path

import h5py
import numpy as np
import zarr
from _stage import report

import neurotypes as nt
from fisbe_bench import evaluate

zarr_path, hdf_path, key, out = sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4])
crop = (slice(60, 340), slice(340, 590), slice(330, 600))  # fixed before the first run: five neurons cross it
gt = zarr.open(zarr_path, mode="r")["volumes/gt_instances"][(slice(None), *crop)]
gt = gt[[c for c in range(gt.shape[0]) if gt[c].any()]]  # channels (neurons) present in the crop
with h5py.File(hdf_path, "r") as f:
    pred = np.asarray(f[key][crop])
out.mkdir(parents=True, exist_ok=True)
voxel = (0.44, 0.44, 0.44)
nt.InstanceLabels(gt, voxel_size=voxel).save(out / "gt.npz")
nt.InstanceLabels(pred, voxel_size=voxel).save(out / "pred.npz")
s = evaluate(gt, pred, min_instance_size=800)
report(
    S=s.S, avF1=s.avF1, C=s.C, fs=s.fs, fm=s.fm, n_gt=int(gt.shape[0]), n_pred=int(np.unique(pred).size - 1)
)
