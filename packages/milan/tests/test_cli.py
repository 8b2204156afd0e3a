import subprocess
import sys

import numpy as np
import pytest
import torch

from milan import Captioner, Exemplars, LanguageModel, MaskedPyramidEncoder, Milan, ShapesBackbone, Vocabulary
from milan.cli import main
from milan.data import TEMPLATES, shapes_world


@pytest.fixture(scope="module")
def describer(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("describer") / "describer.npz"
    vocab = Vocabulary.from_texts([t for ts in TEMPLATES.values() for t in ts])
    enc = MaskedPyramidEncoder(ShapesBackbone(width=4), ["stem", "stage1", "stage2", "stage3"])
    w = shapes_world(8, seed=0)
    enc.fit_normalization(enc.encode_exemplars(w.images[None], w.object_masks[None, :, 0]))
    d = enc.encode_exemplars(w.images[None, :2], w.object_masks[None, :2, 0]).shape[-1]
    cap = Captioner(d, len(vocab), 8, 16, 8).eval()
    lm = LanguageModel(len(vocab), 8, 16).eval()
    Milan(cap, lm, vocab, encoder=enc).save(path)
    return path


def test_help_imports_nothing_heavy():
    code = "import sys; from milan.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\nprint([m for m in ('torch', 'lightning', 'matplotlib.pyplot') if m in sys.modules])"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and res.stdout.strip().splitlines()[-1] == "[]"


def test_run_describes_the_units_of_an_activations_file(tmp_path, describer, capsys):
    w = shapes_world(40, seed=1)
    acts = np.random.default_rng(0).random((40, 3, 8, 8)).astype(np.float32)
    np.savez(tmp_path / "layer.npz", activations=acts, images=(w.images * 255).astype(np.uint8))
    out, ex_path = tmp_path / "d.csv", tmp_path / "ex.npz"
    argv = ["run", str(tmp_path / "layer.npz"), "--describer", str(describer), "--beam", "3", "--k", "5"]
    assert main([*argv, "--out", str(out), "--exemplars", str(ex_path), "--layer", "conv9"]) == 0
    rows = out.read_text().strip().splitlines()
    assert rows[0] == "layer,unit,description,log_p_caption,log_p_lm" and len(rows) == 4
    assert all(r.startswith("conv9,") for r in rows[1:])
    ex = Exemplars.load(ex_path)
    assert ex.indices.shape == (3, 5) and ex.layer == "conv9"
    np.testing.assert_array_equal(ex.indices[0], np.argsort(-acts[:, 0].max(axis=(1, 2)), kind="stable")[:5])


def test_run_user_errors_are_one_line(tmp_path, describer, capsys):
    acts = np.zeros((10, 2, 4, 4), np.float32)
    np.savez(tmp_path / "noimages.npz", activations=acts)
    assert main(["run", str(tmp_path / "noimages.npz"), "--describer", str(describer)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "noimages.npz" in err[0] and "--images" in err[0]
    assert main(["run", str(tmp_path / "noimages.npz"), "--describer", str(tmp_path / "none.npz")]) == 2
    assert "none.npz" in capsys.readouterr().err
    np.savez(tmp_path / "ok.npz", activations=acts, images=np.zeros((10, 3, 8, 8), np.uint8))
    assert main(["run", str(tmp_path / "ok.npz"), "--describer", str(describer), "--lam", "-1"]) == 2
    assert "lam" in capsys.readouterr().err
