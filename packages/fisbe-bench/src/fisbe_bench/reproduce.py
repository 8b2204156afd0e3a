"""Measure the spec's claims: ``reproduce(out_dir, quick=True) -> neurotypes.Report``, one function per claim.

Claims are measured on the synthetic cases (A, B, toy FISBe), on the official evaluator's recorded outputs and
published results shipped in the package (:mod:`fisbe_bench.data`), and on two real FISBe images (CC BY 4.0,
about 14 MB) that are *not* in the wheel: name their folder with ``data_dir`` (``--data DIR``) or the
environment variable ``FISBE_SAMPLE_DIR``.  Without them the claims that need them are "not testable offline"
and name the missing files and where to get them; the set of claims never changes.  Every criterion below is
written before the measurement (most unchanged since 0.1.0; see the README for the ones that changed).
"""

from __future__ import annotations

import json
import logging
import math
import os
import resource
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from neurotypes import Claim, Criterion, Report
from neurotypes.reproduction import ClaimContext, run_claims
from neurotypes.validation import check_bool

from .baselines import colour_clustering
from .data import (
    HOW_TO_GET,
    PRED_KEY,
    REAL_IMAGES,
    array_sha256,
    decode_runs,
    evalinstseg_cases,
    fisbe_split,
    missing_sample_files,
    r14a02_official,
    read_summary_csv,
    sample_dir,
)
from .dataset import ImageRecord, aggregate, record_from_scores, summary_table
from .io import atomic_write_text, read_fisbe_zarr, read_labels
from .localize import cl_matrices
from .plots import case_a_figure, real_images_figure, toy_figure
from .scores import FisbeScores, evaluate
from .synth import case_a, case_b, toy_fisbe

__all__ = ["OFFICIAL_GB", "OFFICIAL_SECONDS", "compare_with_official", "reproduce"]

log = logging.getLogger(__name__)

PACKAGE = "fisbe-bench"
#: The official evaluator on R14A02 (the spec): 302 s and about 8 GB on 2 cores.
OFFICIAL_SECONDS = 302.0
OFFICIAL_GB = 8.0
#: avg_inst columns of the official 23-image summary that need counts a partly labelled image's row lacks.
UNDETERMINED_AVG_INST = frozenset(
    {f"th_0_{k} fscore" for k in (1, 2, 3, 4, 6, 7, 8, 9)}
    | {"confusion_matrix avFscore", "general avg_f1_cov_score"}
)


# ------------------------------------------------------------------------------------------------ helpers
def _leaves(obj: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _leaves(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _leaves(v, f"{prefix}[{i}]")
    else:
        yield prefix, obj


def compare_with_official(
    scores: FisbeScores, official: dict[str, Any]
) -> list[tuple[str, float, float, float]]:
    """Compare every number of an official ``evalinstseg`` output (nested dict) with ``scores``.

    Returns
    -------
    list of (key, official value, our value, absolute difference)
        One row per leaf of ``official``; a key missing on our side gets difference ``inf``; NaN on both
        sides counts as equal.
    """
    if not isinstance(scores, FisbeScores):
        raise TypeError(f"scores must be a FisbeScores, got {type(scores).__name__}")
    if not isinstance(official, dict):
        raise TypeError(f"official must be a dict (an evaluator output), got {type(official).__name__}")
    ours = dict(_leaves(scores.to_reference_dict()))
    rows = []
    for key, val in _leaves(official):
        ref = float(val)
        if key not in ours:
            rows.append((key, ref, math.nan, math.inf))
            continue
        mine = float(ours[key])
        diff = 0.0 if (math.isnan(ref) and math.isnan(mine)) else abs(ref - mine)
        rows.append((key, ref, mine, diff))
    return rows


def _evaluate_recorded(case: Mapping[str, Any], gt: Any, pred: Any) -> FisbeScores:
    opt = case["options"]
    return evaluate(
        gt,
        pred,
        ndim=int(opt.get("ndim", 3)),
        criterion=opt.get("criterion", "cldice"),
        matching=opt.get("matching", "greedy"),
        min_instance_size=opt.get("min_size"),
        partly=bool(opt.get("partly", False)),
        dim_instances=opt.get("dim") or (),
    )


def _max_diff(rows: list[tuple[str, float, float, float]]) -> tuple[float, int, str]:
    worst = max(rows, key=lambda r: r[3])
    return worst[3], sum(1 for r in rows if math.isinf(r[3])), worst[0]


def _compare_rows(
    ours: Mapping[str, float], official: Mapping[str, float]
) -> tuple[int, float, str, list[str]]:
    """Two summary rows: (columns compared, max relative difference, worst column, columns NaN only on our side)."""
    worst, worst_key, n = 0.0, "", 0
    nan_ours = []
    for key, ref in official.items():
        mine = ours.get(key, math.nan)
        if math.isnan(mine) and not math.isnan(ref):
            nan_ours.append(key)
            continue
        n += 1
        if math.isnan(ref) and math.isnan(mine):
            continue
        d = abs(mine - ref) / max(1.0, abs(ref)) if not math.isnan(ref) else math.inf
        if d > worst:
            worst, worst_key = d, key
    return n, worst, worst_key, nan_ours


def _peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # Linux: kB


@dataclass
class RealSample:
    """The real FISBe sample of one run: where it is, what is missing, the evaluations made so far."""

    folder: Path | None
    missing: list[str]
    scores: dict[str, FisbeScores] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)
    peak_gb: float = 0.0

    @property
    def note(self) -> str:
        return "missing " + ", ".join(self.missing) + "; " + HOW_TO_GET

    def evaluate(self, name: str, out: Path | None = None) -> FisbeScores:
        """Read and evaluate one image (FlyLight preset, FISBe's partly flag); record its CPU time."""
        assert self.folder is not None and not self.missing
        c0 = time.process_time()
        sample = read_fisbe_zarr(self.folder / f"{name}.zarr")
        pred = read_labels(self.folder / "pred" / f"{name}.hdf", PRED_KEY)
        sc = evaluate(
            sample.gt,
            pred,
            min_instance_size=800,
            dim_instances=sample.dim_neurons,
            partly=fisbe_split()[name][1],
        )
        self.cpu.setdefault(name, []).append(time.process_time() - c0)
        self.peak_gb = max(self.peak_gb, _peak_rss_gb())
        if name not in self.scores:
            self.scores[name] = sc
            if out is not None:
                atomic_write_text(
                    out / f"scores_{name}.json", json.dumps(sc.to_reference_dict(), indent=1, default=float)
                )
        return sc

    def get(self, name: str, out: Path | None = None) -> FisbeScores:
        return self.scores[name] if name in self.scores else self.evaluate(name, out)


# ------------------------------------------------------------------------------------------------ claims
def claim_metric_suite(ctx: ClaimContext) -> Claim:
    """The spec's first claim: every key of the official output on cases A and B equals ours."""
    rec = evalinstseg_cases()
    ga, pa = case_a()
    gb, pb = case_b(seed=0)
    gch = np.stack([(ga == k).astype(np.uint8) for k in range(1, 5)])
    arrays = {"A": (ga, pa), "B": (gb, pb), "A_channels": (gch, pa)}
    paper = (
        "evalinstseg (cc34f4d) output for cases A and B, greedy and Hungarian, rm800 or not, clDice and IoU"
    )
    stale = [
        n
        for n, c in rec["synthetic"].items()
        if (array_sha256(arrays[c["case"]][0]), array_sha256(arrays[c["case"]][1]))
        != (c["gt_sha256"], c["pred_sha256"])
    ]
    if stale:
        return Claim(
            "Metric suite equals the official evaluator on cases A and B",
            paper=paper,
            measured={"runs with other arrays": len(stale)},
            missing="the official outputs recorded for this numpy's synthetic arrays (the generator's arrays differ "
            "from the recorded ones; rerun tools/make_official_cases.py with evalinstseg)",
        )
    n_keys, worst, missing, runs = 0, 0.0, 0, 0
    worst_key = ""
    for name, c in ctx.track(rec["synthetic"].items(), desc="cases A/B"):
        gt, pred = arrays[c["case"]]
        rows = compare_with_official(_evaluate_recorded(c, gt, pred), c["official"])
        d, m, key = _max_diff(rows)
        n_keys += len(rows)
        missing += m
        runs += 1
        if d > worst:
            worst, worst_key = d, f"{name}: {key}"
    return Claim(
        "Metric suite equals the official evaluator on cases A and B",
        paper=paper,
        measured={
            "max |ours - official|": worst,
            "official keys without ours": missing,
            "keys compared": n_keys,
            "runs": runs,
            "worst key": worst_key,
        },
        criteria=[
            Criterion("max |ours - official|", "<=", 1e-12),
            Criterion("official keys without ours", "==", 0),
        ],
        notes="Official outputs recorded with evalinstseg at commit cc34f4d (scikit-image 0.24.0) by "
        "tools/make_official_cases.py and shipped in the wheel; the synthetic arrays are checked by SHA-256.",
    )


def claim_two_d_mode(ctx: ClaimContext) -> Claim:
    """Issue 27: 2-D images (YX, CYX) and the official semantics on small recorded cases."""
    rec = evalinstseg_cases()["cases"]
    n_keys, worst, missing = 0, 0.0, 0
    worst_key = ""
    n2 = 0
    for name, c in ctx.track(rec.items(), desc="2-D cases"):
        rows = compare_with_official(
            _evaluate_recorded(c, decode_runs(c["gt"]), decode_runs(c["pred"])), c["official"]
        )
        d, m, key = _max_diff(rows)
        n_keys += len(rows)
        missing += m
        n2 += int(c["options"].get("ndim", 3) == 2)
        if d > worst:
            worst, worst_key = d, f"{name}: {key}"
    return Claim(
        "2-D mode and the official semantics (no match, IoU background coverage) equal the official evaluator",
        paper="evalinstseg (cc34f4d) output for 13 small cases: YX and CYX images (ndim=2), 3-D cases without a "
        "match at 0.5 and with IoU on overlapping instances",
        measured={
            "max |ours - official|": worst,
            "official keys without ours": missing,
            "keys compared": n_keys,
            "2-D cases": n2,
            "cases": len(rec),
            "worst key": worst_key,
        },
        criteria=[
            Criterion("max |ours - official|", "<=", 1e-12),
            Criterion("official keys without ours", "==", 0),
        ],
    )


def claim_real_r14a02(ctx: ClaimContext, real: RealSample) -> Claim:
    """Every number of the official output for the real image R14A02 (spec: Real FISBe data for tests)."""
    name = "Metric suite equals the official evaluator on the real image R14A02 (every number of its output)"
    paper = "evalinstseg FlyLight preset on R14A02: S=0.36567, avF1=0.34722, C=0.38412, FS=FM=0 (+all keys)"
    if real.missing:
        return Claim(name, paper=paper, measured={}, missing=real.note)
    sc = real.get(REAL_IMAGES[0], ctx.out)
    rows = compare_with_official(sc, r14a02_official())
    d, m, key = _max_diff(rows)
    return Claim(
        name,
        paper=paper,
        measured={
            "max |ours - official|": d,
            "official keys without ours": m,
            "keys compared": len(rows),
            "worst key": key,
            "S": sc.S,
            "avF1": sc.avF1,
            "C": sc.C,
        },
        criteria=[
            Criterion("max |ours - official|", "<=", 1e-6),
            Criterion("official keys without ours", "==", 0),
        ],
        notes="1e-6: the official TOML prints float32 values (e.g. clDice of the matches) with float32 rounding.",
    )


def claim_vt011145_row(ctx: ClaimContext, real: RealSample) -> Claim:
    """Issue 27: the second real image against its row of the official 23-image summary."""
    name = "VT011145 equals its official row in every column of the official summary"
    paper = "its row in evalinstseg's summary_brainbow_combined.csv (partly labelled, FlyLight preset): S 0.221785"
    if real.missing:
        return Claim(name, paper=paper, measured={}, missing=real.note)
    vt = REAL_IMAGES[1]
    cols, rows = read_summary_csv()
    sc = real.get(vt, ctx.out)
    n, worst, key, nan_cols = _compare_rows(record_from_scores(sc, vt).row, dict(rows)[vt])
    return Claim(
        name,
        paper=paper,
        measured={
            "max relative difference": worst,
            "columns not compared": len(cols) - n + len(nan_cols),
            "columns": len(cols),
            "worst column": key,
            "S": sc.S,
        },
        criteria=[
            Criterion("max relative difference", "<=", 1e-6),
            Criterion("columns not compared", "==", 0),
        ],
        notes="Evaluated with partly=True: FISBe's split list marks VT011145-20171222_63_I2 as partly labelled.",
    )


def claim_dataset_rows(ctx: ClaimContext) -> Claim:
    """Issue 27: mean, sum and avg_inst of the official 23-image summary from its per-image rows."""
    cols, official_rows = read_summary_csv()
    by_name = dict(official_rows)
    split = fisbe_split()
    images = [(n, r) for n, r in official_rows if n not in ("mean", "sum", "avg_inst")]
    records = [ImageRecord.from_summary_row(n, r, partly=split[n][1]) for n, r in images]
    table = dict(summary_table(records, cols))
    measured: dict[str, Any] = {"images": len(records), "partly labelled": sum(r.partly for r in records)}
    for row in ("mean", "sum", "avg_inst"):
        n, worst, key, nan_cols = _compare_rows(table[row], by_name[row])
        measured[f"{row}: max relative difference"] = worst
        measured[f"{row}: worst column"] = key
        measured[f"{row}: columns compared"] = n
        if row == "avg_inst":
            measured["avg_inst: undetermined columns besides the expected 10"] = len(
                set(nan_cols) ^ UNDETERMINED_AVG_INST
            )
            measured["avg_inst: undetermined columns"] = sorted(nan_cols)
        else:
            measured[f"{row}: columns not compared"] = len(nan_cols)
    return Claim(
        "Dataset rows (mean, sum, avg_inst) of the official 23-image summary recomputed from its per-image rows",
        paper="evalinstseg summary_brainbow_combined.csv (FISBe test split, combined score)",
        measured=measured,
        criteria=[
            Criterion("mean: max relative difference", "<=", 1e-12),
            Criterion("sum: max relative difference", "<=", 1e-12),
            Criterion("mean: columns not compared", "==", 0),
            Criterion("sum: columns not compared", "==", 0),
            Criterion("avg_inst: max relative difference", "<=", 2e-7),
            Criterion("avg_inst: undetermined columns besides the expected 10", "==", 0),
        ],
        notes="avg_inst is FISBe's combined score (mean of the completely and partly labelled sets). Its F1 at "
        "thresholds other than 0.5 (and so avF1 and S) needs the partly labelled images' TP and FP there, which "
        "their rows do not hold (their FP is not nPred - TP): left undetermined (NaN). 2e-7: the official pools "
        "float32 values in float32, the rows give float32 per-image means pooled here in float64.",
    )


def claim_shift_tolerance(ctx: ClaimContext) -> Claim:
    gt_a, _ = case_a()
    shifted = np.zeros_like(gt_a)
    shifted[:, 1:, :] = (gt_a == 4)[:, :-1, :]
    value = float(cl_matrices((gt_a == 4).astype(np.uint8), shifted.astype(np.uint8))[0][1, 1])
    return Claim(
        "Centreline localisation tolerates small misalignment",
        paper="design rationale: a 1-voxel shift of a radius-2 tube keeps clDice 1.0",
        measured={"clDice(GT4, GT4 shifted by +1 voxel in y)": value},
        criteria=Criterion("clDice(GT4, GT4 shifted by +1 voxel in y)", "==", 1.0),
        figures=[_case_a_figure(ctx)],
    )


def _case_a_figure(ctx: ClaimContext) -> str:
    if not (ctx.out / "case_a.png").exists():
        gt, pred = case_a()
        cld, _, _ = cl_matrices(gt, pred)
        ctx.figure(case_a_figure(gt, pred, cld), "case_a.png")
    return "case_a.png"


def claim_merge_coverage(ctx: ClaimContext) -> Claim:
    gt, pred = case_a()
    _, _, prec = cl_matrices(gt, pred)
    s = evaluate(gt, pred, min_instance_size=None)
    winner = int(np.argmax(prec[:, 2]))  # the bridge-merged prediction is P2 (GT2 + GT3)
    loser = 2 if winner == 3 else 3
    return Claim(
        "Coverage penalises merges",
        paper="a merged prediction covers only the GT with the higher clPrecision; the other GT gets 0",
        measured={
            "assigned to a merged GT (1 = yes)": float(winner in (2, 3)),
            "coverage of the other merged GT": s.gt_coverage[loser - 1],
            "coverage of the assigned GT": s.gt_coverage[winner - 1],
            "clPrecision(GT2, merged)": float(prec[2, 2]),
            "clPrecision(GT3, merged)": float(prec[3, 2]),
        },
        criteria=[
            Criterion("assigned to a merged GT (1 = yes)", "==", 1.0),
            Criterion("coverage of the other merged GT", "==", 0.0),
            Criterion("coverage of the assigned GT", ">", 0.9),
        ],
        figures=[_case_a_figure(ctx)],
    )


def claim_false_splits_merges(ctx: ClaimContext) -> Claim:
    gt, pred = case_a()
    s = evaluate(gt, pred, min_instance_size=None)
    fix_split = pred.copy()
    fix_split[fix_split == 5] = 1
    fix_merge = pred.copy()
    fix_merge[(pred == 2) & (gt == 3)] = 7
    fix_merge[(pred == 2) & (gt == 0)] = 0
    return Claim(
        "FS/FM attribute topological errors",
        paper="false splits count the planted split, false merges the planted merge",
        measured={
            "FS": s.fs,
            "FM": s.fm,
            "FS, split repaired": evaluate(gt, fix_split, min_instance_size=None).fs,
            "FM, merge repaired": evaluate(gt, fix_merge, min_instance_size=None).fm,
        },
        criteria=[
            Criterion("FS", "==", 1),
            Criterion("FM", "==", 1),
            Criterion("FS, split repaired", "==", 0),
            Criterion("FM, merge repaired", "==", 0),
        ],
    )


def claim_small_component_filter(ctx: ClaimContext) -> Claim:
    gt, pred = case_a()
    a = evaluate(gt, pred, min_instance_size=None)
    b = evaluate(gt, pred, min_instance_size=800)
    headline = ("S", "avF1", "C", "cldice_tp", "tp", "fs", "fm")
    changed = [k for k in headline if getattr(a, k) != getattr(b, k)]
    return Claim(
        "Small-component filter matters",
        paper="CLI preset 800 on case A: the split halves and the false-positive tube are removed and every "
        "headline number (S, avF1, C, clDiceTP, tp, FS, FM) changes",
        measured={
            "predictions removed": a.n_pred - b.n_pred,
            "headline numbers changed": len(changed),
            "unchanged": [k for k in headline if k not in changed],
            **{k: [getattr(a, k), getattr(b, k)] for k in headline},
        },
        criteria=[Criterion("predictions removed", "==", 3), Criterion("headline numbers changed", "==", 7)],
        notes="FM stays 1: the planted merge (2578 voxels) survives the filter, so the spec's 'every headline "
        "number changes' cannot hold for its own case A. The leg stands as the spec states it.",
    )


def claim_dense_channel_equivalence(ctx: ClaimContext) -> Claim:
    gt, pred = case_a()
    dense = evaluate(gt, pred, min_instance_size=None).to_dict()
    chans = np.stack([(gt == k).astype(np.uint8) for k in range(1, 5)])
    channel = evaluate(chans, pred, min_instance_size=None).to_dict()
    return Claim(
        "Dense and channel GT formats are equivalent",
        paper="format: ZYX dense and CZYX binary-channel GT give the same scores",
        measured={
            "fields differing": sum(1 for k in dense if dense[k] != channel[k]),
            "S dense": dense["S"],
            "S channels": channel["S"],
        },
        criteria=Criterion("fields differing", "==", 0),
    )


def claim_perfect_prediction(ctx: ClaimContext) -> Claim:
    ga, _ = case_a()
    gb, _ = case_b(seed=0)
    scores = [evaluate(g, g, min_instance_size=None) for g in (ga, gb)]
    return Claim(
        "Perfect prediction scores 1",
        paper="definition: pred = GT gives S = avF1 = C = clDiceTP = tp = 1, FS = FM = 0",
        measured={
            "min of S, avF1, C, clDiceTP, tp": min(min(s.S, s.avF1, s.C, s.cldice_tp, s.tp) for s in scores),
            "max of S, avF1, C, clDiceTP, tp": max(max(s.S, s.avF1, s.C, s.cldice_tp, s.tp) for s in scores),
            "FS + FM": sum(s.fs + s.fm for s in scores),
        },
        criteria=[
            Criterion("min of S, avF1, C, clDiceTP, tp", "==", 1.0),
            Criterion("max of S, avF1, C, clDiceTP, tp", "==", 1.0),
            Criterion("FS + FM", "==", 0),
        ],
        notes="cases A and B",
    )


def claim_baselines(ctx: ClaimContext, real: RealSample) -> Claim:
    measured: dict[str, Any] = {}
    if not real.missing:
        for name in REAL_IMAGES:
            s = real.get(name, ctx.out)
            measured[f"GMM colour baseline S on {name}"] = s.S
    return Claim(
        "Baselines (PatchPerPix best, FFN, colour clustering) score low; FISBe is unsolved",
        paper="Table 3 (values not retrieved here; cite the paper)",
        measured=measured,
        missing="the learned baselines' (PatchPerPix, FFN) predictions on FISBe's test images: they need GPU "
        "training on the full dataset (not part of this package)",
        notes="measured, where the real sample is given: the GMM colour baseline predictions shipped with the "
        "evaluator on the two real images",
    )


def claim_end_to_end(ctx: ClaimContext) -> Claim:
    n_toy, shape, neurons = (2, (40, 128, 128), 5) if ctx.quick else (6, (64, 192, 192), 8)
    scores = []
    first = None
    for k in ctx.track(range(n_toy), desc="toy volumes", total=n_toy):
        toy = toy_fisbe(shape, n_neurons=neurons, seed=100 + k)
        seg = colour_clustering(toy.raw, seed=k)
        scores.append(evaluate(toy.gt, seg, min_instance_size=None))
        if first is None:
            first = (toy.raw, toy.gt, seg)
    assert first is not None
    fig = ctx.figure(toy_figure(first[0], first[1], first[2], scores), "toy_fisbe.png")
    agg = aggregate(scores)
    return Claim(
        "The evaluation pipeline runs end to end on a real (non-learned) segmenter",
        paper="no paper number (toy data)",
        measured={
            "dataset S": agg.S,
            "dataset avF1": agg.avF1,
            "dataset C": agg.C,
            "FS": agg.fs,
            "FM": agg.fm,
            "volumes": n_toy,
            "shape": list(shape),
        },
        figures=[fig],
        notes="colour-clustering baseline (a labelled reconstruction: Otsu foreground, chromaticity GMM, "
        "26-connected components) on toy FISBe volumes; seeds 100+k (volumes) and k (baseline)",
    )


def claim_performance(ctx: ClaimContext, real: RealSample) -> Claim:
    name = "Real FISBe images: same numbers >= 5x faster, <= 1/3 memory; VT011145 fits 24 GB"
    paper = f"official evaluator: R14A02 {OFFICIAL_SECONDS:.0f} s, ~{OFFICIAL_GB:.0f} GB; VT011145 killed at 24 GB"
    criteria = [
        Criterion("R14A02 CPU s (min over runs)", "<=", OFFICIAL_SECONDS / 5),
        Criterion("peak RSS GB", "<=", OFFICIAL_GB / 3),
        Criterion("VT011145 evaluated (1 = yes)", "==", 1.0),
    ]
    if real.missing:
        return Claim(name, paper=paper, measured={}, criteria=criteria, missing=real.note)
    runs = 1 if ctx.quick else 3  # the first run of each image is the other claims' evaluation
    for img in REAL_IMAGES:
        while len(real.cpu.get(img, [])) < runs:
            real.evaluate(img, ctx.out)
    ctx.figure(real_images_figure([(n, real.scores[n]) for n in REAL_IMAGES]), "real_images.png")
    return Claim(
        name,
        paper=paper,
        measured={
            "R14A02 CPU s (min over runs)": min(real.cpu[REAL_IMAGES[0]]),
            "VT011145 CPU s (min over runs)": min(real.cpu[REAL_IMAGES[1]]),
            "timed runs per image": runs,
            "peak RSS GB": real.peak_gb,
            "VT011145 evaluated (1 = yes)": 1.0,
        },
        criteria=criteria,
        figures=["real_images.png"],
        notes="read + evaluate, FlyLight preset, 1 timed run per image in quick mode (the margin is 3x), the "
        "minimum of 3 in full mode; CPU time (process_time, single-threaded code) is compared with "
        "the reference's wall time on 2 cores, because wall time on the shared machine is noisy; peak RSS is the "
        "reproduce process's maximum after the real images (they come first). Reference numbers: the spec's.",
    )


def _bind(fn: Callable[..., Claim], real: RealSample) -> Callable[[ClaimContext], Claim]:
    def run(ctx: ClaimContext) -> Claim:
        return fn(ctx, real)

    run.__name__ = fn.__name__
    return run


def reproduce(
    out_dir: str | os.PathLike[str],
    quick: bool = True,
    *,
    seed: int = 0,
    progress: bool = False,
    threads: int | None = None,
    data_dir: str | os.PathLike[str] | None = None,
) -> Report:
    """Measure every claim of the spec and write report.json, report.md and figures to ``out_dir``.

    Parameters
    ----------
    out_dir : path
        Output folder (created).
    quick : bool
        Quick mode: 2 small toy volumes; full mode: 6 larger ones.  Both evaluate the two real images.
    seed : int
        Recorded; the synthetic cases use their own fixed seeds (A, B: 0; toy volumes 100+k).
    progress : bool
        Show progress bars (tqdm) over the claims and the longer loops.
    threads : int, optional
        Recorded (the evaluation is single-threaded).
    data_dir : path, optional
        Folder with the real FISBe sample (``<name>.zarr``, ``pred/<name>.hdf``); default ``$FISBE_SAMPLE_DIR``.
        Without it the claims that need the images are "not testable offline" and name the missing files.

    Returns
    -------
    neurotypes.Report
        Always the same 14 claims.
    """
    quick = check_bool("quick", quick)
    progress = check_bool("progress", progress)
    for module in ("matplotlib", "sklearn"):
        try:
            __import__(module)
        except ImportError as err:
            raise ImportError(
                f"reproduce draws figures and runs the colour-clustering baseline; it needs {module}: "
                "pip install 'fisbe-bench[reproduce]'"
            ) from err
    from . import __version__

    folder = sample_dir(data_dir)
    real = RealSample(folder, missing_sample_files(folder))
    if real.missing:
        log.warning("real FISBe sample not available: %s", real.note)
    claims = [
        _bind(claim_real_r14a02, real),
        _bind(claim_vt011145_row, real),
        _bind(claim_performance, real),
        claim_metric_suite,
        claim_two_d_mode,
        claim_dataset_rows,
        claim_shift_tolerance,
        claim_merge_coverage,
        claim_false_splits_merges,
        claim_small_component_filter,
        claim_dense_channel_equivalence,
        claim_perfect_prediction,
        _bind(claim_baselines, real),
        claim_end_to_end,
    ]
    return run_claims(
        PACKAGE,
        __version__,
        out_dir,
        claims,
        quick=quick,
        seed=seed,
        progress=progress,
        threads=threads,
        params={"quick": quick, "data_dir": str(folder) if folder is not None else None},
        libraries=("numpy", "scipy", "scikit-image", "zarr", "h5py", "scikit-learn"),
    )
