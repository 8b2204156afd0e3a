"""The high-level memory: API, bad input, units, and hypothesis sequences against IdealCAM."""

import copy
import json
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ca3_cam import (
    CA3CAM,
    CA3Params,
    IdealCAM,
    NeuronParams,
    Operation,
    Schedule,
    build_network,
    decode_answers,
    run_schedule,
    testbench,
)
from ca3_cam.cli import main
from ca3_cam.simulator import step_response_mv
from neurotypes import SDR, SpikeTrains


def test_readme_example():
    mem = CA3CAM(n_cues=5, n_content=10)
    mem.learn(0, {0, 1, 8, 9}).learn(4, {1, 5, 6}).learn(3, {4, 5, 6})
    assert mem.recall_by_cue(0) == {0, 1, 8, 9}
    assert mem.recall_by_content({6}) == {3, 4}
    mem.learn(3, {1, 3, 4, 8})  # overwrite: forgets 5, 6
    assert mem.recall_by_cue(3) == {1, 3, 4, 8}
    assert mem.recall_by_content({6}) == {4}
    assert mem.recall_by_content(SDR(10, [0, 4])) == {0, 3}
    assert mem.recall_by_cue(2) == set()
    assert mem.n_neurons() == 56 and mem.n_synapses() == 295


def test_weights_are_binary_after_learning():
    mem = CA3CAM(4, 6).learn(1, {0, 5}).learn(2, {3})
    w = mem.weights()
    assert w["cue_to_content"].shape == (4, 6) and w["content_to_cue"].shape == (6, 4)
    expected = np.zeros((4, 6))
    expected[1, [0, 5]] = 6.0
    expected[2, 3] = 6.0
    # learned links saturate at w_max; the rest hold at most small residues of neighbouring operations
    # (faithful sPyNNaker pairing: here 0.18 nA from cue 1's spike 13 ms before cue 2's content fired)
    np.testing.assert_allclose(w["cue_to_content"], expected, atol=0.25)
    np.testing.assert_allclose(w["content_to_cue"], expected.T, atol=0.25)
    # pending pairs of cue 1 (last spike 3 ms, trace 1 + e^-2/3) with bit 3 firing at 15 and 17 ms (seen +1)
    r3 = 1 + np.exp(-2 / 3)
    assert w["cue_to_content"][1, 3] == pytest.approx(6 * r3 * (np.exp(-13 / 3) + np.exp(-15 / 3)))


def test_spike_trains_in_seconds_and_exact_ms_roundtrip():
    mem = CA3CAM(5, 10)
    mem.learn(0, {1, 2})
    mem.recall_by_cue(0)
    sts = mem.spike_trains()
    out = sts["Output"]
    assert isinstance(out, SpikeTrains) and out.n_units == 15
    assert out.t_stop == pytest.approx(0.028)
    ms = out.times * 1000.0
    assert np.array_equal(np.rint(ms), ms)  # on the 1-ms grid, exactly
    got = {(int(t), int(u)) for t, u in zip(np.rint(ms), out.units, strict=True)}
    assert {(14 + 6, 5 + 1), (14 + 6, 5 + 2), (14 + 5, 0)} <= got


def test_run_returns_spiketrains_for_every_population():
    mem = CA3CAM(5, 10)
    res = mem.run(testbench.functional())
    assert set(res) == {
        "Input",
        "Output",
        "CA3cueCueRecall",
        "CA3cueContRecall",
        "CA3contCueRecall",
        "CA3contContRecall",
        "CA3contCond",
        "CA3contCondInt",
        "CA3mergeCue",
        "CA3mergeCont",
    }
    assert res["Output"].unit_times(0).tolist() == pytest.approx([0.005, 0.007, 0.035, 0.056])  # as recorded
    assert mem.operations_ == []  # run() leaves the memory untouched


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda m: m.learn(5, {1}), ValueError, r"cue must lie in \[0, n_cues\)"),
        (lambda m: m.learn(-1, {1}), ValueError, "cue must lie in"),
        (lambda m: m.learn(0, {10}), ValueError, r"content_bits must lie in \[0, n_content\)"),
        (lambda m: m.learn(0, set()), ValueError, "content_bits must not be empty"),
        (lambda m: m.learn(0, "01"), TypeError, "content_bits must be an int, an iterable"),
        (lambda m: m.learn(0.5, {1}), TypeError, "cue must be an int"),
        (lambda m: m.recall_by_content([]), ValueError, "bits must not be empty"),
        (lambda m: m.recall_by_content(SDR(9, [1])), ValueError, "n == n_content"),
        (lambda m: m.recall_by_cue(True), TypeError, "cue must be an int"),
        (lambda m: m.run([]), TypeError, "schedule must be a Schedule"),
    ],
)
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call(CA3CAM(5, 10))


def test_bad_construction():
    with pytest.raises(ValueError, match="engine must be one of"):
        CA3CAM(5, 10, engine="brian3")
    with pytest.raises(ValueError, match="spacing_ms must be an int >= 8"):
        CA3CAM(5, 10, spacing_ms=5)
    with pytest.raises(ValueError, match="n_cues must be >= 1"):
        CA3CAM(0, 10)


def test_schedule_overlap_and_spacing():
    ops = (Operation("learn", 0, 0, frozenset({1})), Operation("recall_cue", 2, 0))
    with pytest.raises(ValueError, match="operations overlap in time"):
        Schedule(2, 3, ops, t_stop_ms=20)
    ops = (Operation("recall_cue", 5, 0), Operation("recall_cue", 5, 1))
    with pytest.raises(ValueError, match="operations overlap in time"):
        Schedule(2, 3, ops, t_stop_ms=20)
    with pytest.warns(UserWarning, match="may interfere"):
        Schedule(2, 3, (Operation("recall_cue", 0, 0), Operation("recall_cue", 7, 1)), t_stop_ms=20)
    with pytest.raises(ValueError, match="t_stop_ms must leave time"):
        Schedule(2, 3, (Operation("recall_cue", 0, 0),), t_stop_ms=3)
    with pytest.raises(ValueError, match=r"operations\[0\].cue must lie in"):
        Schedule(2, 3, (Operation("recall_cue", 0, 7),), t_stop_ms=30)
    with pytest.raises(ValueError, match="needs a cue"):
        Schedule(2, 3, (Operation("learn", 0, None, frozenset({1})),), t_stop_ms=30)


def test_from_reference_json_roundtrip(tmp_path):
    s = testbench.stress()
    cue = [[] for _ in range(5)]
    cont = [[] for _ in range(10)]
    for t, i in s.input_spikes().tolist():
        (cue[i] if i < 5 else cont[i - 5]).append(t)
    p = tmp_path / "tb.txt"
    p.write_text(json.dumps({"simTime": 851, "numOperations": 60, "cue": cue, "cont": cont}))
    back = testbench.from_reference_json(p)
    assert back.operations == s.operations
    bad = tmp_path / "bad.txt"
    bad.write_text('{"simTime": 10}')
    with pytest.raises(ValueError, match=r"bad\.txt.*is not a testbench"):
        testbench.from_reference_json(bad)


def test_ideal_cam():
    cam = IdealCAM(3, 4)
    cam.learn(0, {0, 1})
    cam.learn(1, {1, 2})
    assert cam.recall_by_content({1}) == {0, 1} and cam.recall_by_content({3}) == set()
    cam.learn(1, {3})
    assert cam.recall_by_cue(1) == {3} and cam.recall_by_content({2}) == set()


# one synapse alone fires its target from about 3.3 nA (ContCue: 3 mV / 0.91 mV per nA; CueCont: 3 / 0.89)
ONE_SYNAPSE_NA = 3.0 / max(
    step_response_mv(1.0, NeuronParams()), step_response_mv(1.0, NeuronParams(cm=0.14, tau_m=0.5))
)
# per target: cue->content links end on ContCue (default neurons), content->cue links on CueCont ("fast")
FIRES_CONT_CUE_NA = 3.0 / step_response_mv(1.0, NeuronParams())
FIRES_CUE_CONT_NA = 3.0 / step_response_mv(1.0, NeuronParams(cm=0.14, tau_m=0.5))

op_strategy = st.tuples(
    st.sampled_from(["learn", "learn", "recall_cue", "recall_content"]),
    st.integers(0, 7),
    st.sets(st.integers(0, 15), min_size=1, max_size=5),
)


# sPyNNaker keeps 15 postsynaptic spikes per neuron; a link whose cue has not spiked while its content bit
# fired more often is lost (see test_known_limitation_post_history). The sequences use a longer history.
LONG_HISTORY = CA3Params().with_stdp(post_history=64)


def _check_sequence(c, m, ops, *, single_bit_queries):
    mem, ideal = CA3CAM(c, m, params=LONG_HISTORY), IdealCAM(c, m)
    w_max = mem.network.params.stdp.w_max
    for kind, cue, bits in ops:
        cue, bits = cue % c, {b % m for b in bits}
        if kind == "learn":
            mem.learn(cue, bits)
            ideal.learn(cue, bits)
            # functionally binary: the links strong enough to fire their target alone are exactly IdealCAM's
            # memory (learned links sit near w_max; residues of forgetting and neighbours stay below)
            stored = np.zeros((c, m), bool)
            for k, v in ideal.memory_.items():
                stored[k, sorted(v)] = True
            w = mem.weights()
            assert np.array_equal(w["cue_to_content"] >= FIRES_CONT_CUE_NA, stored)
            assert np.array_equal(w["content_to_cue"] >= FIRES_CUE_CONT_NA, stored.T)
            assert np.all(w["cue_to_content"][stored] > w_max - 1.0)
        elif kind == "recall_cue":
            assert mem.recall_by_cue(cue) == ideal.recall_by_cue(cue)
        elif single_bit_queries:
            q = {min(bits)}
            assert mem.recall_by_content(q) == ideal.recall_by_content(q)
        else:
            # STDP stays on during recall: a multi-bit query that fires several cues links every queried bit to
            # them (see test_multi_bit_recall_is_plastic), so these queries read a copy of the memory
            assert copy.deepcopy(mem).recall_by_content(bits) == ideal.recall_by_content(bits)
    if mem._rows["Output"]:
        for a in decode_answers(mem.schedule(), np.concatenate(mem._rows["Output"])):
            assert a.times_ms in ((), (6,))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(c=st.integers(1, 8), m=st.integers(1, 16), ops=st.lists(op_strategy, min_size=1, max_size=12))
@example(  # found by hypothesis: a forgotten content->cue link at 3.32 nA, below CueCont's 3.36 nA
    c=2,
    m=2,
    ops=[
        *[("learn", 1, {1}), ("learn", 1, {0}), ("learn", 0, {0}), ("learn", 0, {1}), ("learn", 1, {0})],
        *[("recall_content", 0, {1}), ("recall_cue", 1, {0}), ("recall_content", 0, {0})],
    ],
)
def test_random_sequences_with_overwrites_match_ideal_cam(c, m, ops):
    """Learn / overwrite / recall by cue / recall by one content bit (as the paper's stress test)."""
    _check_sequence(c, m, ops, single_bit_queries=True)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(c=st.integers(1, 8), m=st.integers(1, 16), ops=st.lists(op_strategy, min_size=1, max_size=12))
def test_random_sequences_without_overwrites_match_ideal_cam(c, m, ops):
    """Multi-bit content queries are exact while no cue has been overwritten."""
    seen: set[int] = set()
    kept = []
    for kind, cue, bits in ops:
        if kind == "learn":
            if cue % c in seen:
                continue
            seen.add(cue % c)
        kept.append((kind, cue, bits))
    _check_sequence(c, m, kept, single_bit_queries=False)


def test_multi_bit_recall_is_plastic():
    """A recall by content fires the queried bits and the answered cue together, so STDP links the other
    queried bits to that cue: the next query sees them (found by hypothesis and the workspace integration test)."""
    mem = CA3CAM(1, 3).learn(0, {2})
    assert mem.recall_by_content({0, 1, 2}) == {0}
    assert mem.recall_by_content({0, 1}) == {0}  # IdealCAM: set(); bits 0 and 1 were never learned with cue 0
    fresh = CA3CAM(1, 3).learn(0, {2})
    assert copy.deepcopy(fresh).recall_by_content({0, 1, 2}) == {0}
    assert fresh.recall_by_content({0, 1}) == set()  # the copy's recall left the memory untouched


def test_known_limitation_forgotten_bits_leave_subthreshold_residues():
    """Overwriting leaves ~3.1 nA on each forgotten content->cue link (below the 3.36 nA one synapse needs);
    a content query holding two forgotten bits of the same cue sums them and recalls that cue, which
    IdealCAM would not. The numpy engine reproduces every recorded SpiNNaker spike, so this is the model's
    behaviour, not a simulator artefact."""
    mem = CA3CAM(2, 4).learn(0, {0, 1, 2}).learn(0, {0})
    w = mem.weights()["content_to_cue"][:, 0]
    assert w[0] == 6.0 and 3.0 < w[1] == w[2] < ONE_SYNAPSE_NA
    assert mem.recall_by_content({1}) == set()  # one residue: silent, as IdealCAM
    assert mem.recall_by_content({1, 2}) == {0}  # two residues: IdealCAM says set()


def test_known_limitation_post_history():
    """With sPyNNaker's 16-slot postsynaptic history, cue 1's link to bit 0 is lost once bit 0 has fired more
    than 15 times (8 learns by cue 0) before cue 1 spikes again; a longer history keeps it."""
    for params, expected in ((CA3Params(), set()), (LONG_HISTORY, {0})):
        mem = CA3CAM(2, 1, params=params).learn(1, {0})
        for _ in range(8):
            mem.learn(0, {0})
        assert mem.recall_by_cue(1) == expected


def test_cli_run_and_help(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "reproduce" in capsys.readouterr().out
    assert main(["run", "--experiment", "3", "--out", str(tmp_path)]) == 0
    txt = (tmp_path / "answers.txt").read_text()
    assert "[2, 6, 10, 12, 13, 14]" in txt and "differs" not in txt and (tmp_path / "raster.png").exists()
    from neurotypes import SpikeTrains

    out = SpikeTrains.load(tmp_path / "spikes_Output.npz")
    assert out.n_units == 16 + 6 and out.n_spikes > 0


def test_no_warning_from_default_spacing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        CA3CAM(2, 2).learn(0, 1).recall_by_cue(0)


def test_progress_bar_changes_nothing(capsys):
    sched = testbench.functional()
    net = build_network(5, 10)
    quiet = run_schedule(net, sched)
    shown = run_schedule(net, sched, progress=True)
    assert quiet.keys() == shown.keys()
    assert all(np.array_equal(quiet[k], shown[k]) for k in quiet)
    assert "simulating" in capsys.readouterr().err
