"""The command line on the user's data: image folders in, a safe network file, a CSV of matches and
neurotypes SpikeCounts out; user errors are one line with status 2."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from neurotypes import SpikeCounts
from snn_vpr.cli import main
from snn_vpr.data import synthetic_traverses
from snn_vpr.model import ModularSNN


def _write_traverses(root: Path, places: int) -> dict[str, Path]:
    d = synthetic_traverses(places, 32, seed=0)
    out = {}
    for t in ("ref_a", "ref_b", "query", "calibration"):
        folder = root / t
        folder.mkdir(parents=True)
        for k, im in enumerate(d.select(t).images):
            Image.fromarray(np.clip(im * 255, 0, 255).astype(np.uint8)).save(folder / f"frame_{k:04d}.png")
        out[t] = folder
    return out


def test_fit_then_run_on_image_folders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _write_traverses(tmp_path / "data", 4)
    net_file = tmp_path / "net.npz"
    small = ["--region-size", "2", "--n-e", "4", "--epochs", "1", "--present-ms", "30", "--device", "cpu"]
    assert (
        main(
            [
                "fit",
                str(f["ref_a"]),
                str(f["ref_b"]),
                *small,
                "--calibration",
                str(f["calibration"]),
                "--out",
                str(net_file),
                "-q",
            ]
        )
        == 0
    )
    net = ModularSNN.load(net_file)
    assert net.places_.tolist() == [0, 1, 2, 3] and len(net.regions_) == 2
    csv, counts = tmp_path / "m.csv", tmp_path / "counts.npz"
    assert (
        main(
            [
                "run",
                str(net_file),
                str(f["query"]),
                "--aligned",
                "--engine",
                "reference",
                "--out",
                str(csv),
                "--responses",
                str(counts),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "R@1:" in out and "AUC-PR:" in out
    rows = csv.read_text().splitlines()
    assert rows[0] == "query_file,place,score" and len(rows) == 5
    assert [r.split(",")[0] for r in rows[1:]] == [f"frame_{k:04d}.png" for k in range(4)]
    assert all(int(r.split(",")[1]) in range(4) for r in rows[1:])
    sc = SpikeCounts.load(counts)
    assert sc.counts.shape == (2 * 4, 4)  # units (2 modules x 4 neurons) x queries


def _one_line(capsys: pytest.CaptureFixture[str], status: int, name: str) -> None:
    assert status == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("snn-vpr: error:") and name in err[0], err


def test_user_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere"
    _one_line(capsys, main(["fit", str(missing)]), "nowhere")
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"\x00 not a network \xff" * 8)
    _one_line(capsys, main(["run", str(garbage), str(tmp_path)]), "garbage.npz")
    empty = tmp_path / "empty"
    empty.mkdir()
    _one_line(capsys, main(["fit", str(empty)]), "empty")
    _one_line(capsys, main(["fit", str(empty), "--epochs", "0"]), "--epochs")
    with pytest.raises(SystemExit) as e:
        main(["fit", str(empty), "--seed", "-1"])
    assert e.value.code == 2


def test_help_lists_the_verbs(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    text = capsys.readouterr().out
    for verb in ("reproduce", "fit", "run", "info"):
        assert verb in text
