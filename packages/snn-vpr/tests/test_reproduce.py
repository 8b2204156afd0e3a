"""The reproduction: every claim of the spec measured on run_claims, criteria pre-registered, numbers checked."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from snn_vpr.reproduce import Settings, reproduce

TINY = Settings(
    n_places=8,
    region_size=4,
    n_e=10,
    epochs=1,
    t_present=40.0,
    checkpoints=(1,),
    seeds=2,
    scaling_places=(4, 8),
    scaling_region=4,
    neurons_per_place=2,
    scaling_present=20.0,
    scaling_repeats=1,
)


def test_reproduce_writes_every_claim(tmp_path: Path) -> None:
    """Tiny sizes: the report's structure, and the measured numbers of the claims that need no learning."""
    report = reproduce(tmp_path, settings=TINY, device="cpu")
    assert (tmp_path / "report.json").is_file() and (tmp_path / "report.md").is_file()
    for fig in ("distance_matrix.png", "scaling.png", "learning_curve.png"):
        assert (tmp_path / fig).is_file()
    data = json.loads((tmp_path / "report.json").read_text())
    assert len(data["claims"]) == 7
    by_name = {c.name: c for c in report.claims}
    size = by_name["Module size '1500 neurons, 474k synapses'"].measured
    assert size["neurons"] == 1584 and size["synapses"] == 473_600
    assert size["input synapses (built module)"] == 784 * 400
    pn = by_name["Patch normalisation removes global illumination changes"].measured
    assert len(pn["SAD R@1, raw"]) == 2
    assert all(a > b for a, b in zip(pn["SAD R@1, patch-normalised"], pn["SAD R@1, raw"], strict=True))
    nordland = next(c for c in report.claims if c.name.startswith("Modular SNN scales to Nordland"))
    assert nordland.missing and "Nordland" in nordland.missing
    # every learning claim carries one value per seed, and its criteria read them
    learn = by_name["A compact module learns its own region's places far above chance"]
    assert len(learn.measured["mean per-module R@1"]) == 2
    assert all(c.seeds == 2 for c in learn.criteria)
    assert (
        learn.passed is all(v >= 0.8 for v in learn.measured["mean per-module R@1"]) or learn.passed is None
    )
    scal = by_name["Modularity keeps training cost ~linear in places; one big network grows faster"]
    rows = scal.measured["rows"]
    assert {(r["places"], r["kind"]) for r in rows} == {
        (4, "modular"),
        (4, "single"),
        (8, "modular"),
        (8, "single"),
    }
    assert all(r["train_s_per_epoch"] > 0 for r in rows)
    # the verdict follows the measured exponents (it can fail: it is not a configuration count)
    e_mod = scal.measured["modular training-time exponent"]
    gap = scal.measured["single-network exponent minus modular exponent"]
    assert scal.passed is (e_mod <= 1.25 and gap >= 0.5)


def test_reproduce_validates() -> None:
    with pytest.raises(ValueError, match="device"):
        reproduce("unused", device="tpu")
    with pytest.raises(TypeError, match="quick"):
        reproduce("unused", quick="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="seed"):
        reproduce("unused", seed=-1)


@pytest.mark.slow
def test_quick_reproduce_learning_claims(tmp_path: Path) -> None:
    """The quick reproduction's regularisation claims (spec sizes, 5 epochs at 350 ms, 3 seeds): the gain of
    calibrated T over T = 0 is at least the pre-registered 0.1 R@1 on every seed."""
    report = reproduce(tmp_path, quick=True, device="cpu")
    by_name = {c.name: c for c in report.claims}
    m = by_name["Removing hyperactive neurons (T from calibration queries) restores accuracy"].measured
    gains = [a - b for a, b in zip(m["modular R@1, T calibrated"], m["modular R@1, T = 0"], strict=True)]
    assert min(gains) >= 0.1, gains


def test_import_changes_nothing_global() -> None:
    """``import snn_vpr`` neither switches matplotlib's backend nor imports pyplot (or numba), and leaves the
    environment, logging and warning filters as its dependencies' imports left them (torch adds filters)."""
    import subprocess
    import sys

    code = (
        "import sys, os, logging, warnings, matplotlib, numpy, torch, PIL.Image, tqdm.auto, neurotypes\n"
        "before = (matplotlib.rcParams._get('backend'), dict(os.environ), logging.root.level, list(warnings.filters))\n"
        "import snn_vpr\n"
        "after = (matplotlib.rcParams._get('backend'), dict(os.environ), logging.root.level, list(warnings.filters))\n"
        "assert before == after, (before[0], after[0])\n"
        "assert 'matplotlib.pyplot' not in sys.modules and 'numba' not in sys.modules\n"
    )
    subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        env={k: v for k, v in os.environ.items() if k != "MPLBACKEND"},
    )
