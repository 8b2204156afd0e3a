"""The command line: help, fit on a user's text file, run writing spike trains, one-line errors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import neurotypes
from astrosnn import load_model
from astrosnn.cli import main

CORPUS = "the quick brown fox jumps over the lazy dog. " * 60


def _fit(tmp_path, *extra):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(CORPUS, encoding="utf-8")
    model = tmp_path / "model.npz"
    rc = main(
        [
            "fit",
            str(corpus),
            "--out",
            str(model),
            "--steps",
            "2",
            "--d-model",
            "8",
            "--layers",
            "1",
            "--seq-len",
            "16",
            "--batch",
            "4",
            "-q",
            *extra,
        ]
    )
    return rc, corpus, model


def test_help_exits_cleanly(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert "reconstruction" in capsys.readouterr().out


def test_fit_then_run_on_a_user_text_file(tmp_path, capsys):
    rc, corpus, model = _fit(tmp_path)
    assert rc == 0 and model.is_file()
    assert "held-out cross-entropy" in capsys.readouterr().out
    lm, tok = load_model(model)
    assert lm.config.d_model == 8 and tok.vocab_size == len(set(CORPUS))
    spikes = tmp_path / "spikes.npz"
    rc = main(
        ["run", str(model), str(corpus), "--out", str(spikes), "--generate", "10", "--max-tokens", "100"]
    )
    out = capsys.readouterr().out
    assert rc == 0 and "cross-entropy" in out and "sample:" in out
    trains = neurotypes.load(spikes)
    assert isinstance(trains, neurotypes.SpikeTrains)
    assert trains.n_units == 8
    assert trains.t_stop == pytest.approx(99 * 1e-3)  # 100 tokens: 99 inputs, one step each


def test_run_writes_nwb_read_back_by_neurotypes(tmp_path):
    pytest.importorskip("pynwb")
    _, corpus, model = _fit(tmp_path)
    nwb, npz = tmp_path / "spikes.nwb", tmp_path / "spikes.npz"
    for out in (nwb, npz):
        assert (
            main(["run", str(model), str(corpus), "--out", str(out), "--generate", "0", "--max-tokens", "80"])
            == 0
        )
    a, b = neurotypes.SpikeTrains.from_nwb(nwb), neurotypes.load(npz)
    counts_a = np.bincount(a.units, minlength=8)
    counts_b = np.bincount(b.units, minlength=8)
    np.testing.assert_array_equal(counts_a[: b.n_units], counts_b)
    np.testing.assert_allclose(np.sort(a.times), np.sort(b.times))


def _cli(tmp_path, *args):
    code = "import sys; from astrosnn.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )


@pytest.mark.parametrize("content", [b"", b"\x00\x01 not text \xff" * 5])
def test_fit_refuses_empty_or_binary_files_in_one_line(tmp_path, content):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    res = _cli(tmp_path, "fit", str(bad), "--steps", "1")
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("astrosnn: error:") and "bad.txt" in lines[0]


def test_run_refuses_a_foreign_model_file_in_one_line(tmp_path):
    text = tmp_path / "t.txt"
    text.write_text(CORPUS)
    fake = tmp_path / "fake.npz"
    np.savez(fake, x=np.zeros(3))
    res = _cli(tmp_path, "run", str(fake), str(text))
    assert res.returncode == 2 and "fake.npz" in res.stderr and "Traceback" not in res.stderr


def test_bad_sizes_are_user_errors(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(CORPUS)
    res = _cli(tmp_path, "fit", str(corpus), "--steps", "0")
    assert res.returncode == 2 and "--steps" in res.stderr
