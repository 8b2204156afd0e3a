"""Bad input over the public API: hypothesis draws a bad value for one argument (the others valid) and the call
must raise a ValueError or TypeError that names the argument; plus hand-picked cases from issue 23."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neuroformer import (
    Neuroformer,
    NeuroformerConfig,
    NeuroformerLit,
    SpikeTokenizer,
    TimeSeries,
    WindowDataset,
    analysis,
    baselines,
    clip_loss,
    filter_logits,
    fit,
    generate_spikes,
    info_nce,
    load_model,
    read_spikes,
    sim,
    tokenize_dataset,
    window_log_likelihood,
)
from neuroformer.data import stimulus_windows, window_means
from neurotypes import SpikeCounts, SpikeTrains, Stimulus

NAN, INF = float("nan"), float("inf")
junk = st.sampled_from(["3", None, [1, 2], {"a": 1}, b"x", object()])


def bad_positive_int(minimum: int = 1) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.integers(max_value=minimum - 1),
        st.floats(allow_nan=True, allow_infinity=True),
        st.just(True),
        junk,
    )


def bad_positive_float() -> st.SearchStrategy[Any]:
    return st.one_of(st.floats(max_value=0.0), st.sampled_from([NAN, INF, -INF]), st.just(True), junk)


def bad_nonneg_float() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.floats(max_value=-1e-9, allow_infinity=True), st.sampled_from([NAN, INF]), st.just(False), junk
    )


def bad_probability() -> st.SearchStrategy[Any]:
    return st.one_of(st.floats(max_value=-1e-6), st.floats(min_value=1.0 + 1e-6), st.just(NAN), junk)


def bad_choice() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.text(max_size=5).filter(lambda s: s not in ("reference", "exact", "clean")),
        st.integers(),
        st.none(),
    )


def bad_raster() -> st.SearchStrategy[Any]:
    return st.sampled_from(
        [
            np.full((3, 40), np.nan),
            -np.ones((3, 40)),
            np.full((3, 40), 0.5),
            np.zeros(40),
            np.zeros((3, 40, 2)),
            "raster",
            np.array([[1 + 1j] * 40] * 3),
        ]
    )


def bad_vector() -> st.SearchStrategy[Any]:
    return st.sampled_from(
        [np.array([np.nan, 1.0]), np.array([np.inf]), np.zeros((2, 2)), "x", None, [[1, 2], [3]]]
    )


def check_raises(call: Callable[[], Any], name: str) -> None:
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    message = str(info.value)
    stem = name.split("[")[0]
    assert re.search(re.escape(stem), message), f"error for {name!r} does not name it: {message}"


SETTINGS = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def tok() -> SpikeTokenizer:
    return SpikeTokenizer(3, 0.01, 0.05, 0.05, 20, 20)


def raster() -> np.ndarray:
    return (np.random.default_rng(0).random((3, 60)) < 0.2).astype(np.int64)


def small_cfg(**kw: Any) -> NeuroformerConfig:
    base: dict[str, Any] = dict(
        id_vocab_size=6,
        dt_vocab_size=9,
        id_block_size=20,
        prev_id_block_size=20,
        n_embd=8,
        n_head=2,
        n_state_layers=1,
        n_state_history_layers=1,
        n_stimulus_layers=0,
        n_self_layers=1,
        dropout=0.0,
    )
    base.update(kw)
    return NeuroformerConfig(**base)


# ----------------------------------------------------------------------------------------------- tokenizer

TOKENIZER_ARGS = {
    "n_neurons": bad_positive_int(),
    "dt": bad_positive_float(),
    "window": bad_positive_float(),
    "window_prev": bad_nonneg_float(),
    "id_block_size": bad_positive_int(3),
    "prev_id_block_size": bad_positive_int(3),
    "dt_grid": bad_choice(),
    "truncation": bad_choice(),
}


@pytest.mark.parametrize("arg", sorted(TOKENIZER_ARGS))
@SETTINGS
@given(data=st.data())
def test_tokenizer_constructor(arg, data):
    kw: dict[str, Any] = dict(
        n_neurons=3, dt=0.01, window=0.05, window_prev=0.05, id_block_size=20, prev_id_block_size=20
    )
    kw[arg] = data.draw(TOKENIZER_ARGS[arg])
    check_raises(lambda: SpikeTokenizer(**kw), arg)


@SETTINGS
@given(spikes=bad_raster())
def test_encode_bad_spikes(spikes):
    check_raises(lambda: tok().encode(spikes, [0.2]), "spikes")
    check_raises(lambda: tok().encode_window(spikes, 0.2), "spikes")


@SETTINGS
@given(
    t=st.one_of(
        st.floats(max_value=-1e-9),
        st.sampled_from([NAN, INF]),
        junk,
        st.floats(min_value=0.61, max_value=1e6),
    )
)
def test_encode_window_bad_anchor(t):
    check_raises(lambda: tok().encode_window(raster(), t), "t")


@SETTINGS
@given(times=st.one_of(bad_vector(), st.just(np.array([])), st.just(np.array([-0.1]))))
def test_encode_bad_times(times):
    check_raises(lambda: tok().encode(raster(), times), "times")


@SETTINGS
@given(n_bins=bad_positive_int(), stride=bad_positive_float().filter(lambda v: v is not None))
def test_default_anchors(n_bins, stride):
    check_raises(lambda: tok().default_anchors(n_bins), "n_bins")
    check_raises(lambda: tok().default_anchors(60, stride), "stride")


def test_decode_and_neuron_count():
    check_raises(lambda: tok().decode([1, 2], [1]), "ids")
    check_raises(lambda: tok().decode([-1], [0]), "ids")
    check_raises(lambda: tok().encode(np.zeros((4, 60), dtype=int), [0.2]), "n_neurons")
    st_ = SpikeTrains(times=np.array([0.1]), units=np.array([3]), n_units=4, t_stop=1.0)
    check_raises(lambda: tok().encode(st_, [0.2]), "n_neurons")
    check_raises(
        lambda: tok().encode(SpikeCounts(np.zeros((3, 60), dtype=np.int64), 0.02), [0.2]), "bin_size"
    )


# ------------------------------------------------------------------------------------------ data containers


@SETTINGS
@given(
    values=bad_vector().filter(lambda v: not (isinstance(v, np.ndarray) and v.shape == (2, 2))),
    t=bad_vector(),
)
def test_timeseries(values, t):
    check_raises(lambda: TimeSeries(values, [0.0, 1.0]), "values")
    check_raises(lambda: TimeSeries([1.0, 2.0], t), "t")


def test_timeseries_rules_and_windows():
    check_raises(lambda: TimeSeries([1.0, 2.0], [1.0, 1.0]), "t")
    check_raises(lambda: TimeSeries([1.0, 2.0, 3.0], [0.0, 1.0]), "t")
    ts = TimeSeries([1.0, 2.0, 3.0], [0.0, 1.0, 2.0])
    check_raises(lambda: window_means(ts, [0.0], -1.0), "width")
    check_raises(lambda: window_means(ts, [5.0], 1.0), "starts")
    check_raises(lambda: window_means("ts", [0.0], 1.0), "series")  # type: ignore[arg-type]
    stim = Stimulus(np.zeros((10, 1)), rate=100.0)
    check_raises(lambda: stimulus_windows(stim, [0.5], 0.05), "ends")
    check_raises(lambda: stimulus_windows(stim, [0.05], 0.001), "width")
    check_raises(lambda: WindowDataset({"a": np.zeros(3), "b": np.zeros(4)}), "a")
    check_raises(lambda: WindowDataset({}), "arrays")
    check_raises(lambda: WindowDataset({"a": np.zeros(3)}).subset([5]), "idx")
    check_raises(lambda: tokenize_dataset("tok", raster(), [0.2]), "tokenizer")


def test_read_spikes_bad_paths(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.nwb"):
        read_spikes(tmp_path / "nope.nwb")
    for suffix in (".npz", ".nwb", ".csv", ".xyz"):
        bad = tmp_path / f"garbage{suffix}"
        bad.write_bytes(b"\x00\x01 not a recording \xff" * 8)
        with pytest.raises(ValueError, match=f"garbage{re.escape(suffix)}"):
            read_spikes(bad)
    table = tmp_path / "events.csv"
    table.write_text("unit,time\n0,0.1\n1,nan\n")
    with pytest.raises(ValueError, match=r"events\.csv"):
        read_spikes(table)
    check_raises(lambda: read_spikes(table, layout="rows"), "layout")
    check_raises(lambda: read_spikes(table, bin_size=-1.0), "bin_size")
    check_raises(lambda: read_spikes(12), "path")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------- model

CONFIG_ARGS = {
    "id_vocab_size": bad_positive_int(4),
    "dt_vocab_size": bad_positive_int(4),
    "id_block_size": bad_positive_int(),
    "prev_id_block_size": bad_positive_int(),
    "n_embd": bad_positive_int(),
    "n_head": bad_positive_int(),
    "n_state_layers": bad_positive_int(0),
    "n_self_layers": bad_positive_int(0),
    "dropout": st.one_of(st.floats(min_value=1.0), st.floats(max_value=-1e-9), st.just(NAN), junk),
    "clip_temp": bad_positive_float(),
    "clip_embd": bad_positive_int(),
    "w_contrastive": st.one_of(st.floats(min_value=1.0), st.floats(max_value=-1e-9), st.just(NAN), junk),
    "w_id": bad_nonneg_float(),
    "sparse_topk": st.one_of(st.integers(max_value=0), st.floats(), junk.filter(lambda v: v is not None)),
    "stimulus_dim": st.one_of(st.integers(max_value=0), st.floats(), st.just("3")),
    "finetune_vars": st.sampled_from([{"speed": 1}, {"speed": -1}, {"": 0}, ["speed"], {"speed": 2.5}]),
    "id_pad": st.integers(min_value=6) | st.integers(max_value=-1),
    "reference_compat": st.sampled_from([1, "yes", None]),
}


@pytest.mark.parametrize("arg", sorted(CONFIG_ARGS))
@SETTINGS
@given(data=st.data())
def test_config(arg, data):
    value = data.draw(CONFIG_ARGS[arg])
    check_raises(lambda: small_cfg(**{arg: value}), arg)


def test_config_combinations():
    check_raises(lambda: small_cfg(n_embd=30, n_head=4), "n_embd")
    check_raises(lambda: NeuroformerConfig.from_dict({"n_embd": 8, "bogus": 1}), "bogus")
    check_raises(lambda: Neuroformer({"n_embd": 8}), "config")  # type: ignore[arg-type]
    check_raises(lambda: Neuroformer(small_cfg(), seed=-1), "seed")


def _batch(cfg: NeuroformerConfig, **override: Any) -> dict[str, Any]:
    b = {k: torch.zeros(2, 5, dtype=torch.long) for k in ("x_id", "x_dt", "x_id_prev", "x_dt_prev")}
    b.update(override)
    return b


def test_forward_batches():
    cfg = small_cfg()
    m = Neuroformer(cfg, seed=0)
    check_raises(lambda: m({k: v for k, v in _batch(cfg).items() if k != "x_dt"}), "x_dt")
    check_raises(lambda: m(_batch(cfg, x_id=torch.full((2, 5), 6))), "x_id")
    check_raises(lambda: m(_batch(cfg, x_dt=torch.full((2, 5), 9))), "x_dt")
    check_raises(lambda: m(_batch(cfg, x_id=torch.zeros(2, 5))), "x_id")
    check_raises(lambda: m(_batch(cfg, x_id=torch.zeros(2, 21, dtype=torch.long))), "x_id")
    check_raises(lambda: m(_batch(cfg, x_id_prev=torch.zeros(3, 5, dtype=torch.long))), "x_id_prev")
    check_raises(lambda: m(_batch(cfg, x_dt=torch.zeros(2, 4, dtype=torch.long))), "batch")
    check_raises(lambda: m([1, 2]), "batch")  # type: ignore[arg-type]


@SETTINGS
@given(
    n_tokens=st.one_of(st.integers(max_value=-1), st.integers(min_value=20), st.floats(), junk),
    temperature=bad_positive_float(),
    top_k=st.one_of(st.integers(max_value=0), st.floats(), st.just("1")),
    top_p=st.one_of(st.floats(max_value=0.0), st.floats(min_value=1.0 + 1e-9), st.just(NAN), st.just("1")),
)
def test_generate(n_tokens, temperature, top_k, top_p):
    m = Neuroformer(small_cfg(), seed=0)
    ctx = {"x_id_prev": torch.zeros(1, 5, dtype=torch.long), "x_dt_prev": torch.zeros(1, 5, dtype=torch.long)}
    check_raises(lambda: m.generate(ctx, n_tokens), "n_tokens")
    check_raises(lambda: m.generate(ctx, 3, temperature=temperature), "temperature")
    check_raises(lambda: m.generate(ctx, 3, top_k=top_k), "top_k")
    check_raises(lambda: m.generate(ctx, 3, top_p=top_p), "top_p")
    check_raises(lambda: m.generate({"x_id_prev": ctx["x_id_prev"]}, 3), "context")


@SETTINGS
@given(
    b_rows=st.integers(min_value=1, max_value=6),
    temperature=bad_positive_float(),
)
def test_info_nce_and_clip(b_rows, temperature):
    a = torch.nn.functional.normalize(torch.randn(4, 3), dim=-1)
    if b_rows != 4:  # issue 23: mismatched batch sizes were accepted
        b = torch.nn.functional.normalize(torch.randn(b_rows, 3), dim=-1)
        check_raises(lambda: info_nce(a, b, 0.5), "a and b")
        check_raises(lambda: clip_loss(a, b, 0.5), "a and b")
    # issue 23: a negative temperature was accepted by clip_loss
    check_raises(lambda: info_nce(a, a, temperature), "temperature")
    check_raises(lambda: clip_loss(a, a, temperature), "temperature")


def test_info_nce_shapes_types_values():
    a = torch.eye(3)
    check_raises(lambda: info_nce(a[0], a[0], 0.5), "a")
    check_raises(lambda: info_nce(np.eye(3), a, 0.5), "a")  # type: ignore[arg-type]
    check_raises(lambda: info_nce(a, a.long(), 0.5), "b")
    check_raises(lambda: info_nce(a, torch.full((3, 3), float("nan")), 0.5), "a and b")
    check_raises(lambda: info_nce(a, a[:, :2], 0.5), "a and b")
    check_raises(lambda: filter_logits(torch.tensor([1.0, NAN])), "logits")
    check_raises(lambda: filter_logits([1.0]), "logits")  # type: ignore[arg-type]


def test_model_files(tmp_path):
    bad = tmp_path / "garbage.npz"
    bad.write_bytes(b"not a zip" * 20)
    with pytest.raises(ValueError, match=r"garbage\.npz"):
        load_model(bad)
    other = tmp_path / "other.npz"
    np.savez(other, x=np.zeros(3))
    with pytest.raises(ValueError, match="not a neuroformer model"):
        load_model(other)
    with pytest.raises(FileNotFoundError, match=r"missing\.npz"):
        load_model(tmp_path / "missing.npz")
    check_raises(lambda: load_model(tmp_path / "model.pt"), "path")
    check_raises(lambda: Neuroformer(small_cfg(), seed=0).save(tmp_path / "model.pt"), "path")


# ------------------------------------------------------------------------------------------------ training


def test_training_arguments():
    cfg = small_cfg()
    ds = WindowDataset(
        {
            k: np.zeros((4, 5), dtype=np.int64)
            for k in ("x_id", "x_dt", "y_id", "y_dt", "x_id_prev", "x_dt_prev")
        }
    )
    check_raises(lambda: NeuroformerLit(cfg, task="train"), "task")
    check_raises(lambda: NeuroformerLit(cfg, task="finetune:"), "finetune")
    check_raises(lambda: NeuroformerLit(cfg, lr=-1.0), "lr")
    check_raises(lambda: NeuroformerLit(cfg, lr=NAN), "lr")
    check_raises(lambda: NeuroformerLit(cfg, model="m"), "model")  # type: ignore[arg-type]
    lit = NeuroformerLit(cfg, seed=0)
    check_raises(lambda: fit(lit, ds, max_epochs=0), "max_epochs")
    check_raises(lambda: fit(lit, ds, batch_size=0), "batch_size")
    check_raises(lambda: fit(lit, ds, seed=-3), "seed")
    check_raises(lambda: fit(lit, ds, accelerator="tpu9"), "accelerator")
    check_raises(lambda: fit(lit, ds, max_steps=0), "max_steps")
    check_raises(lambda: fit(lit, {"x_id": 1}), "train")  # type: ignore[arg-type]
    check_raises(lambda: window_log_likelihood(lit.model, WindowDataset({"x_id": np.zeros((2, 5))})), "y_id")
    check_raises(lambda: window_log_likelihood(lit.model, ds, batch_size=0), "batch_size")


def test_generate_spikes_arguments():
    t = tok()
    m = Neuroformer(
        NeuroformerConfig.from_tokenizer(
            t,
            n_embd=8,
            n_head=2,
            n_state_layers=1,
            n_state_history_layers=1,
            n_stimulus_layers=0,
            n_self_layers=1,
        ),
        seed=0,
    )
    check_raises(lambda: generate_spikes(m, t, raster(), [0.3, 0.2]), "anchors")
    check_raises(lambda: generate_spikes(m, t, raster(), [NAN]), "anchors")
    check_raises(lambda: generate_spikes(m, t, raster(), [0.2], seed=-1), "seed")
    check_raises(lambda: generate_spikes(m, "tok", raster(), [0.2]), "tokenizer")  # type: ignore[arg-type]
    check_raises(
        lambda: generate_spikes(m, SpikeTokenizer(4, 0.01, 0.05, 0.05, 20, 20), raster(), [0.2]), "vocabulary"
    )


# ------------------------------------------------------------------------------------------------ simulators

SIM_ARGS: dict[str, tuple[Callable[..., Any], dict[str, Any], dict[str, st.SearchStrategy[Any]]]] = {
    "hub_network": (
        sim.hub_network,
        {"duration": 1.0},
        {
            "n_neurons": bad_positive_int(2),
            "n_hubs": bad_positive_int(),
            "n_targets": bad_positive_int(),
            "duration": bad_positive_float(),
            "dt": bad_positive_float(),
            "base_rate": bad_positive_float(),
            "hub_rate": st.one_of(bad_positive_float(), st.floats(min_value=100.0, max_value=1e9)),
            "tau": bad_positive_float(),
            "p_background": bad_probability(),
            "ou_sigma": bad_nonneg_float(),
            "seed": st.one_of(st.integers(max_value=-1), st.floats(), st.just("0")),
        },
    ),
    "stimulus_driven": (
        sim.stimulus_driven,
        {"duration": 1.0},
        {
            "n_driven": st.integers(min_value=31) | st.integers(max_value=-1),
            "gain": st.sampled_from([NAN, INF]),
            "stim_tau": bad_positive_float(),
        },
    ),
    "behaviour": (
        sim.behaviour,
        {"duration": 1.0},
        {"n_latents": bad_positive_int(), "noise": bad_nonneg_float(), "latent_tau": bad_positive_float()},
    ),
    "multimodal": (
        sim.multimodal,
        {"duration": 1.0},
        {
            "n_neurons": bad_positive_int(),
            "stimulus_noise": bad_nonneg_float(),
            "duration": bad_positive_float(),
        },
    ),
}
SIM_CASES = [(name, arg) for name, (_, _, args) in SIM_ARGS.items() for arg in args]


@pytest.mark.parametrize(("name", "arg"), SIM_CASES)
@SETTINGS
@given(data=st.data())
def test_simulators(name, arg, data):
    fn, valid, args = SIM_ARGS[name]
    kw = dict(valid)
    kw[arg] = data.draw(args[arg])
    check_raises(lambda: fn(**kw), arg)


def test_hub_network_sizes():
    check_raises(
        lambda: sim.hub_network(n_neurons=5, n_hubs=3, n_targets=8, duration=1.0), "n_hubs + n_targets"
    )
    check_raises(lambda: sim.ou_process(10, 0.01, -1.0, 1.0, 0), "tau")


# ------------------------------------------------------------------------------------------------ analysis


@SETTINGS
@given(score=bad_vector(), rows=st.sampled_from([[-1], [5], "a", [0.5]]))
def test_analysis_scores(score, rows):
    edges = np.zeros((3, 3), dtype=bool)
    edges[0, 1] = True
    good = np.arange(9.0).reshape(3, 3)
    check_raises(lambda: analysis.edge_auroc(score, edges), "score")
    check_raises(lambda: analysis.direction_accuracy(score, edges), "score")
    check_raises(lambda: analysis.within_row_auroc(good, edges, rows), "rows")


def test_analysis_shapes():
    edges = np.zeros((3, 3), dtype=bool)
    edges[0, 1] = True
    check_raises(lambda: analysis.edge_auroc(np.zeros((3, 4)), np.zeros((3, 4), bool)), "score")
    check_raises(lambda: analysis.edge_auroc(np.zeros((3, 3)), np.zeros((3, 3), bool)), "edges")
    check_raises(
        lambda: analysis.edge_auroc(np.zeros((3, 3)), edges, exclude=np.zeros((2, 2), bool)), "exclude"
    )
    check_raises(lambda: analysis.cross_correlogram_connectivity(raster(), max_lag=0), "max_lag")
    check_raises(lambda: analysis.cross_correlogram_connectivity(-raster()), "raster")
    check_raises(lambda: analysis.circular_shuffle(np.zeros((2, 5), dtype=int)), "raster")
    check_raises(lambda: analysis.circular_shuffle(raster(), seed="x"), "seed")
    att = np.ones((1, 2, 3)) / 3
    check_raises(
        lambda: analysis.accumulate_attention(att, np.zeros((1, 3), int), np.zeros((1, 3), int), 2), "q_ids"
    )
    check_raises(
        lambda: analysis.accumulate_attention(-att, np.zeros((1, 2), int), np.zeros((1, 3), int), 2), "att"
    )
    m = Neuroformer(small_cfg(), seed=0)
    ds = WindowDataset(
        {k: np.zeros((2, 5), dtype=np.int64) for k in ("x_id", "x_dt", "x_id_prev", "x_dt_prev")}
    )
    check_raises(lambda: analysis.attention_connectivity(m, ds, 3, stack="cross"), "stack")
    check_raises(lambda: analysis.attention_connectivity(m, ds, 3, query="key"), "query")
    check_raises(lambda: analysis.attention_connectivity(m, ds, 3, query="target"), "y_id")
    check_raises(lambda: analysis.attention_connectivity(m, ds, 0), "n_neurons")
    check_raises(lambda: analysis.attention_connectivity(m, ds, 4), "n_neurons")


# ------------------------------------------------------------------------------------------------ baselines


@SETTINGS
@given(
    n_lags=bad_positive_int(),
    alpha=bad_nonneg_float(),
    validation=st.one_of(bad_positive_float(), st.floats(min_value=0.51, max_value=1e6)),
)
def test_glm_arguments(n_lags, alpha, validation):
    check_raises(lambda: baselines.PoissonGLM(n_lags=n_lags), "n_lags")
    check_raises(lambda: baselines.PoissonGLM(alphas=(alpha,)), "alphas")
    check_raises(lambda: baselines.PoissonGLM(validation=validation), "validation")


@SETTINGS
@given(r=bad_raster())
def test_glm_rasters(r):
    check_raises(lambda: baselines.history_design(r, 2), "raster")
    check_raises(lambda: baselines.PoissonGLM(n_lags=1).fit(r), "raster")


def test_baseline_shapes():
    glm = baselines.PoissonGLM(n_lags=1, alphas=(0.0,))
    check_raises(lambda: glm.log_likelihood(raster()), "fit")
    check_raises(lambda: glm.fit(np.zeros((3, 5), dtype=int)), "raster")
    glm.fit(np.random.default_rng(0).poisson(0.3, (3, 200)))
    check_raises(lambda: glm.log_likelihood(np.zeros((4, 20), dtype=int)), "raster")
    check_raises(lambda: glm.window_log_likelihood(raster(), [58], 5), "starts")
    check_raises(lambda: baselines.count_windows(raster(), [-1], 5), "starts")
    check_raises(lambda: baselines.count_windows(raster(), [0], 0), "width")
    seq = np.zeros((20, 4, 3))
    check_raises(
        lambda: baselines.decoding_baselines(seq, np.zeros(19), np.arange(10), np.arange(10, 20)), "y"
    )
    check_raises(
        lambda: baselines.decoding_baselines(seq, np.zeros(20), np.arange(3), np.arange(10, 20)), "train"
    )
    check_raises(
        lambda: baselines.decoding_baselines(seq, np.zeros(20), np.arange(10), np.array([25, 26])), "test"
    )
    d = {"y_id": np.zeros((2, 3), dtype=int), "y_dt": np.zeros((2, 3), dtype=int)}
    check_raises(lambda: baselines.unigram_window_log_likelihood(d, {"y_id": d["y_id"]}, 5, 5, 4), "test")
    check_raises(lambda: baselines.unigram_window_log_likelihood(d, d, 5, 5, 7), "pad_id")


def test_reproduce_arguments(tmp_path):
    from neuroformer import reproduce

    check_raises(lambda: reproduce(tmp_path, seed=-1), "seed")
    check_raises(lambda: reproduce(tmp_path, threads=0), "threads")
    check_raises(lambda: reproduce(tmp_path, device="tpu"), "device")


def test_no_nan_leaks_into_results():
    """The issue-23 pattern (NaN turned into a plausible number) for the package's number-valued helpers."""
    assert math.isnan(float("nan"))
    check_raises(lambda: window_means(TimeSeries([1.0, 2.0], [0.0, 1.0]), [NAN], 1.0), "starts")
    check_raises(lambda: sim.hub_network(duration=NAN), "duration")
    check_raises(lambda: tok().encode(raster(), [NAN]), "times")
