"""The reproduction: claims measured at a tiny scale (default) and at quick scale (slow), with the measured
numbers checked against independent recomputations and against the pre-registered criteria."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import milan.reproduce as rep
from milan.data import concept_masks, shapes_world
from milan.metrics import annotator_agreement, inter_annotator_agreement
from neurotypes import Report


@pytest.fixture(scope="module")
def tiny_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    old = rep.QUICK
    rep.QUICK = rep._Scale(300, 1, 1, 2, 200, 1, 120, 1)  # 2 seeds, 1 planted unit per concept
    try:
        report = rep.reproduce(out, quick=True, seed=3, threads=1, device="cpu")
    finally:
        rep.QUICK = old
    return out, report


def test_report_files_and_run_record(tiny_report):
    out, report = tiny_report
    assert Report.check_pair(out)  # report.json and report.md belong together
    data = json.loads((out / "report.json").read_text())
    assert data["package"] == "milan-neurons" and data["run"]["mode"] == "quick"
    assert data["run"]["seeds"]["claim_agreement"] == [3, 4]  # seeds derive from the base seed
    names = [c.name for c in report.claims]
    assert len(names) == len(rep.CLAIMS) and len(set(names)) == len(names)
    for c in report.claims:
        for f in c.figures:
            assert (out / f).is_file()


def test_each_leg_judges_the_measured_values(tiny_report):
    _, report = tiny_report
    for c in report.claims:
        for leg in c.legs:
            values = c.measured[leg.criterion.metric]
            values = values if isinstance(values, list) else [values]
            np.testing.assert_allclose(leg.values, [float(v) for v in values])


def test_exemplar_iou_matches_an_independent_computation(tiny_report):
    _, report = tiny_report
    claim = report.claims[0]
    draw = claim.measured["probe draws"][0]
    images, red = rep._red_probe(draw)
    with torch.no_grad():
        acts = rep._RedDetector()(torch.from_numpy(images))  # [N, 1, 16, 16]
    eta = np.quantile(acts.numpy().astype(np.float64).ravel(), 0.99)
    order = np.argsort(-acts.amax(dim=(2, 3))[:, 0].numpy(), kind="stable")[:15]
    up = F.interpolate(acts[order], size=(32, 32), mode="bilinear", align_corners=False)[:, 0].numpy() > eta
    gt = red[order]
    iou = (gt & up).sum() / (gt | up).sum()
    assert claim.measured["mask IoU with GT red"][0] == pytest.approx(iou, abs=1e-4)
    assert claim.measured["all 15 exemplars contain red"][0] == float(gt.any(axis=(1, 2)).all())


def test_agreement_numbers_are_consistent(tiny_report):
    _, report = tiny_report
    m = report.claims[1].measured
    for ratio, a, c in zip(
        m["agreement ratio (MILAN / inter-annotator)"],
        m["MILAN BLEU vs held-out annotators"],
        m["inter-annotator BLEU"],
        strict=True,
    ):
        assert ratio == pytest.approx(a / c, abs=2e-4)


def test_shuffled_control_is_a_permutation():
    texts = [f"t{i}" for i in range(20)]
    sh = rep._shuffled(texts, 0)
    assert sorted(sh) == sorted(texts) and sh != texts
    ann = [[t, t, t] for t in texts]
    assert (
        annotator_agreement(texts, ann) == pytest.approx(inter_annotator_agreement(ann)) == pytest.approx(1.0)
    )
    assert annotator_agreement(sh, ann) < 0.2


def test_red_probe_makes_red_rare():
    images, red = rep._red_probe(0)
    w = shapes_world(600, seed=0)
    assert red.any(axis=(1, 2)).sum() == 40 and red.mean() < 0.01
    assert len(images) == 40 + int((~concept_masks(w, "red").any(axis=(1, 2))).sum())


@pytest.mark.slow
def test_quick_reproduce_measures_the_claims(tmp_path):
    report = rep.reproduce(tmp_path, quick=True, threads=1, device="cpu")
    by = {c.name.split(":")[0]: c for c in report.claims}
    ex = by["Exemplars (top-k + 0.99-quantile masks) localise what a unit detects"].measured
    assert min(ex["all 15 exemplars contain red"]) == 1.0
    pmi = by["PMI decoding gives more specific descriptions than likelihood decoding"].measured
    assert min(pmi["generic rate, lambda=0"]) >= 0.5
    assert all(
        b < a for a, b in zip(pmi["generic rate, lambda=0"], pmi["generic rate, lambda=0.2"], strict=True)
    )
    assert min(pmi["BLEU change (lambda 0.2 - 0)"]) >= -0.05
    agree = by[
        "MILAN descriptions agree with human annotations about as well as humans agree with each other"
    ]
    m = agree.measured
    assert all(
        a > s
        for a, s in zip(
            m["MILAN BLEU vs held-out annotators"],
            m["shuffled-unit BLEU vs held-out annotators"],
            strict=True,
        )
    )
