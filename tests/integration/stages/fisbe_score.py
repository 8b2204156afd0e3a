"""fisbe-bench stage: score a prediction file against a ground-truth file (neurotypes.InstanceLabels), FlyLight
preset (predictions of <= 800 voxels removed).

usage: fisbe_score.py GT_NPZ PRED_NPZ
"""

import sys

from _stage import report

import neurotypes as nt
from fisbe_bench import evaluate

gt, pred = nt.InstanceLabels.load(sys.argv[1]), nt.InstanceLabels.load(sys.argv[2])
s = evaluate(gt, pred, min_instance_size=800)
report(S=s.S, avF1=s.avF1, C=s.C, fs=s.fs, fm=s.fm, voxel_size=list(gt.voxel_size))
