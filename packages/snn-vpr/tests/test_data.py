"""Synthetic traverses and the image-folder loader (on images the test writes)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from snn_vpr.data import (
    NORDLAND_EXPECTED,
    PlaceDataset,
    load_image_folders,
    read_name_list,
    select_every_nth,
    synthetic_traverses,
)


def test_synthetic_traverses_shape_determinism_and_identity_gt() -> None:
    d = synthetic_traverses(6, 32, seed=3)
    assert d.images.shape == (24, 32, 32)
    assert set(d.traverse.tolist()) == {"ref_a", "ref_b", "query", "calibration"}
    np.testing.assert_array_equal(d.select("query").place_id, np.arange(6))
    np.testing.assert_array_equal(synthetic_traverses(6, 32, seed=3).images, d.images)
    assert d.images.min() >= 0 and d.images.max() <= 1
    # references are close copies of each other; queries differ more (appearance change)
    a, b, q = (d.select(t).images for t in ("ref_a", "ref_b", "query"))
    assert np.abs(a - b).mean() < np.abs(a - q).mean()
    assert d.to_stimulus().n_frames == 24


def test_synthetic_bad_input() -> None:
    with pytest.raises(ValueError, match="P must be a positive integer"):
        synthetic_traverses(0)
    with pytest.raises(ValueError, match="size must be an integer >= 8"):
        synthetic_traverses(3, size=4)
    with pytest.raises(ValueError, match="unknown traverse"):
        synthetic_traverses(3, 16).select("winter")


def test_place_dataset_validates() -> None:
    with pytest.raises(ValueError, match="one entry per image"):
        PlaceDataset(np.zeros((3, 4, 4)), np.arange(2), np.array(["a"] * 3))


def _write_traverse(root: Path, name: str, n: int, size: tuple[int, int] = (20, 16), seed: int = 0) -> None:
    d = root / name
    d.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        arr = rng.integers(0, 256, size=(size[1], size[0]), dtype=np.uint8)
        Image.fromarray(arr).save(d / f"image{i:05d}.png")


def test_load_image_folders(tmp_path: Path) -> None:
    for k, t in enumerate(("spring", "fall", "summer")):
        _write_traverse(tmp_path, t, 10, seed=k)
    (tmp_path / "names.txt").write_text(
        "\n".join(f"images-{i:05d}.png" for i in (0, 2, 3, 5, 7, 8, 9)) + "\n"
    )
    frames = read_name_list(tmp_path / "names.txt")
    assert frames == [0, 2, 3, 5, 7, 8, 9]
    d = load_image_folders(tmp_path, frames=frames, skip=2)
    # kept frames 0, 3, 7, 9 in each of three traverses
    assert d.images.shape == (12, 16, 20)
    np.testing.assert_array_equal(d.select("summer").place_id, [0, 1, 2, 3])
    expected = np.asarray(Image.open(tmp_path / "fall" / "image00007.png"), dtype=float) / 255
    np.testing.assert_allclose(d.select("fall").images[2], expected)
    assert select_every_nth(list(range(20)), 8, 1) == [1, 9, 17]
    assert NORDLAND_EXPECTED["places"] == NORDLAND_EXPECTED["calibration"] + NORDLAND_EXPECTED["test"]


def test_loader_errors(tmp_path: Path) -> None:
    _write_traverse(tmp_path, "spring", 3)
    _write_traverse(tmp_path, "fall", 3, size=(21, 16))
    _write_traverse(tmp_path, "summer", 2)
    with pytest.raises(ValueError, match="same number of frames"):
        load_image_folders(tmp_path)
    with pytest.raises(ValueError, match="same size"):
        load_image_folders(tmp_path, reference=("spring", "fall"), query=())
    with pytest.raises(ValueError, match="does not exist"):
        load_image_folders(tmp_path, reference=("winter",))
    with pytest.raises(ValueError, match="out-of-range"):
        load_image_folders(tmp_path, reference=("spring",), query=(), frames=[0, 5])
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="cannot read image"):
        load_image_folders(tmp_path, reference=("bad",), query=())
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no images"):
        load_image_folders(tmp_path, reference=("empty",), query=())
    (tmp_path / "names.txt").write_text("abc\n")
    with pytest.raises(ValueError, match="no frame number"):
        read_name_list(tmp_path / "names.txt")
