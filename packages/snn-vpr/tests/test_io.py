"""Saving and loading trained networks: exact round trip, no unpickling, clear refusals."""

from __future__ import annotations

import io
import json
import os
import pickle
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest

import snn_vpr
from snn_vpr.cli import main
from snn_vpr.data import synthetic_traverses
from snn_vpr.io import FORMAT_VERSION, NetworkFileError, load_network, save_network
from snn_vpr.model import DiehlCookModule, ModularSNN
from snn_vpr.network import DiehlCookParams
from snn_vpr.preprocess import process_images

SRC = Path(snn_vpr.__file__).resolve().parent  # the installed package


class _Payload:
    """Unpickling this creates a marker file: proof that a loader executed code from the file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (Path.touch, (str(self.marker),))  # type: ignore[return-value]


def _fitted(engine: str = "reference") -> tuple[ModularSNN, np.ndarray, np.ndarray]:
    d = synthetic_traverses(4, 32, seed=0)
    ref, cal = d.select("ref_a"), d.select("calibration")
    X = process_images(ref.images)
    net = ModularSNN(2, 6, 1, DiehlCookParams(t_present=60.0, theta_init=40.0), seed=3, engine=engine)
    net.fit(X, ref.place_id)
    net.calibrate_hyperactive(process_images(cal.images), cal.place_id, thresholds=(0, 1, 2))
    return net, process_images(d.select("query").images), X


def test_round_trip_is_exact(tmp_path: Path) -> None:
    net, Q, _ = _fitted()
    path = net.save(tmp_path / "net.npz")
    back = ModularSNN.load(path)
    assert type(back) is ModularSNN and back.params == net.params
    for name in ("w", "theta", "delay_steps"):
        a, b = getattr(net.bank_, name), getattr(back.bank_, name)
        assert a.dtype == b.dtype and bool((a == b).all())
    np.testing.assert_array_equal(back.assignments_, net.assignments_)
    np.testing.assert_array_equal(back.places_, net.places_)
    for r1, r2 in zip(back.regions_, net.regions_, strict=True):
        np.testing.assert_array_equal(r1, r2)
    np.testing.assert_array_equal(back.reference_responses_, net.reference_responses_)
    np.testing.assert_array_equal(back.reference_place_ids_, net.reference_place_ids_)
    assert back.threshold_ == net.threshold_ and back.calibration_ == net.calibration_
    assert (back.engine, back.seed, back.n_e, back.region_size, back.epochs) == (
        net.engine,
        net.seed,
        net.n_e,
        net.region_size,
        net.epochs,
    )
    # the generator state travels too: the loaded network answers the next queries exactly like the original
    np.testing.assert_array_equal(back.predict_scores(Q), net.predict_scores(Q))
    np.testing.assert_array_equal(back.respond(Q).counts, net.respond(Q).counts)


def test_round_trip_of_a_single_module(tmp_path: Path) -> None:
    d = synthetic_traverses(3, 32, seed=1).select("ref_a")
    X = process_images(d.images)
    mod = DiehlCookModule(
        784, 5, 1, DiehlCookParams(t_present=40.0, delay_max=0.0), seed=2, engine="reference"
    )
    mod.fit(X, d.place_id)
    save_network(mod, tmp_path / "m.npz")
    back = DiehlCookModule.load(tmp_path / "m.npz")
    assert isinstance(back, DiehlCookModule) and back.n_in == 784
    np.testing.assert_array_equal(back.assign(), mod.assign())
    np.testing.assert_array_equal(back.respond(X).counts, mod.respond(X).counts)
    net, _, _ = _fitted()
    net.save(tmp_path / "n.npz")
    with pytest.raises(TypeError, match="holds a ModularSNN"):
        DiehlCookModule.load(tmp_path / "n.npz")


def test_crafted_pickle_is_refused_without_running_it(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    bad = tmp_path / "net.npz"
    bad.write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(NetworkFileError, match=r"not an \.npz"):
        load_network(bad)
    # an npz whose array members are object arrays (numpy pickles those)
    net, _, _ = _fitted()
    good = net.save(tmp_path / "good.npz")
    with zipfile.ZipFile(good) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    obj = io.BytesIO()
    np.save(obj, np.array([_Payload(marker)], dtype=object), allow_pickle=True)
    members["w.npy"] = obj.getvalue()
    evil = tmp_path / "evil.npz"
    with zipfile.ZipFile(evil, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)
    with pytest.raises(NetworkFileError, match="member 'w' is object"):
        load_network(evil)
    # the command line refuses it too, with one line and exit status 2
    assert main(["run", str(bad), str(tmp_path)]) == 2
    assert not marker.exists()


def test_no_pickle_loading_in_the_sources() -> None:
    text = "\n".join(p.read_text() for p in sorted(SRC.glob("*.py")))
    assert not re.search(r"\bpickle\.loads?\(|\bimport pickle\b|allow_pickle\s*=\s*True", text)
    assert "torch.load(" not in text


def _rewrite(src: Path, dst: Path, **changes: bytes | None) -> None:
    with zipfile.ZipFile(src) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    for name, data in changes.items():
        key = name + ".npy"
        if data is None:
            members.pop(key)
        else:
            members[key] = data
    with zipfile.ZipFile(dst, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def _meta(path: Path) -> dict:
    with zipfile.ZipFile(path) as zf:
        raw = zf.read("meta.npy")
    return json.loads(np.load(io.BytesIO(raw)).tobytes())


def test_refusals_name_the_problem(tmp_path: Path) -> None:
    net, _, _ = _fitted()
    good = net.save(tmp_path / "good.npz")
    meta = _meta(good)
    cases: list[tuple[dict, str]] = [
        (
            {
                "meta": _npy(
                    np.frombuffer(json.dumps({**meta, "version": FORMAT_VERSION + 1}).encode(), np.uint8)
                )
            },
            "format version 2; this snn-vpr reads version 1",
        ),
        (
            {"meta": _npy(np.frombuffer(json.dumps({**meta, "format": "other"}).encode(), np.uint8))},
            "format is 'other'",
        ),
        ({"meta": None}, "no 'meta' member"),
        ({"theta": None}, "member 'theta' is missing"),
        ({"theta": _npy(np.zeros((2, 7), np.float32))}, r"member 'theta' is float32 \(2, 7\)"),
        ({"theta": _npy(np.zeros((2, 6), np.float64))}, "member 'theta' is float64"),
        ({"extra": _npy(np.zeros(1))}, "unexpected members"),
        ({"w": _npy(np.full((2, 784, 6), -1.0, np.float32))}, r"weights must be finite and in \[0, w_max"),
        ({"assignments": _npy(np.full((2, 6), 3, np.int64))}, "outside its region"),
    ]
    for k, (changes, message) in enumerate(cases):
        bad = tmp_path / f"bad{k}.npz"
        _rewrite(good, bad, **changes)
        with pytest.raises(NetworkFileError, match=message):
            load_network(bad)
    # compressed members are refused (their size cannot be checked before inflating them)
    comp = tmp_path / "comp.npz"
    with zipfile.ZipFile(good) as zf, zipfile.ZipFile(comp, "w", zipfile.ZIP_DEFLATED) as out:
        for n in zf.namelist():
            out.writestr(n, zf.read(n))
    with pytest.raises(NetworkFileError, match="compressed"):
        load_network(comp)
    # truncated file
    trunc = tmp_path / "trunc.npz"
    trunc.write_bytes(good.read_bytes()[:5000])
    with pytest.raises(NetworkFileError):
        load_network(trunc)
    with pytest.raises(FileNotFoundError):
        load_network(tmp_path / "missing.npz")
    with pytest.raises(TypeError, match="ModularSNN"):
        save_network(object(), tmp_path / "x.npz")
    with pytest.raises(RuntimeError, match="not fitted"):
        ModularSNN().save(tmp_path / "x.npz")


def test_save_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    net, _, _ = _fitted()
    path = net.save(tmp_path / "net.npz")
    before = path.read_bytes()

    def boom(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        net.save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.npz"]  # no temporary file left behind
