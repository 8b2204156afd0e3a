"""Embedded data and the MNIST / Fashion-MNIST loaders on small files written here (spec test 9)."""

import gzip
import struct

import numpy as np
import pytest

from homeonet import digits, load_csv, load_idx, load_mnist, read_idx, synthetic_templates, write_idx
from homeonet.data import load_dataset


def _idx_bytes(array: np.ndarray, code: int) -> bytes:
    """An IDX file built by hand with struct (independent of the package's writer)."""
    header = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


@pytest.fixture
def tiny_mnist():
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, size=(7, 28, 28), dtype=np.uint8)
    labs = rng.integers(0, 10, size=7).astype(np.uint8)
    return imgs, labs


def test_idx_round_trip_plain_and_gzip(tmp_path, tiny_mnist):
    imgs, labs = tiny_mnist
    (tmp_path / "train-images-idx3-ubyte").write_bytes(_idx_bytes(imgs, 0x08))
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(_idx_bytes(labs, 0x08))
    X, y = load_idx(tmp_path / "train-images-idx3-ubyte", tmp_path / "train-labels-idx1-ubyte")
    assert X.shape == (7, 784)
    assert y.dtype == np.int64
    np.testing.assert_allclose(X, imgs.reshape(7, -1) / 255.0)
    np.testing.assert_array_equal(y, labs)
    # gzip, through the folder loader (Fashion-MNIST ships the same file names)
    (tmp_path / "gz").mkdir()
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        data = (tmp_path / name.replace("t10k", "train")).read_bytes()
        (tmp_path / "gz" / (name + ".gz")).write_bytes(gzip.compress(data))
    X2, y2 = load_mnist(tmp_path / "gz", "test", kind="fashion-mnist")
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_idx_dtypes_and_writer(tmp_path, dtype):
    a = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    if dtype == np.uint8:
        a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / "a.idx.gz", a)
    got = read_idx(tmp_path / "a.idx.gz")
    assert got.shape == a.shape
    np.testing.assert_array_equal(got, a)
    # the writer's bytes equal the hand-built ones
    write_idx(tmp_path / "b.idx", a)
    code = {np.uint8: 8, np.int8: 9, np.int16: 11, np.int32: 12, np.float32: 13, np.float64: 14}[dtype]
    assert (tmp_path / "b.idx").read_bytes() == _idx_bytes(a, code)


def test_idx_rejects_malformed_files(tmp_path, tiny_mnist):
    imgs, labs = tiny_mnist
    good = _idx_bytes(imgs, 0x08)
    cases = {
        "magic.idx": b"\x01" + good[1:],
        "dtype.idx": good[:2] + b"\x07" + good[3:],
        "short.idx": good[:-5],
        "header.idx": good[:6],
    }
    msgs = {
        "magic.idx": "not an IDX file",
        "dtype.idx": "unknown IDX dtype code 0x07",
        "short.idx": "payload has",
        "header.idx": "truncated IDX header",
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ValueError, match=msgs[name]):
            read_idx(tmp_path / name)
    (tmp_path / "bad.gz").write_bytes(b"\x1f\x8b\x08garbage")
    with pytest.raises(ValueError, match="corrupt gzip"):
        read_idx(tmp_path / "bad.gz")
    (tmp_path / "imgs").write_bytes(good)
    (tmp_path / "labs").write_bytes(_idx_bytes(labs[:5], 0x08))
    with pytest.raises(ValueError, match="holds 5 labels but"):
        load_idx(tmp_path / "imgs", tmp_path / "labs")
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_idx(tmp_path / "missing")


def test_csv_round_trip_with_and_without_header(tmp_path, tiny_mnist):
    imgs, labs = tiny_mnist
    rows = [
        ",".join(str(v) for v in [int(lab), *img.ravel().tolist()])
        for img, lab in zip(imgs, labs, strict=True)
    ]
    (tmp_path / "mnist_train.csv").write_text("\n".join(rows) + "\n")
    header = "label," + ",".join(f"pixel{i}" for i in range(784))
    (tmp_path / "fashion-mnist_test.csv").write_text(header + "\n" + "\n".join(rows) + "\n")
    X, y = load_mnist(tmp_path, "train")
    X2, y2 = load_mnist(tmp_path, "test", kind="fashion-mnist")
    np.testing.assert_allclose(X, imgs.reshape(7, -1) / 255.0)
    np.testing.assert_array_equal(y, labs)
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y)


def test_csv_rejects_malformed_files(tmp_path):
    bad = {
        "ragged.csv": ("1,0,0,0\n2,0,0\n", "line 2 has 3 columns"),
        "width.csv": ("1,0,0,0\n", "expected 1 label \\+ 784 pixel columns"),
        "pixels.csv": ("1," + ",".join(["300"] * 784) + "\n", "pixel values must lie in 0-255"),
        "labels.csv": ("-1," + ",".join(["0"] * 784) + "\n", "labels .* non-negative integers"),
        "empty.csv": ("label,p\n", "no data rows"),
        "text.csv": ("1," + ",".join(["x"] * 784) + "\n", "non-numeric"),
    }
    for name, (text, msg) in bad.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(ValueError, match=msg):
            load_csv(tmp_path / name)
    assert load_csv(tmp_path / "width.csv", n_pixels=3)[0].shape == (1, 3)


def test_load_mnist_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no mnist train files"):
        load_mnist(tmp_path)
    with pytest.raises(ValueError, match="split must be"):
        load_mnist(tmp_path, "val")
    with pytest.raises(ValueError, match="kind must be"):
        load_mnist(tmp_path, kind="emnist")
    with pytest.raises(ValueError, match="needs root="):
        load_dataset("mnist")
    with pytest.raises(ValueError, match="dataset must be"):
        load_dataset("cifar")


def test_digits_split():
    Xtr, ytr, Xva, _yva = digits()
    assert Xtr.shape == (1437, 64)
    assert Xva.shape == (360, 64)
    assert Xtr.min() >= 0
    assert Xtr.max() <= 1
    assert Xtr.max() == 1.0
    assert set(np.unique(ytr)) == set(range(10))
    Xtr2, *_ = digits()
    np.testing.assert_array_equal(Xtr, Xtr2)


def test_synthetic_templates_difficulty():
    Xtr, _ytr, Xva, _yva = synthetic_templates(n=500, noise=0.1, seed=1)
    assert Xtr.shape == (400, 64)
    assert Xva.shape == (100, 64)
    assert np.all((Xtr > 0) & (Xtr < 1))

    # nearest class mean classifies clean templates almost perfectly and noisy ones much worse
    def nearest_mean_acc(noise):
        Xtr, ytr, Xva, yva = synthetic_templates(n=500, noise=noise, seed=1)
        means = np.stack([Xtr[ytr == c].mean(0) for c in range(10)])
        return np.mean(np.argmin(((Xva[:, None] - means[None]) ** 2).sum(-1), axis=1) == yva)

    assert nearest_mean_acc(0.1) > 0.95
    assert nearest_mean_acc(3.0) < nearest_mean_acc(0.1) - 0.2
    with pytest.raises(ValueError, match="noise must be"):
        synthetic_templates(noise=-1)


def test_load_file_reads_each_format_to_the_same_samples(tmp_path):
    """IDX pair, headerless MNIST CSV, CSV with a header (label column anywhere), TSV and .npz: same split."""
    from homeonet import load_file

    rng = np.random.default_rng(3)
    imgs = rng.integers(0, 256, size=(30, 4, 4), dtype=np.uint8)
    labels = (np.arange(30) % 3).astype(np.uint8)
    write_idx(tmp_path / "img-ubyte", imgs)
    write_idx(tmp_path / "lab-ubyte", labels)
    flat = imgs.reshape(30, -1).astype(np.int64)
    np.savetxt(tmp_path / "plain.csv", np.column_stack([labels, flat]), fmt="%d", delimiter=",")
    head = ",".join([f"p{i}" for i in range(8)] + ["label"] + [f"p{i}" for i in range(8, 16)])
    body = np.column_stack([flat[:, :8], labels, flat[:, 8:]])
    np.savetxt(tmp_path / "head.csv", body, fmt="%d", delimiter=",", header=head, comments="")
    np.savetxt(
        tmp_path / "head.tsv", body, fmt="%d", delimiter="\t", header=head.replace(",", "\t"), comments=""
    )
    np.savez(tmp_path / "d.npz", x=imgs / 255.0, y=labels.astype(np.int64))
    ref = load_file(tmp_path / "img-ubyte", labels=tmp_path / "lab-ubyte", seed=4)
    for name, scale in (("plain.csv", 255.0), ("head.csv", 255.0), ("head.tsv", 255.0), ("d.npz", 1.0)):
        got = load_file(tmp_path / name, seed=4)
        np.testing.assert_allclose(got[0] / scale, ref[0], atol=1e-12)
        np.testing.assert_array_equal(got[1], ref[1])
        np.testing.assert_array_equal(got[3], ref[3])
    assert ref[0].shape == (24, 16) and ref[2].shape == (6, 16)
    assert set(np.unique(np.concatenate([ref[1], ref[3]]))) == {0, 1, 2}
