"""The command line: help texts, and `train` on a user's text file (loader path)."""

from __future__ import annotations

import pytest

from astrosnn.cli import main


def test_help_exits_cleanly(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert "reconstruction" in capsys.readouterr().out


def test_train_on_a_user_text_file(tmp_path, capsys):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the quick brown fox jumps over the lazy dog. " * 40, encoding="utf-8")
    rc = main(
        [
            "train",
            "--corpus",
            str(corpus),
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
        ]
    )
    out = capsys.readouterr().out
    assert rc == 0
    assert "held-out loss" in out and "sample:" in out


def test_train_rejects_an_empty_file(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(ValueError, match="empty"):
        main(["train", "--corpus", str(empty), "--steps", "1"])
