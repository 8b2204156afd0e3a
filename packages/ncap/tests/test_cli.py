import subprocess
import sys

import numpy as np
import pytest

from ncap import SwimmerNCAP, load_policy, save_policy
from ncap.cli import main
from neurotypes import Traces


def test_help_imports_nothing_heavy():
    code = (
        "import sys; from ncap.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print([m for m in ('dm_control', 'mujoco', 'torch', 'matplotlib.pyplot') if m in sys.modules])"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and res.stdout.strip().splitlines()[-1] == "[]"


def test_run_untrained_and_write_traces(tmp_path, capsys):
    out, act = tmp_path / "joints.npz", tmp_path / "activity.npz"
    assert main(["run", "--episodes", "1", "--out", str(out), "--activity", str(act)]) == 0
    text = capsys.readouterr().out
    assert "episode seed 0: return" in text
    joints, activity = Traces.load(out), Traces.load(act)
    assert joints.n_units == 5 and joints.n_samples == 1000 and activity.n_units == 20


def test_run_a_policy_file(tmp_path, capsys):
    pol = SwimmerNCAP(period=40)
    path = save_policy(pol, tmp_path / "p.npz")
    assert main(["run", str(path), "--episodes", "1", "--seed", "3"]) == 0
    assert "period=40" in capsys.readouterr().out


def test_fit_writes_a_policy_file(tmp_path, capsys):
    out = tmp_path / "fit.npz"
    assert main(["fit", "--gens", "1", "--heldout", "1", "--threads", "1", "-q", "--out", str(out)]) == 0
    pol, meta = load_policy(out)
    assert isinstance(pol, SwimmerNCAP) and meta["episodes"] == 8 and meta["heldout_seeds"] == [1000]
    assert np.isfinite(meta["heldout_return"])


def test_user_errors_are_one_line(tmp_path, capsys):
    assert main(["run", str(tmp_path / "none.npz")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "none.npz" in err[0]
    assert main(["run", "--episodes", "1", "--out", str(tmp_path / "x.csv")]) == 2
    assert "x.csv" in capsys.readouterr().err
    assert main(["fit", "--out", str(tmp_path / "p.json")]) == 2
    assert "p.json" in capsys.readouterr().err


@pytest.mark.parametrize("verb", ["run"])
def test_garbage_file(tmp_path, capsys, verb):
    bad = tmp_path / "garbage.npz"
    bad.write_bytes(b"\x00 not a policy")
    assert main([verb, str(bad)]) == 2
    assert "garbage.npz" in capsys.readouterr().err
