"""Measure the spec's claims: ``reproduce(out_dir, quick=True) -> neurotypes.Report``.

Claims are measured on the embedded synthetic cases (A, B, toy FISBe), on the official evaluator's
published results shipped inside the package (:mod:`fisbe_bench.official`) and on two real FISBe
images (CC BY 4.0, about 14 MB) that are *not* part of the wheel: name their folder with
``data_dir`` / ``--data DIR`` or the environment variable ``FISBE_SAMPLE_DIR``.  Without them the
claims that need them are reported "not testable offline" with the missing files named; the set
of claims is the same either way.  Criteria were fixed before measuring.
"""

from __future__ import annotations

import json
import logging
import math
import os
import resource
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .baselines import colour_clustering
from .dataset import ImageRecord, aggregate, record_from_scores, summary_table
from .io import atomic_write_text, read_fisbe_zarr, read_labels
from .localize import cl_matrices
from .official import fisbe_split, r14a02_official, read_summary_csv
from .scores import FisbeScores, evaluate
from .synth import case_a, case_b, toy_fisbe

__all__ = [
    "DATA_ENV",
    "REAL_IMAGES",
    "compare_with_official",
    "default_data_dir",
    "missing_sample_files",
    "reproduce",
]

logger = logging.getLogger(__name__)

REAL_IMAGES = ("R14A02-20180905_65_A6", "VT011145-20171222_63_I2")
PRED_KEY = "volumes/gmm_label_cleaned"
#: Environment variable naming the folder of the real FISBe sample.
DATA_ENV = "FISBE_SAMPLE_DIR"
#: Where the real sample can be had (printed when it is missing).
HOW_TO_GET = (
    "get the two-image FISBe sample (about 14 MB: <name>.zarr ground truth and pred/<name>.hdf) from the "
    "neurozoo repository (packages/fisbe-bench/tests/data/fisbe-sample) or from "
    "Kainmueller-Lab/evaluate-instance-segmentation (tests/gt/<name>.zarr at commit fdea924, "
    f"tests/pred/<name>.hdf at cc34f4d), then pass --data DIR or set {DATA_ENV}=DIR"
)
#: The official evaluator on R14A02 (issue #17): 302 s and about 8 GB on 2 cores.
OFFICIAL_SECONDS = 302.0
OFFICIAL_GB = 8.0


def default_data_dir() -> Path | None:
    """The folder named by ``$FISBE_SAMPLE_DIR``, or None (the sample is not shipped in the wheel)."""
    env = os.environ.get(DATA_ENV)
    return Path(env) if env else None


def missing_sample_files(data_dir: str | os.PathLike[str] | None) -> list[str]:
    """The files of the real sample (``<name>.zarr``, ``pred/<name>.hdf``) absent from ``data_dir``."""
    if data_dir is None:
        return [f"{n}.zarr" for n in REAL_IMAGES] + [f"pred/{n}.hdf" for n in REAL_IMAGES]
    d = Path(data_dir)
    need = [d / f"{n}.zarr" for n in REAL_IMAGES] + [d / "pred" / f"{n}.hdf" for n in REAL_IMAGES]
    return [str(p) for p in need if not p.exists()]


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
    """Compare every number of an official ``evalinstseg`` TOML dict with ``scores``.

    Returns
    -------
    list of (key, official value, our value, absolute difference)
        One row per leaf of ``official`` (strings are parsed as floats); a key missing on our side
        gets difference ``inf``.
    """
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


def _not_offline(missing: list[str]) -> str:
    return "real FISBe sample not available: missing " + ", ".join(missing) + "; " + HOW_TO_GET


def _peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # Linux: kB


def _figure_case_a(path: Path, gt: np.ndarray, pred: np.ndarray, cld: np.ndarray) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 3, figsize=(12, 3.6))
    ax[0].imshow(gt.max(axis=0), cmap="tab10", vmin=0, vmax=9, interpolation="nearest")
    ax[0].set_title("case A ground truth (max proj.)")
    ax[1].imshow(pred.max(axis=0), cmap="tab10", vmin=0, vmax=9, interpolation="nearest")
    ax[1].set_title("prediction: split, merge, shift, FP")
    im = ax[2].imshow(cld[1:, 1:], cmap="viridis", vmin=0, vmax=1)
    ax[2].set_xlabel("predicted instance")
    ax[2].set_ylabel("GT instance")
    ax[2].set_title("clDice")
    fig.colorbar(im, ax=ax[2])
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _figure_toy(
    path: Path, raw: np.ndarray, gt: np.ndarray, seg: np.ndarray, per_image: list[FisbeScores]
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 4, figsize=(16, 4))
    rgb = np.moveaxis(raw.max(axis=1), 0, -1)
    ax[0].imshow(rgb / max(float(rgb.max()), 1e-6))
    ax[0].set_title("toy FISBe raw (max proj.)")
    gmax = (gt * np.arange(1, gt.shape[0] + 1)[:, None, None, None]).max(axis=(0, 1))
    ax[1].imshow(gmax, cmap="tab20", interpolation="nearest")
    ax[1].set_title("ground truth")
    ax[2].imshow(seg.max(axis=0), cmap="tab20", interpolation="nearest")
    ax[2].set_title("colour-clustering baseline")
    ths = [t.threshold for t in per_image[0].per_threshold[:9]]
    for k, s in enumerate(per_image):
        ax[3].plot(ths, [t.f1 for t in s.per_threshold[:9]], marker="o", label=f"toy {k}")
    ax[3].set_xlabel("clDice threshold")
    ax[3].set_ylabel("F1")
    ax[3].set_ylim(0, 1.05)
    ax[3].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _figure_real(path: Path, named: list[tuple[str, FisbeScores]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 2, figsize=(11, 4))
    for name, s in named:
        ths = [t.threshold for t in s.per_threshold[:9]]
        ax[0].plot(ths, [t.f1 for t in s.per_threshold[:9]], marker="o", label=name)
        ax[1].bar([f"{name[:6]}\nGT{i + 1}" for i in range(len(s.gt_coverage))], s.gt_coverage)
    ax[0].set_xlabel("clDice threshold")
    ax[0].set_ylabel("F1 (GMM colour baseline, rm800)")
    ax[0].legend(fontsize=7)
    ax[1].set_ylabel("GT skeleton coverage")
    ax[1].tick_params(axis="x", labelsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


#: Official summary columns whose avg_inst value needs counts a partly labelled image's row lacks.
_UNDETERMINED_NOTE = (
    "the F1 at thresholds other than 0.5 of a partly labelled image is 2 TP / (TP + FP + nGT) with FP not "
    "nPred - TP, so its TP and FP are not recoverable from its row"
)


def _compare_rows(
    ours: Mapping[str, float], official: Mapping[str, float]
) -> tuple[int, float, str, list[str]]:
    """Compare two summary rows: (columns compared, max relative difference, worst column, NaN-only columns)."""
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


def reproduce(
    out_dir: str | os.PathLike[str],
    quick: bool = True,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    progress: bool = True,
) -> Any:
    """Measure every claim of the spec and write report.json, report.md and figures to ``out_dir``.

    Parameters
    ----------
    out_dir : path
        Output folder (created).
    quick : bool
        Quick mode: 2 small toy volumes; full mode: 6 larger ones.  Both evaluate the two real images.
    data_dir : path, optional
        Folder with the real FISBe sample (``<name>.zarr``, ``pred/<name>.hdf``); default
        ``$FISBE_SAMPLE_DIR``.  Without it the claims that need the images are "not testable
        offline" (the report names the missing files and where to get them).
    progress : bool
        Show a progress bar (tqdm, on stderr) over the steps.

    Returns
    -------
    neurotypes.Report
        Always the same 12 claims.
    """
    from tqdm import tqdm

    from neurotypes import Claim, Report

    for module in ("matplotlib", "sklearn"):
        try:
            __import__(module)
        except ImportError as err:
            raise ImportError(
                f"reproduce draws figures and runs the colour-clustering baseline; it needs {module}: "
                "pip install 'fisbe-bench[reproduce]'"
            ) from err

    from . import __version__

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    claims: list[Any] = []
    ddir = Path(data_dir) if data_dir is not None else default_data_dir()
    missing = missing_sample_files(ddir)
    if missing:
        logger.warning("%s", _not_offline(missing))
    n_toy, shape = (2, (40, 128, 128)) if quick else (6, (64, 192, 192))
    steps = ["synthetic cases A and B"] + ([] if missing else [f"real image {n}" for n in REAL_IMAGES])
    steps += [f"toy FISBe volume {k + 1}/{n_toy}" for k in range(n_toy)] + ["official dataset rows"]
    bar = tqdm(total=len(steps), desc="fisbe-bench reproduce", unit="step", disable=not progress)

    def step(k: int) -> None:
        bar.set_postfix_str(steps[k], refresh=True)

    # ---- synthetic cases ------------------------------------------------------------------
    step(0)
    gt_a, pred_a = case_a()
    s_none = evaluate(gt_a, pred_a, min_instance_size=None)
    s_800 = evaluate(gt_a, pred_a, min_instance_size=800)
    cld, _rec, prec = cl_matrices(gt_a, pred_a)
    _figure_case_a(out / "case_a.png", gt_a, pred_a, cld)
    gt_b, pred_b = case_b(seed=0)
    s_b = evaluate(gt_b, pred_b, min_instance_size=None)
    s_b_h = evaluate(gt_b, pred_b, min_instance_size=None, matching="hungarian")
    s_a_h = evaluate(gt_a, pred_a, min_instance_size=None, matching="hungarian")
    bar.update(1)

    # ---- real images (FISBe's labelling of each sample decides the partly mode) -------------
    split = fisbe_split()
    real: list[tuple[str, FisbeScores, float, float]] = []
    if not missing:
        assert ddir is not None
        for k, name in enumerate(REAL_IMAGES):
            step(1 + k)
            t0 = time.perf_counter()
            c0 = time.process_time()
            sample = read_fisbe_zarr(ddir / f"{name}.zarr")
            pred = read_labels(ddir / "pred" / f"{name}.hdf", PRED_KEY)
            sc = evaluate(
                sample.gt,
                pred,
                min_instance_size=800,
                dim_instances=sample.dim_neurons,
                partly=split[name][1],
            )
            elapsed = time.perf_counter() - t0
            cpu = time.process_time() - c0
            real.append((name, sc, cpu, _peak_rss_gb()))
            logger.info("%s: wall %.1f s, CPU %.1f s", name, elapsed, cpu)
            atomic_write_text(
                out / f"scores_{name}.json", json.dumps(sc.to_reference_dict(), indent=1, default=float)
            )
            bar.update(1)
        _figure_real(out / "real_images.png", [(n, s) for n, s, _, _ in real])

    # claim 1: agreement with the official evaluator
    name1 = "Metric suite equals the official evaluator (every number of its R14A02 output)"
    if real:
        rows = compare_with_official(real[0][1], r14a02_official())
        worst = max(rows, key=lambda r: r[3])
        ok = all(r[3] <= 1e-6 for r in rows)
        claims.append(
            Claim(
                name=name1,
                paper="evalinstseg FlyLight preset on R14A02: S=0.36567, avF1=0.34722, C=0.38412, FS=FM=0 (+all keys)",
                measured={
                    "keys_compared": len(rows),
                    "max_abs_diff": worst[3],
                    "worst_key": worst[0],
                    "S": real[0][1].S,
                    "avF1": real[0][1].avF1,
                    "C": real[0][1].C,
                },
                criterion="every official value (counts, F1/AP per threshold, coverages, dim/overlap subsets) within 1e-6",
                passed=ok,
                figures=("real_images.png",),
                notes=(
                    "Synthetic cases A and B and random 2-D / 3-D cases are compared with evalinstseg in the "
                    "package's tests (recorded official values); their values here: "
                    f"A S={s_none.S:.6f} avF1={s_none.avF1:.6f} C={s_none.C:.6f} FS={s_none.fs} FM={s_none.fm}; "
                    f"B S={s_b.S:.6f} avF1={s_b.avF1:.6f} C={s_b.C:.6f}."
                ),
            )
        )
    else:
        claims.append(
            Claim(
                name=name1,
                paper="evalinstseg FlyLight preset output (shipped in the package)",
                measured=None,
                criterion="every official value within 1e-6",
                passed=None,
                notes=_not_offline(missing),
            )
        )

    # claim 2: shift tolerance (GT4 against its +1-voxel shifted copy, alone)
    shifted = np.zeros_like(gt_a)
    shifted[:, 1:, :] = (gt_a == 4)[:, :-1, :]
    shift_cld = float(cl_matrices((gt_a == 4).astype(np.uint8), shifted.astype(np.uint8))[0][1, 1])
    claims.append(
        Claim(
            name="Centreline localisation tolerates small misalignment",
            paper="design rationale: a 1-voxel shift of a radius-2 tube keeps clDice 1.0",
            measured=shift_cld,
            criterion="clDice(GT4, GT4 shifted by +1 voxel in y) == 1.0",
            passed=bool(shift_cld == 1.0),
            figures=("case_a.png",),
        )
    )
    # claim 3: merge coverage
    winner = int(np.argmax(prec[:, 2]))
    loser = 2 if winner == 3 else 3
    claims.append(
        Claim(
            name="Coverage penalises merges",
            paper="a merged prediction covers only the GT with the higher clPrecision; the other GT gets 0",
            measured={
                "clPrecision(GT2, merged)": float(prec[2, 2]),
                "clPrecision(GT3, merged)": float(prec[3, 2]),
                "assigned_to": winner,
                f"coverage GT{winner}": s_none.gt_coverage[winner - 1],
                f"coverage GT{loser}": s_none.gt_coverage[loser - 1],
            },
            criterion="merged prediction assigned to argmax clPrecision GT, the other merged GT has coverage 0",
            passed=bool(
                winner in (2, 3)
                and s_none.gt_coverage[loser - 1] == 0.0
                and s_none.gt_coverage[winner - 1] > 0.9
            ),
            figures=("case_a.png",),
        )
    )
    # claim 4: FS / FM respond to the planted errors
    pred_fix_split = pred_a.copy()
    pred_fix_split[pred_fix_split == 5] = 1
    pred_fix_merge = pred_a.copy()
    pred_fix_merge[(pred_a == 2) & (gt_a == 3)] = 7
    pred_fix_merge[(pred_a == 2) & (gt_a == 0)] = 0
    s_fs = evaluate(gt_a, pred_fix_split, min_instance_size=None)
    s_fm = evaluate(gt_a, pred_fix_merge, min_instance_size=None)
    claims.append(
        Claim(
            name="FS/FM attribute topological errors",
            paper="false splits count the planted split, false merges the planted merge",
            measured={
                "FS": s_none.fs,
                "FM": s_none.fm,
                "FS split repaired": s_fs.fs,
                "FM merge repaired": s_fm.fm,
            },
            criterion="case A: FS == 1 and FM == 1; FS -> 0 when the split is repaired, FM -> 0 when the merge is",
            passed=bool(s_none.fs == 1 and s_none.fm == 1 and s_fs.fs == 0 and s_fm.fm == 0),
        )
    )
    # claim 5: small-component filter
    headline = ("S", "avF1", "C", "cldice_tp", "tp", "fs", "fm")
    changed = {k: (getattr(s_none, k), getattr(s_800, k)) for k in headline}
    n_changed = sum(1 for a, b in changed.values() if a != b)
    claims.append(
        Claim(
            name="Small-component filter matters",
            paper="CLI preset 800: split halves and FP tube removed, every headline number changes",
            measured={
                "n_pred None/800": [s_none.n_pred, s_800.n_pred],
                **{k: list(v) for k, v in changed.items()},
            },
            criterion="with 800 the 3 small predictions are removed and all 7 headline numbers change",
            passed=bool(s_none.n_pred - s_800.n_pred == 3 and n_changed == len(headline)),
            notes=(
                f"{n_changed} of {len(headline)} headline numbers change; FM stays "
                f"{s_800.fm} because the planted merge (2578 voxels) survives the filter, so the spec's "
                "'every headline number' cannot hold for case A as specified."
            ),
        )
    )
    # claim 6: dense vs channel GT
    chans = np.stack([(gt_a == k).astype(np.uint8) for k in range(1, 5)])
    s_ch = evaluate(chans, pred_a, min_instance_size=None)
    same = s_ch.to_dict() == s_none.to_dict()
    claims.append(
        Claim(
            name="Dense and channel GT formats are equivalent",
            paper="format",
            measured={"identical": same, "S dense": s_none.S, "S channels": s_ch.S},
            criterion="every field of the scores identical for ZYX dense and CZYX binary-channel GT",
            passed=bool(same),
        )
    )
    # claim 7: perfect prediction
    perfect = [evaluate(gt_a, gt_a, min_instance_size=None), evaluate(gt_b, gt_b, min_instance_size=None)]
    ok7 = all(
        s.S == 1.0
        and s.avF1 == 1.0
        and s.C == 1.0
        and s.cldice_tp == 1.0
        and s.tp == 1.0
        and s.fs == 0
        and s.fm == 0
        for s in perfect
    )
    claims.append(
        Claim(
            name="Perfect prediction scores 1",
            paper="definition",
            measured={
                "S": [s.S for s in perfect],
                "FS": [s.fs for s in perfect],
                "FM": [s.fm for s in perfect],
            },
            criterion="pred = GT (cases A and B): S, avF1, C, clDiceTP, tp all 1.0, FS = FM = 0",
            passed=bool(ok7),
        )
    )
    # claim 8: learned baselines (not testable offline)
    claims.append(
        Claim(
            name="Baselines (PatchPerPix best, FFN, colour clustering) score low; FISBe is unsolved",
            paper="Table 3 (values not retrieved here; cite the paper)",
            measured={n: {"S": s.S, "avF1": s.avF1, "C": s.C} for n, s, _, _ in real} or None,
            criterion="learned baselines need GPU training: not run",
            passed=None,
            notes="measured: the GMM colour baseline predictions shipped with the evaluator on the two real images",
        )
    )
    # claim 9: end to end on a real segmenter
    toy_scores = []
    first = None
    n_real = len(steps) - n_toy - 2
    for k in range(n_toy):
        step(1 + n_real + k)
        toy = toy_fisbe(shape, n_neurons=5 if quick else 8, seed=100 + k)
        seg = colour_clustering(toy.raw, seed=k)
        toy_scores.append(evaluate(toy.gt, seg, min_instance_size=None))
        if first is None:
            first = (toy.raw, toy.gt, seg)
        bar.update(1)
    assert first is not None
    _figure_toy(out / "toy_fisbe.png", first[0], first[1], first[2], toy_scores)
    agg = aggregate(toy_scores)
    finite = all(math.isfinite(v) for v in (agg.S, agg.avF1, agg.C))
    claims.append(
        Claim(
            name="The evaluation pipeline runs end to end on a real (non-learned) segmenter",
            paper="no paper number (toy data)",
            measured={
                "dataset": {"S": agg.S, "avF1": agg.avF1, "C": agg.C, "FS": agg.fs, "FM": agg.fm},
                "n_volumes": n_toy,
            },
            criterion="colour-clustering baseline on toy FISBe volumes evaluated; dataset S, avF1, C finite in [0, 1]",
            passed=bool(finite and 0 <= agg.S <= 1),
            figures=("toy_fisbe.png",),
            notes="baseline recipe is a labelled reconstruction (Otsu foreground, chromaticity GMM, 26-connected components)",
        )
    )
    # claim 10: performance on the real images
    name10 = "Real FISBe images: same numbers >= 5x faster, <= 1/3 memory; VT011145 fits 24 GB"
    paper10 = f"official evaluator: R14A02 {OFFICIAL_SECONDS:.0f} s, ~{OFFICIAL_GB:.0f} GB; VT011145 killed at 24 GB"
    crit10 = (
        f"R14A02 CPU time <= {OFFICIAL_SECONDS / 5:.1f} s and peak RSS <= {OFFICIAL_GB / 3:.2f} GB; "
        "VT011145 completes"
    )
    if real:
        r14, vt = real[0], real[1]
        claims.append(
            Claim(
                name=name10,
                paper=paper10,
                measured={
                    "R14A02 CPU seconds (read + evaluate)": round(r14[2], 1),
                    "VT011145 CPU seconds": round(vt[2], 1),
                    "peak RSS GB (whole reproduce process)": round(max(r[3] for r in real), 2),
                },
                criterion=crit10,
                passed=bool(r14[2] <= OFFICIAL_SECONDS / 5 and max(r[3] for r in real) <= OFFICIAL_GB / 3),
                notes=(
                    "CPU time (process_time) is the criterion because the shared 2-core machine is loaded and wall "
                    "time is noisy; the code is single-threaded, so on an idle machine wall ~ CPU. Reference numbers "
                    "are the spec's (wall time, 2 cores)."
                ),
            )
        )
    else:
        claims.append(
            Claim(
                name=name10,
                paper=paper10,
                measured=None,
                criterion=crit10,
                passed=None,
                notes=_not_offline(missing),
            )
        )

    # claim 11: the second real image against its row of the official 23-image summary
    cols, official_rows = read_summary_csv()
    by_name = dict(official_rows)
    vt_name = REAL_IMAGES[1]
    name11 = "VT011145 equals its official row in every metric of the official summary"
    crit11 = (
        "all 33 columns of its row in the official summary_brainbow_combined.csv (partly labelled, FlyLight "
        "preset): counts exact, scores within 1e-6 (they are float32 values printed in float64)"
    )
    if real:
        ours11 = record_from_scores(real[1][1], vt_name).row
        n11, worst11, key11, nan11 = _compare_rows(ours11, by_name[vt_name])
        claims.append(
            Claim(
                name=name11,
                paper=f"official row: S={by_name[vt_name]['general avg_f1_cov_score']:.6f}, nGT 8, nPred 4",
                measured={
                    "columns_compared": n11,
                    "max_rel_diff": worst11,
                    "worst_column": key11,
                    "S": real[1][1].S,
                    "avF1": real[1][1].avF1,
                    "C": real[1][1].C,
                },
                criterion=crit11,
                passed=bool(n11 == len(cols) and not nan11 and worst11 <= 1e-6),
                notes="evaluated with partly=True: FISBe's split list marks VT011145-20171222_63_I2 as partly labelled",
            )
        )
    else:
        claims.append(
            Claim(
                name=name11,
                paper="official summary_brainbow_combined.csv row (shipped in the package)",
                measured=None,
                criterion=crit11,
                passed=None,
                notes=_not_offline(missing),
            )
        )

    # claim 12: dataset rows of the official 23-image summary from its per-image rows
    step(len(steps) - 1)
    images = [(n, r) for n, r in official_rows if n not in ("mean", "sum", "avg_inst")]
    records = [ImageRecord.from_summary_row(n, r, partly=split[n][1]) for n, r in images]
    table = dict(summary_table(records, cols))
    measured12: dict[str, Any] = {}
    ok12 = True
    undetermined: list[str] = []
    for row_name in ("mean", "sum", "avg_inst"):
        n_cols, worst_rel, worst_col, nan_cols = _compare_rows(table[row_name], by_name[row_name])
        measured12[row_name] = {
            "columns_equal_checked": n_cols,
            "max_rel_diff": worst_rel,
            "worst_column": worst_col,
        }
        tol = 2e-7 if row_name == "avg_inst" else 1e-12
        ok12 = ok12 and worst_rel <= tol
        if row_name != "avg_inst":
            ok12 = ok12 and not nan_cols
        else:
            undetermined = nan_cols
    expected_nan = {f"th_0_{k} fscore" for k in (1, 2, 3, 4, 6, 7, 8, 9)}
    expected_nan |= {"confusion_matrix avFscore", "general avg_f1_cov_score"}
    ok12 = ok12 and set(undetermined) == expected_nan
    measured12["avg_inst_not_determined_by_rows"] = sorted(undetermined)
    measured12["n_images"] = len(records)
    measured12["n_partly"] = sum(r.partly for r in records)
    claims.append(
        Claim(
            name="Dataset rows (mean, sum, avg_inst) of the official 23-image summary recomputed from its per-image rows",
            paper="evalinstseg summary_brainbow_combined.csv (FISBe test split, combined score)",
            measured=measured12,
            criterion=(
                "mean and sum: every column within 1e-12 (relative); avg_inst (combined: mean of the completely and "
                "partly labelled sets' aggregates): every column the per-image rows determine within 2e-7 (float32 "
                "values), exactly the 10 columns that need partly labelled images' counts at thresholds other than "
                "0.5 left undetermined (NaN)"
            ),
            passed=bool(ok12),
            notes="undetermined avg_inst columns: " + _UNDETERMINED_NOTE,
        )
    )
    bar.update(1)
    bar.close()
    extra = {
        "case_a_hungarian_equals_greedy": s_a_h.to_dict()["per_threshold"]
        == s_none.to_dict()["per_threshold"],
        "case_b_hungarian_S": s_b_h.S,
    }
    report = Report(
        package="fisbe-bench",
        version=__version__,
        claims=tuple(claims),
        params={"quick": quick, "data_dir": str(ddir) if ddir is not None else None, **extra},
    )
    report.write(out)
    return report
