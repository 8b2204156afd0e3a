import numpy as np
import pytest
from PIL import Image

from milan.data import (
    CONCEPTS,
    TEMPLATES,
    annotate,
    attributes,
    concept_masks,
    planted_activations,
    read_activations,
    read_images,
    shapes_world,
)
from milan.exemplars import exemplars_from_activations, label_units_by_iou


def test_shapes_world_ground_truth_is_consistent():
    w = shapes_world(50, seed=3, glyph_prob=0.5, glyph_label_prob=0.0)
    assert w.images.shape == (50, 3, 32, 32) and w.images.min() >= 0 and w.images.max() <= 1
    assert (w.labels == w.shape[:, 0]).all() and (w.shape[:, 0] >= 0).all()
    has = w.glyph >= 0
    assert (w.glyph[has] != w.labels[has]).all()  # glyph_label_prob=0: always conflicting text
    assert (w.glyph_mask.any(axis=(1, 2)) == has).all()
    red = concept_masks(w, "red")
    red_pixels = np.all(np.abs(w.images.transpose(0, 2, 3, 1) - [0.9, 0.1, 0.1]) < 0.1, axis=-1)
    assert (red_pixels[red]).mean() > 0.95  # red mask pixels are red
    union = concept_masks(w, "objects")
    assert (concept_masks(w, "red circle") <= red).all() and (red <= union).all()
    assert ((concept_masks(w, "left") | concept_masks(w, "right")) == union).all()
    assert set(TEMPLATES) == set(CONCEPTS) and all(2 <= len(t) <= 3 for t in TEMPLATES.values())
    assert attributes(w).shape == (50, 10)


def test_planted_units_are_labelled_by_iou_with_their_concept():
    w = shapes_world(300, seed=4, glyph_prob=0.1)
    concepts = ["text", "stripes", "red"]
    ex = exemplars_from_activations(planted_activations(w, concepts), image_size=(32, 32), k=10)
    labels = label_units_by_iou(ex, w)
    assert [lab for lab, _ in labels][:2] == ["text", "stripes"]
    rng = np.random.default_rng(0)
    assert all(d in (*TEMPLATES["red"], "objects") for d in annotate("red", rng, n=20))


def test_bad_input():
    with pytest.raises(ValueError, match="n must be positive"):
        shapes_world(0)
    with pytest.raises(ValueError, match="size must be >= 16"):
        shapes_world(3, size=8)
    with pytest.raises(ValueError, match="glyph_prob must lie in"):
        shapes_world(3, glyph_prob=2.0)
    with pytest.raises(ValueError, match="concept must be one of"):
        concept_masks(shapes_world(2), "purple")
    with pytest.raises(TypeError, match="world must be"):
        attributes("world")  # type: ignore[arg-type]


def test_read_images_from_png_folder_and_npz(tmp_path):
    w = shapes_world(4, seed=2)
    pixels = np.round(w.images * 255).astype(np.uint8)
    for i, im in enumerate(pixels):
        Image.fromarray(im.transpose(1, 2, 0)).save(tmp_path / f"img{i:02d}.png")
    (tmp_path / "notes.txt").write_text("not an image")
    got = read_images(tmp_path)
    assert got.shape == (4, 3, 32, 32) and got.dtype == np.float32
    np.testing.assert_array_equal(np.round(got * 255).astype(np.uint8), pixels)  # PNG is lossless
    assert read_images(tmp_path, limit=2).shape[0] == 2
    np.savez(tmp_path / "images.npz", images=pixels)
    np.testing.assert_allclose(read_images(tmp_path / "images.npz"), pixels / 255.0, atol=1e-7)
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "img99.png")
    with pytest.raises(ValueError, match=r"img99\.png"):
        read_images(tmp_path)
    (tmp_path / "img99.png").write_bytes(b"garbage")
    with pytest.raises(ValueError, match=r"img99\.png"):
        read_images(tmp_path)
    with pytest.raises(FileNotFoundError):
        read_images(tmp_path / "nothing")


def test_read_activations(tmp_path):
    acts = np.random.default_rng(0).random((5, 2, 4, 4)).astype(np.float32)
    np.savez(tmp_path / "a.npz", activations=acts, images=np.zeros((5, 3, 8, 8), np.uint8))
    got, ims = read_activations(tmp_path / "a.npz")
    np.testing.assert_array_equal(got, acts)
    assert ims is not None and ims.shape == (5, 3, 8, 8)
    np.savez(tmp_path / "b.npz", activations=acts, images=np.zeros((4, 3, 8, 8), np.uint8))
    with pytest.raises(ValueError, match=r"b\.npz.*5 activation maps but 4 images"):
        read_activations(tmp_path / "b.npz")
    acts[0, 0, 0, 0] = np.nan
    np.savez(tmp_path / "c.npz", activations=acts)
    with pytest.raises(ValueError, match=r"c\.npz.*finite"):
        read_activations(tmp_path / "c.npz")
    np.savez(tmp_path / "d.npz", activations=np.array([object()], dtype=object))
    with pytest.raises(ValueError, match=r"d\.npz"):
        read_activations(tmp_path / "d.npz")
    (tmp_path / "e.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match=r"e\.npz"):
        read_activations(tmp_path / "e.npz")


def _crafted_npz(path, descr, shape):
    """An .npz whose one member declares ``shape`` of ``descr`` but holds no data."""
    import io
    import zipfile

    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": shape})
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("activations.npy", buf.getvalue())


def test_npz_files_are_checked_before_anything_is_allocated(tmp_path):
    # a text file renamed .npz: the message names the file and does not suggest unpickling it
    (tmp_path / "t.npz").write_text("activations, not really")
    with pytest.raises(ValueError, match=r"t\.npz.*not an \.npz archive") as info:
        read_activations(tmp_path / "t.npz")
    assert "allow_pickle" not in str(info.value)
    # 80 GB declared in a 100-byte file: refused from the header
    _crafted_npz(tmp_path / "big.npz", "<f8", (10**10,))
    with pytest.raises(ValueError, match=r"big\.npz.*more than"):
        read_activations(tmp_path / "big.npz")
    # a zero-width dtype with a huge shape (numpy would loop over it)
    _crafted_npz(tmp_path / "void.npz", "|V0", (10**12,))
    with pytest.raises(ValueError, match=r"void\.npz.*zero-width"):
        read_activations(tmp_path / "void.npz")
    # an object array: refused from the header, before numpy's own refusal
    np.savez(tmp_path / "obj.npz", activations=np.array([object()], dtype=object))
    with pytest.raises(ValueError, match=r"obj\.npz.*Python objects"):
        read_activations(tmp_path / "obj.npz")
    # a truncated member
    np.savez(tmp_path / "ok.npz", activations=np.ones((2, 3, 4, 4), np.float32))
    raw = (tmp_path / "ok.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match=r"cut\.npz"):
        read_activations(tmp_path / "cut.npz")
    assert read_activations(tmp_path / "ok.npz")[0].shape == (2, 3, 4, 4)
