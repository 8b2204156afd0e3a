"""The quick reproduction: the measured numbers against the pre-registered criteria, and the files written."""

from ca3_cam import reproduce
from ca3_cam.model import expected_synapse_count
from neurotypes import Report


def test_quick_reproduce(tmp_path):
    report = reproduce(tmp_path, quick=True)
    claims = {c.name.split(":")[0]: c for c in report.claims}
    assert claims["Exp. 1 functional test"].measured["spikes differing from the recording"] == 0
    assert claims["Exp. 1 functional test"].measured["recorded spikes"] == 322
    for name in ("Exp. 2 stress", "Exp. 3 content-addressed lookup on a 4x4 state map"):
        m = claims[name].measured
        assert m["answers different from IdealCAM"] == 0 and m["answers not 6 ms after the query"] == 0
        assert m["spikes differing from the recording"] == 0
    assert claims["Exp. 2 stress"].measured["recalls"] == 45
    latency = claims["Recall latency"].measured
    assert latency["echo latencies (ms)"] == [5.0] and latency["answer latencies (ms)"] == [6.0]
    size = claims["Network size"].measured
    assert size["internal neurons"] == 56 and size["synapses built"] == expected_synapse_count(5, 10) == 295
    assert claims["Resource usage / scaling on SpiNNaker"].missing
    scaling = claims["Scaling of recall accuracy with cues and content bits (not a paper claim)"].measured[
        "sizes"
    ]
    assert [(r["n_cues"], r["n_content"]) for r in scaling] == [(5, 10), (10, 50), (20, 200), (40, 400)]
    assert all(r["accuracy_post_history_64"] == 1.0 for r in scaling)
    back = Report.load(tmp_path / "report.json")
    assert [c.name for c in back.claims] == [c.name for c in report.claims]
    for c in report.claims:
        for f in c.figures:
            assert (tmp_path / f).stat().st_size > 1000
