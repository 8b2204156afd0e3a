"""Readers (zarr / HDF5 / TIFF), file pairing and the fisbe-eval / fisbe-bench CLIs on small files."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
import tifffile
import zarr

from fisbe_bench import evaluate, synth
from fisbe_bench.cli import eval_main, main
from fisbe_bench.io import find_pairs, read_fisbe_zarr, read_labels


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("fisbe")
    gt, pred = synth.case_a()
    channels = np.stack([(gt == k).astype(np.uint8) for k in range(1, 5)])
    (root / "gt").mkdir()
    (root / "pred").mkdir()
    g = zarr.open_group(str(root / "gt" / "caseA.zarr"), mode="w", zarr_format=2)
    arr = g.create_array("volumes/gt_instances", shape=channels.shape, dtype=np.uint8, chunks=(4, 16, 32, 32))
    arr[:] = channels
    arr.attrs["dim_neurons"] = [2, 4]
    raw = g.create_array("volumes/raw", shape=(3, *gt.shape), dtype=np.uint8, chunks=(3, 16, 32, 32))
    raw[:] = 0
    with h5py.File(root / "pred" / "caseA.hdf", "w") as f:
        f.create_dataset("volumes/labels", data=pred, chunks=(8, 32, 32), compression="gzip")
        f.create_dataset("volumes/other", data=pred)
    tifffile.imwrite(root / "pred.tif", pred)
    bad = zarr.open_group(str(root / "bad.zarr"), mode="w", zarr_format=2)
    bad.create_array("volumes/something", shape=(2, 2, 2), dtype=np.uint8)
    fl = zarr.open_group(str(root / "float.zarr"), mode="w", zarr_format=2)
    fl.create_array("volumes/gt_instances", shape=(4, 4, 4), dtype=np.float32)
    nr = zarr.open_group(str(root / "noraw.zarr"), mode="w", zarr_format=2)
    nr.create_array("volumes/gt_instances", shape=(4, 4, 4), dtype=np.uint8)
    return root, gt, pred, channels


def test_readers_roundtrip(files):
    root, gt, pred, channels = files
    sample = read_fisbe_zarr(root / "gt" / "caseA.zarr", load_raw=True)
    np.testing.assert_array_equal(sample.gt.to_dense(), channels.astype(np.int64))
    assert sample.dim_neurons == (2, 4) and sample.name == "caseA"
    assert sample.raw is not None and sample.raw.shape == (3, *gt.shape)
    p = read_labels(root / "pred" / "caseA.hdf", "volumes/labels")
    np.testing.assert_array_equal(p.to_dense()[0], pred)
    np.testing.assert_array_equal(read_labels(root / "pred.tif").to_dense()[0], pred)
    # slab-wise reading gives the same volume whatever the slab size
    from fisbe_bench.io import _sparse_from_slabs

    z = zarr.open(str(root / "gt" / "caseA.zarr"), mode="r")["volumes/gt_instances"]
    np.testing.assert_array_equal(_sparse_from_slabs(z, "gt", slab_voxels=1).to_dense(), channels)


def test_evaluate_from_files_equals_arrays(files):
    root, gt, pred, _ = files
    sample = read_fisbe_zarr(root / "gt" / "caseA.zarr")
    s_files = evaluate(
        sample.gt, read_labels(root / "pred" / "caseA.hdf", "volumes/labels"), min_instance_size=None
    )
    assert s_files.to_dict() == evaluate(gt, pred, min_instance_size=None).to_dict()


def test_reader_errors(files):
    root, *_ = files
    with pytest.raises(ValueError, match="volumes/gt_instances"):
        read_fisbe_zarr(root / "bad.zarr")
    with pytest.raises(ValueError, match="not found in zarr"):
        read_labels(root / "bad.zarr", "volumes/gt_instances")
    with pytest.raises(TypeError, match="integer"):
        read_labels(root / "float.zarr")
    with pytest.raises(ValueError, match="key is required"):
        read_labels(root / "pred" / "caseA.hdf")
    with pytest.raises(ValueError, match="not a dataset"):
        read_labels(root / "pred" / "caseA.hdf", "volumes/missing")
    with pytest.raises(FileNotFoundError):
        read_labels(root / "nope.zarr")
    (root / "x.npy").write_bytes(b"")
    with pytest.raises(ValueError, match=r"\.zarr folder"):
        read_labels(root / "x.npy")
    with pytest.raises(ValueError, match="raw"):
        read_fisbe_zarr(root / "noraw.zarr", load_raw=True)


def test_find_pairs(files):
    root, *_ = files
    pairs = find_pairs(root / "pred", root / "gt")
    assert [(p.name, g.name) for p, g in pairs] == [("caseA.hdf", "caseA.zarr")]
    with pytest.raises(ValueError, match="gt must be a folder"):
        find_pairs(root / "pred", root / "gt" / "caseA.zarr")


def test_fisbe_eval_cli_writes_json_and_markdown(files, tmp_path, capsys):
    root, gt, pred, _ = files
    out = tmp_path / "res"
    rc = eval_main(
        [
            "--pred",
            str(root / "pred"),
            "--gt",
            str(root / "gt"),
            "--pred-key",
            "volumes/labels",
            "--app",
            "flylight",
            "--out",
            str(out),
            "-q",
        ]
    )
    assert rc == 0
    payload = json.loads((out / "fisbe_scores.json").read_text())
    ref = evaluate(gt, pred, min_instance_size=800, dim_instances=[2, 4])
    assert payload["images"]["caseA"]["general"]["avg_f1_cov_score"] == pytest.approx(ref.S, abs=1e-12)
    assert payload["images"]["caseA"]["general"]["GT_dim"] == 2
    assert payload["settings"]["min_instance_size"] == 800
    md = (out / "fisbe_scores.md").read_text()
    assert "| caseA |" in md and "**dataset**" in md


def test_cli_errors_and_help(files, tmp_path, capsys):
    root, *_ = files
    rc = eval_main(["--pred", str(root / "pred"), "--gt", str(root / "gt"), "--out", str(tmp_path), "-q"])
    assert rc == 2
    assert "key is required" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "reproduce" in capsys.readouterr().out


def test_toy_command_writes_fisbe_layout(tmp_path):
    assert main(["toy", "--out", str(tmp_path), "--shape", "20", "48", "48", "--neurons", "3"]) == 0
    sample = read_fisbe_zarr(tmp_path / "toy_0.zarr", load_raw=True)
    assert sample.gt.n_channels == 3 and sample.raw is not None
    seg = read_labels(tmp_path / "pred" / "toy_0.zarr", "volumes/labels")
    assert seg.shape == (20, 48, 48)


def test_cli_summary_csv_in_the_official_layout(files, tmp_path):
    root, gt, pred, _ = files
    out = tmp_path / "res"
    args = ["--pred", str(root / "pred" / "caseA.hdf"), "--gt", str(root / "gt" / "caseA.zarr")]
    args += ["--pred-key", "volumes/labels", "--out", str(out), "-q"]
    assert eval_main(args) == 0
    from fisbe_bench.data import read_summary_csv

    cols, rows = read_summary_csv(out / "summary.csv")
    assert [n for n, _ in rows] == ["caseA", "mean", "sum", "avg_inst"]
    ref = evaluate(gt, pred, min_instance_size=None, dim_instances=[2, 4])
    assert rows[0][1]["general avg_f1_cov_score"] == ref.S
    assert rows[3][1]["general avg_f1_cov_score"] == pytest.approx(ref.S)  # one image: the aggregate is its S
    assert cols[0] == "general Num GT" and cols[-1] == "th_0_9 fscore"


def test_cli_split_file_sets_partly_per_image(files, tmp_path):
    root, gt, pred, _ = files
    split = tmp_path / "split.txt"
    split.write_text(
        "(1) samples for FlyLight completely:\n\ntest:\nother\n\n(2) samples for FlyLight partly:\n\ntest:\ncaseA\n"
    )
    out = tmp_path / "res"
    args = ["--pred", str(root / "pred"), "--gt", str(root / "gt"), "--pred-key", "volumes/labels"]
    assert eval_main([*args, "--out", str(out), "-q", "--split-file", str(split)]) == 0
    payload = json.loads((out / "fisbe_scores.json").read_text())
    assert payload["settings"]["partly"] == {"caseA": True}
    ref = evaluate(gt, pred, min_instance_size=None, partly=True, dim_instances=[2, 4])
    assert payload["images"]["caseA"]["confusion_matrix"]["th_0_5"]["AP_FP"] == ref.threshold(0.5).fp


def test_2d_images_from_tiff_and_hdf5(tmp_path):
    """--ndim 2: YX / CYX label images (TIFF, HDF5) evaluated as 2-D images."""
    gt = np.zeros((2, 30, 40), np.uint8)
    gt[0, 10, 2:38] = 1
    gt[1, 2:28, 20] = 1  # crosses channel 0
    pred = np.zeros((30, 40), np.int32)
    pred[10, 2:20] = 1
    pred[2:28, 21] = 2
    tifffile.imwrite(tmp_path / "gt.tif", gt)
    with h5py.File(tmp_path / "pred.h5", "w") as f:
        f.create_dataset("labels", data=pred)
    g = read_labels(tmp_path / "gt.tif", ndim=2)
    p = read_labels(tmp_path / "pred.h5", ndim=2)
    assert g.ndim == 2 and g.shape == (1, 30, 40) and g.n_channels == 2
    np.testing.assert_array_equal(p.to_dense()[0], pred)
    want = evaluate(gt, pred, ndim=2)
    assert evaluate(g, p, ndim=2).to_dict() == want.to_dict()
    with pytest.raises(ValueError, match="2-D data but ndim=3"):
        evaluate(g, p)
    out = tmp_path / "res"
    rc = eval_main(
        [
            "--pred",
            str(tmp_path / "pred.h5"),
            "--gt",
            str(tmp_path / "gt.tif"),
            "--ndim",
            "2",
            "--out",
            str(out),
            "-q",
        ]
    )
    assert rc == 0
    payload = json.loads((out / "fisbe_scores.json").read_text())
    assert payload["settings"]["ndim"] == 2
    assert payload["images"]["pred"]["general"]["avg_gt_skel_coverage"] == pytest.approx(want.C, abs=1e-12)
    # a 3-D reading of the same files is refused with a message naming the file
    assert (
        eval_main(["--pred", str(tmp_path / "pred.h5"), "--gt", str(tmp_path / "gt.tif"), "--out", str(out)])
        == 2
    )
