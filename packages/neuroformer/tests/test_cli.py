"""The command line: verbs and flags, fit/run on a spike table, one-line errors with status 2."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from neuroformer import load_model
from neuroformer.cli import main


def events_csv(path, seconds: float = 30.0, n: int = 4, rate: float = 8.0):
    rng = np.random.default_rng(0)
    rows = ["unit,time"]
    for u in range(n):
        times = np.sort(rng.uniform(0, seconds, rng.poisson(rate * seconds)))
        rows += [f"u{u},{t:.5f}" for t in times]
    path.write_text("\n".join(rows) + "\n")
    return path


TINY = {
    "dt": 0.02,
    "window": 0.2,
    "window_prev": 0.2,
    "id_block_size": 40,
    "prev_id_block_size": 40,
    "n_embd": 16,
    "n_head": 2,
    "n_state_layers": 1,
    "n_state_history_layers": 1,
    "n_stimulus_layers": 0,
    "n_self_layers": 1,
    "batch_size": 64,
}


def test_help_lists_the_verbs(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for verb in ("reproduce", "fit", "run", "info"):
        assert verb in out


def test_help_imports_no_heavy_library():
    code = (
        "import sys\nfrom neuroformer.cli import main\n"
        "for a in (['--help'], ['fit', '--help'], ['reproduce', '--help']):\n"
        "    try:\n        main(a)\n    except SystemExit:\n        pass\n"
        "print([m for m in ('torch', 'lightning', 'transformers', 'matplotlib', 'sklearn') if m in sys.modules])"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.stdout.strip().splitlines()[-1] == "[]"


def test_fit_and_run_on_an_events_table(tmp_path, capsys):
    spikes = events_csv(tmp_path / "spikes.csv")
    conf = tmp_path / "conf.json"
    conf.write_text(json.dumps(TINY))
    model_path = tmp_path / "model.npz"
    assert (
        main(["fit", str(spikes), "--config", str(conf), "--out", str(model_path), "-q", "--seed", "3"]) == 0
    )
    model = load_model(model_path)
    assert model.meta["unit_ids"] == ["u0", "u1", "u2", "u3"]
    assert model.meta["tokenizer"]["window"] == 0.2 and model.meta["seed"] == 3
    out = tmp_path / "run.npz"
    assert main(["run", str(model_path), str(spikes), "--out", str(out), "-q"]) == 0
    with np.load(out, allow_pickle=False) as z:
        assert z["connectivity"].shape == (4, 4)
        assert z["log_likelihood"].shape == z["anchors"].shape
        assert json.loads(str(z["header"]))["unit_ids"] == ["u0", "u1", "u2", "u3"]
    assert "results written" in capsys.readouterr().out
    # a recording with other units is refused, naming the file
    other = events_csv(tmp_path / "three.csv", n=3)
    assert main(["run", str(model_path), str(other), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "three.csv" in err and "units" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("suffix", [".npz", ".nwb", ".csv"])
def test_unreadable_files_are_one_line(tmp_path, capsys, suffix):
    bad = tmp_path / f"garbage{suffix}"
    bad.write_bytes(b"\x00\x01 not a recording \xff" * 10)
    assert main(["fit", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("neuroformer: error:") and bad.name in err[0]
    assert main(["run", str(bad), str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and bad.name in err[0]


def test_bad_options_are_one_line(tmp_path, capsys):
    spikes = events_csv(tmp_path / "s.csv", seconds=5.0)
    conf = tmp_path / "c.json"
    conf.write_text(json.dumps({"n_embd": 30, "n_head": 4}))
    assert main(["fit", str(spikes), "--config", str(conf)]) == 2
    assert "n_embd" in capsys.readouterr().err
    conf.write_text(json.dumps({"bogus_key": 1}))
    assert main(["fit", str(spikes), "--config", str(conf)]) == 2
    assert "bogus_key" in capsys.readouterr().err
    conf.write_text("[1, 2]")
    assert main(["fit", str(spikes), "--config", str(conf)]) == 2
    assert "--config" in capsys.readouterr().err
    assert main(["fit", str(spikes), "--epochs", "0"]) == 2
    assert "--epochs" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["fit", str(spikes), "--layout", "rows"])
    assert info.value.code == 2


def test_info(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "neuroformer" in out and "neurotypes" in out and "torch" in out
