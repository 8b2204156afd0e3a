"""Property-based bad input over the public API: values that break each argument's rule must raise a TypeError
or ValueError naming the argument."""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ca3_cam import (
    CA3CAM,
    CA3Params,
    IdealCAM,
    NeuronParams,
    NumpySimulator,
    Schedule,
    STDPParams,
    build_network,
    decode_answers,
    ideal_answers,
    run_schedule,
    testbench,
)
from ca3_cam.data import load_recording, read_schedule, reference_testbench_path
from ca3_cam.memory import rows_to_spiketrains
from ca3_cam.plots import plot_raster, plot_scaling
from ca3_cam.reproduce import experiment_schedule, scaling_accuracy, spike_differences
from ca3_cam.simulator import ring_buffer_range, step_response_mv

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

non_finite = st.sampled_from([math.nan, math.inf, -math.inf])
not_a_number = st.one_of(st.text(max_size=3), st.just([0.5]), st.none())
not_an_int = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).filter(lambda x: not float(x).is_integer()),
    st.booleans(),
    st.text(max_size=3),
)


def _raises(fn, *args, name=None, **kwargs):
    with pytest.raises((TypeError, ValueError)) as info:
        fn(*args, **kwargs)
    if name is not None:
        assert name in str(info.value), f"message does not name {name!r}: {info.value}"


@SETTINGS
@given(n=st.one_of(st.integers(max_value=0), not_an_int))
def test_sizes(n):
    _raises(CA3CAM, n, 10, name="n_cues")
    _raises(CA3CAM, 5, n, name="n_content")
    _raises(IdealCAM, n, 3, name="n_cues")
    _raises(build_network, n, 3, name="n_cues")
    _raises(build_network, 2, 3, params=n, name="params")


@SETTINGS
@given(cue=st.one_of(st.integers(max_value=-1), st.integers(min_value=5), not_an_int))
def test_cue(cue):
    _raises(CA3CAM(5, 10).recall_by_cue, cue, name="cue")
    _raises(CA3CAM(5, 10).learn, cue, {1}, name="cue")
    _raises(IdealCAM(5, 10).recall_by_cue, cue, name="cue")


@SETTINGS
@given(
    bits=st.one_of(
        st.just(set()),
        st.just({10}),
        st.just({-1}),
        st.just({0.5}),
        st.just("01"),
        st.just(None),
        st.just([True]),
    )
)
def test_bits(bits):
    _raises(CA3CAM(5, 10).recall_by_content, bits, name="bits")
    _raises(CA3CAM(5, 10).learn, 0, bits, name="content_bits")


@SETTINGS
@given(
    engine=st.one_of(
        st.text(max_size=6).filter(lambda s: s not in ("numpy", "nest", "spinnaker")),
        st.integers(),
        st.none(),
    )
)
def test_engine(engine):
    _raises(CA3CAM, 5, 10, engine=engine, name="engine")
    _raises(run_schedule, build_network(5, 10), testbench.functional(), engine, name="engine")


@SETTINGS
@given(spacing=st.one_of(st.integers(max_value=7), not_an_int))
def test_spacing(spacing):
    _raises(CA3CAM, 5, 10, spacing_ms=spacing, name="spacing_ms")


@SETTINGS
@given(
    arg=st.sampled_from(["cm", "tau_m", "tau_syn_E", "tau_refrac", "v_thresh"]),
    value=st.one_of(
        non_finite, st.floats(max_value=-1e-9, allow_nan=False, allow_infinity=False), not_a_number
    ),
)
def test_neuron_params(arg, value):
    if arg == "v_thresh" and isinstance(value, float) and math.isfinite(value):
        value = -70.0  # below v_reset
    _raises(NeuronParams, **{arg: value}, name=arg)


@SETTINGS
@given(
    arg=st.sampled_from(["tau_plus", "A_plus", "A_minus", "w_max", "post_history", "nearest"]), data=st.data()
)
def test_stdp_params(arg, data):
    bad = data.draw(
        {
            "tau_plus": st.one_of(
                non_finite, st.floats(max_value=0.0, allow_nan=False, allow_infinity=False)
            ),
            "A_plus": st.one_of(
                non_finite, st.floats(max_value=-1e-9, allow_nan=False, allow_infinity=False)
            ),
            "A_minus": st.one_of(
                non_finite, st.floats(max_value=-1e-9, allow_nan=False, allow_infinity=False)
            ),
            "w_max": st.one_of(non_finite, st.floats(max_value=0.0, allow_nan=False, allow_infinity=False)),
            "post_history": st.one_of(st.integers(max_value=1), not_an_int),
            "nearest": st.one_of(st.integers(), st.text(max_size=2), st.none()),
        }[arg]
    )
    _raises(STDPParams, **{arg: bad}, name=arg)


@SETTINGS
@given(arg=st.sampled_from(["w_exc", "delay_plastic", "stdp", "default_neuron"]), data=st.data())
def test_ca3_params(arg, data):
    bad = data.draw(
        {
            "w_exc": st.one_of(non_finite, st.floats(max_value=-1e-9, allow_nan=False, allow_infinity=False)),
            "delay_plastic": st.one_of(st.integers(max_value=0), not_an_int),
            "stdp": st.sampled_from([None, 3, "stdp"]),
            "default_neuron": st.sampled_from([None, 3, "n"]),
        }[arg]
    )
    _raises(CA3Params, **{arg: bad}, name=arg)


@SETTINGS
@given(
    bad=st.sampled_from(["time", "index", "shape", "float", "nan"]),
    duration=st.one_of(st.integers(max_value=0), not_an_int),
)
def test_simulator_run(bad, duration):
    _raises(NumpySimulator, "network", name="network")
    sim = NumpySimulator(build_network(2, 2))
    spikes = {
        "time": [[50, 0]],
        "index": [[0, 9]],
        "shape": [[1, 2, 3]],
        "float": [[0.5, 1]],
        "nan": [[np.nan, 0]],
    }[bad]
    _raises(sim.run, spikes, 10, name="source_spikes")
    _raises(sim.run, [[0, 0]], duration, name="duration")
    _raises(sim.run, [[0, 0]], 10, progress="yes", name="progress")
    _raises(run_schedule, build_network(5, 10), testbench.functional(), progress=1, name="progress")


@SETTINGS
@given(
    window=st.one_of(st.integers(max_value=0), not_an_int),
    rows=st.sampled_from([[[0.5, 1]], [[1, 2, 3]], "rows"]),
)
def test_decode_answers(window, rows):
    s = testbench.functional()
    _raises(decode_answers, s, np.zeros((0, 2), np.int64), window_ms=window, name="window_ms")
    _raises(decode_answers, s, rows, name="output_rows")
    _raises(decode_answers, "schedule", np.zeros((0, 2), np.int64), name="schedule")


@SETTINGS
@given(arg=st.sampled_from(["c", "m", "spacing_ms", "t0_ms"]), data=st.data())
def test_stress_testbench(arg, data):
    bad = data.draw(
        {
            "c": st.one_of(st.integers(max_value=0), not_an_int),
            "m": st.one_of(st.integers(max_value=0), not_an_int),
            "spacing_ms": st.one_of(st.integers(max_value=0), not_an_int),
            "t0_ms": st.one_of(st.integers(max_value=-1), not_an_int),
        }[arg]
    )
    _raises(testbench.stress, **{arg: bad}, name=arg)


@SETTINGS
@given(
    grid=st.sampled_from([[], [[0.5, 1]], [[-1]], "grid"]),
    spacing=st.one_of(st.integers(max_value=2), not_an_int),
)
def test_state_map_testbench(grid, spacing):
    _raises(testbench.state_map, grid, name="grid")
    _raises(testbench.state_map, learn_spacing_ms=spacing, name="learn_spacing_ms")
    _raises(testbench.state_map, queries=[set()], name="queries")


@SETTINGS
@given(weight=st.one_of(non_finite, not_a_number))
def test_single_neuron_helpers(weight):
    _raises(step_response_mv, weight, NeuronParams(), name="weight_na")
    _raises(ring_buffer_range, weight, name="max_weight")
    _raises(step_response_mv, 1.0, "neuron", name="neuron")


@SETTINGS
@given(experiment=st.one_of(st.integers(max_value=0), st.integers(min_value=4), not_an_int))
def test_experiments(experiment):
    _raises(experiment_schedule, experiment, name="experiment")
    _raises(load_recording, experiment, name="experiment")


@SETTINGS
@given(arg=st.sampled_from(["n_cues", "n_content", "bits_per_memory", "n_probes", "seed"]), data=st.data())
def test_scaling_accuracy(arg, data):
    bad = data.draw(
        {
            "n_cues": st.one_of(st.integers(max_value=0), not_an_int),
            "n_content": st.one_of(st.integers(max_value=0), not_an_int),
            "bits_per_memory": st.one_of(st.integers(max_value=0), st.integers(min_value=11), not_an_int),
            "n_probes": st.one_of(st.integers(max_value=0), not_an_int),
            "seed": st.one_of(st.integers(max_value=-1), not_an_int),
        }[arg]
    )
    kwargs = {"n_cues": 2, "n_content": 10, "bits_per_memory": 2, "n_probes": 2, "seed": 0}
    kwargs[arg] = bad
    _raises(scaling_accuracy, **kwargs, name=arg)


def test_other_public_functions(tmp_path):
    _raises(spike_differences, {"A": [[0.5, 1]]}, {}, name="a['A']")
    _raises(spike_differences, {}, "b", name="b")
    _raises(plot_raster, {"Input": [[0, 0]]}, name="populations")
    _raises(plot_raster, "spikes", name="spikes")
    _raises(plot_scaling, [], name="results")
    _raises(plot_scaling, [{"n_cues": 1}], name="results[0]")
    _raises(reference_testbench_path, "tb9", name="name")
    _raises(read_schedule, 3, name="path")
    _raises(read_schedule, reference_testbench_path("tb1"), n_cues=0, name="n_cues")
    with pytest.raises(FileNotFoundError, match="missing"):
        read_schedule(tmp_path / "missing.json")
    unknown = tmp_path / "sched.xyz"
    unknown.write_text("x")
    _raises(read_schedule, unknown, name="sched.xyz")


@SETTINGS
@given(
    rows=st.sampled_from([[[0.5, 1]], [[1, 2, 3]], [[np.nan, 0]], "rows"]),
    t_stop=st.one_of(st.integers(max_value=-1), not_an_int),
)
def test_rows_to_spiketrains(rows, t_stop):
    net = build_network(2, 2)
    _raises(rows_to_spiketrains, {"Output": rows}, net, 10, name="rows['Output']")
    _raises(rows_to_spiketrains, {"Output": [[1, 0]]}, net, t_stop, name="t_stop_ms")
    _raises(rows_to_spiketrains, {"Nowhere": [[1, 0]]}, net, 10, name="Nowhere")
    _raises(rows_to_spiketrains, [[1, 0]], net, 10, name="rows")
    _raises(rows_to_spiketrains, {}, "network", 10, name="network")
    _raises(ideal_answers, "schedule", name="schedule")


@SETTINGS
@given(
    arg=st.sampled_from(["n_cues", "n_content", "t_stop_ms", "warn_spacing", "operations"]), data=st.data()
)
def test_schedule(arg, data):
    bad = data.draw(
        {
            "n_cues": st.one_of(st.integers(max_value=0), not_an_int),
            "n_content": st.one_of(st.integers(max_value=0), not_an_int),
            "t_stop_ms": st.one_of(st.integers(max_value=-1), not_an_int),
            "warn_spacing": st.one_of(st.integers(), st.text(max_size=2), st.none()),
            "operations": st.one_of(st.integers(), st.text(max_size=2), st.none()),
        }[arg]
    )
    kwargs = {"n_cues": 2, "n_content": 2, "operations": (), "t_stop_ms": 10, "warn_spacing": False}
    kwargs[arg] = bad
    _raises(Schedule, **kwargs, name=arg)


@SETTINGS
@given(
    t_stop=st.one_of(st.integers(max_value=0), not_an_int),
    rows=st.sampled_from([[[0.5, 1]], [[1, 2, 3]], "r"]),
)
def test_run_pynn(t_stop, rows):
    from ca3_cam import run_pynn

    net = build_network(2, 2)
    _raises(run_pynn, "nest", "network", [[0, 0]], 10, name="network")
    _raises(run_pynn, "nest", net, [[0, 0]], t_stop, name="t_stop_ms")
    _raises(run_pynn, "nest", net, rows, 10, name="input_rows")
    _raises(run_pynn, "nest", net, [[0, 0]], 10, setup_kwargs=[1], name="setup_kwargs")
    _raises(run_pynn, "brian", net, [[0, 0]], 10, name="engine")
