"""Bad input gets a clear error naming the argument and the rule: property-based over the public API."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from astrosnn import (
    AMSU,
    LIF,
    AMSUCell,
    AstroSNNLM,
    LMConfig,
    NGramLM,
    count_params,
    data,
    gpt2_n_params,
    lif_baseline,
    load_model,
    save_model,
    spike,
    surrogate_grad,
    to_spike_trains,
)
from astrosnn.plots import plot_spike_raster
from astrosnn.train import SequenceDataset, WindowDataset, evaluate, fit, resolve_device

FAST = settings(max_examples=25, deadline=None)

# values that are not a positive integer size
not_positive_int = st.one_of(
    st.integers(max_value=0),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=3),
    st.none(),
)
# values that are not a finite real number
not_finite_real = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf]),
    st.text(max_size=3),
    st.none(),
    st.booleans(),
    st.lists(st.floats(), max_size=2),
)


def _raises_naming(fn, name: str) -> None:
    with pytest.raises((TypeError, ValueError)) as err:
        fn()
    assert name in str(err.value), f"the error must name {name!r}: {err.value}"


@FAST
@given(arg=st.sampled_from(["n_in", "n_hidden"]), bad=not_positive_int)
def test_cell_sizes(arg, bad):
    kwargs = {"n_in": 2, "n_hidden": 3, arg: bad}
    _raises_naming(lambda: AMSUCell(**kwargs), arg)


@FAST
@given(
    arg=st.sampled_from(["beta", "alpha", "gamma", "g_astro", "kappa", "threshold", "surrogate_param"]),
    bad=not_finite_real,
)
def test_cell_parameters_not_finite(arg, bad):
    if arg == "surrogate_param" and bad is None:
        return  # None: the surrogate's default
    _raises_naming(lambda: AMSUCell(2, 3, **{arg: bad}), arg)


@FAST
@given(
    case=st.one_of(
        st.tuples(st.just("beta"), st.floats(1.0001, 1e6)),
        st.tuples(st.just("beta"), st.floats(-1e6, -1e-6)),
        st.tuples(st.just("alpha"), st.floats(1.0, 1e6)),
        st.tuples(st.just("alpha"), st.floats(-1e6, -1e-6)),
        st.tuples(st.just("gamma"), st.floats(-1e6, -1e-6)),
        st.tuples(st.just("threshold"), st.floats(-1e6, 0.0)),
        st.tuples(st.just("surrogate_param"), st.floats(-1e6, 0.0)),
    )
)
def test_cell_parameters_out_of_range(case):
    arg, value = case
    _raises_naming(lambda: AMSUCell(2, 3, **{arg: value}), arg)


@FAST
@given(
    arg=st.sampled_from(["mod", "surrogate", "astro_input"]),
    bad=st.one_of(st.text(max_size=6), st.integers(), st.none()),
)
def test_cell_choices(arg, bad):
    if bad in ("gain", "gate", "current", "none", "atan", "sigmoid", "fast_sigmoid", "spike"):
        return
    _raises_naming(lambda: AMSUCell(2, 3, **{arg: bad}), arg)


@FAST
@given(bad=st.sampled_from([math.nan, math.inf, -math.inf]), where=st.integers(0, 11))
def test_layers_refuse_non_finite_input(bad, where):
    x = torch.zeros(3, 2, 2)
    x.view(-1)[where] = bad
    _raises_naming(lambda: AMSU(2, 4)(x), "x")
    x_t = torch.zeros(2, 2)
    x_t.view(-1)[where % 4] = bad
    _raises_naming(lambda: AMSUCell(2, 4)(x_t), "x_t")
    _raises_naming(lambda: LIF(2)(x), "current")


@FAST
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4))
def test_layers_refuse_wrong_shapes(shape):
    x = torch.zeros(*shape)
    if len(shape) != 3 or shape[-1] != 2:
        _raises_naming(lambda: AMSU(2, 4)(x), "x")
    if len(shape) != 2 or shape[-1] != 2:
        _raises_naming(lambda: AMSUCell(2, 4)(x), "x_t")


def test_layers_refuse_integer_and_non_tensor_input():
    _raises_naming(lambda: AMSU(2, 4)(torch.zeros(3, 2, 2, dtype=torch.long)), "x")
    _raises_naming(lambda: AMSU(2, 4)(np.zeros((3, 2, 2))), "x")
    _raises_naming(lambda: AMSUCell(2, 4).init_state(0), "batch")


@FAST
@given(
    arg=st.sampled_from(["vocab_size", "d_model", "n_layers", "ffn_mult", "max_len"]), bad=not_positive_int
)
def test_lm_config_sizes(arg, bad):
    kwargs = {"vocab_size": 5, arg: bad}
    _raises_naming(lambda: LMConfig(**kwargs), arg)


def test_lm_config_cell_kwargs():
    _raises_naming(lambda: LMConfig(5, cell_kwargs=[("mod", "gain")]), "cell_kwargs")
    with pytest.raises(TypeError, match="unexpected keyword"):
        LMConfig(5, cell_kwargs={"speed": 1})
    _raises_naming(lambda: LMConfig(5, cell_kwargs={"alpha": 1.2}), "alpha")
    _raises_naming(lambda: count_params({"vocab_size": 5}), "config")
    _raises_naming(lambda: lif_baseline("config"), "config")


LM = AstroSNNLM(10, d_model=4, n_layers=1, max_len=16, seed=0)


@FAST
@given(
    tokens=st.one_of(
        st.lists(st.integers(10, 1000), min_size=1, max_size=5).map(lambda v: torch.tensor([v])),
        st.lists(st.integers(-1000, -1), min_size=1, max_size=5).map(lambda v: torch.tensor([v])),
        st.integers(17, 40).map(lambda t: torch.zeros(1, t, dtype=torch.long)),
        st.just(torch.zeros(1, 0, dtype=torch.long)),
        st.just(torch.zeros(2, 3, 4, dtype=torch.long)),
        st.just(torch.zeros(1, 3)),
        st.just(np.zeros((1, 3), dtype=np.int64)),
    )
)
def test_lm_tokens(tokens):
    _raises_naming(lambda: LM(tokens), "tokens")


@FAST
@given(
    case=st.one_of(
        st.tuples(st.just("n"), st.one_of(st.integers(max_value=-1), st.floats(), st.text(max_size=2))),
        st.tuples(
            st.just("temperature"),
            st.one_of(st.floats(max_value=-1e-9), st.sampled_from([math.nan, math.inf])),
        ),
        st.tuples(st.just("seed"), st.one_of(st.integers(max_value=-1), st.floats(), st.text(max_size=2))),
    )
)
def test_generate_arguments(case):
    arg, value = case
    kwargs = {"n": 2, "temperature": 1.0, "seed": 0, arg: value}
    _raises_naming(lambda: LM.generate(torch.tensor([1, 2]), **kwargs), arg)


def test_generate_longer_than_max_len():
    _raises_naming(lambda: LM.generate(torch.zeros(10, dtype=torch.long), 7), "max_len")


@FAST
@given(arg=st.sampled_from(["order", "vocab", "seed", "n_tokens"]), bad=not_positive_int)
def test_markov_corpus_arguments(arg, bad):
    if arg == "seed" and isinstance(bad, int) and not isinstance(bad, bool) and bad == 0:
        return  # seed 0 is valid
    kwargs = {"order": 1, "vocab": 3, "n_tokens": 10, "seed": 0, arg: bad}
    _raises_naming(lambda: data.markov_corpus(**kwargs), arg)


@FAST
@given(concentration=not_finite_real | st.floats(max_value=0.0))
def test_markov_table_concentration(concentration):
    _raises_naming(lambda: data.markov_table(1, 3, 0, concentration), "concentration")


@FAST
@given(
    table=st.one_of(
        st.just(np.array([[0.5, 0.5], [np.nan, 0.5]])),
        st.just(np.array([[1.5, -0.5], [0.5, 0.5]])),
        st.just(np.array([[0.2, 0.2], [0.5, 0.5]])),
        st.just(np.ones((3, 2)) / 2),
        st.just(np.ones(4) / 4),
    )
)
def test_markov_entropy_rate_table(table):
    _raises_naming(lambda: data.markov_entropy_rate(table, 1), "table")


@FAST
@given(arg=st.sampled_from(["L", "n_sym", "n_seq", "string_len"]), bad=not_positive_int)
def test_copy_task_arguments(arg, bad):
    kwargs = {"L": 8, "n_sym": 4, "n_seq": 3, "string_len": 1, arg: bad}
    _raises_naming(lambda: data.copy_task(**kwargs), arg)


@FAST
@given(text=st.one_of(st.integers(), st.none(), st.binary(max_size=4), st.just("")))
def test_tokenizers(text):
    _raises_naming(lambda: data.CharTokenizer(text), "text")
    if not isinstance(text, str):
        _raises_naming(lambda: data.ByteTokenizer().encode(text), "text")
        _raises_naming(lambda: data.CharTokenizer("ab").encode(text), "text")


@FAST
@given(ids=st.lists(st.integers(), min_size=1, max_size=5))
def test_decode_out_of_range(ids):
    tok = data.CharTokenizer("abc")
    if all(0 <= i < 3 for i in ids):
        assert len(tok.decode(ids)) == len(ids)
    else:
        _raises_naming(lambda: tok.decode(ids), "ids")
    if not all(0 <= i < 256 for i in ids):
        _raises_naming(lambda: data.ByteTokenizer().decode(ids), "ids")


def test_load_text_file_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"missing\.txt"):
        data.load_text_file(tmp_path / "missing.txt")
    _raises_naming(lambda: data.load_text_file(tmp_path), "path")
    _raises_naming(lambda: data.load_text_file(3), "path")
    binary = tmp_path / "binary.dat"
    binary.write_bytes(b"\x00\x01\x02 text")
    _raises_naming(lambda: data.load_text_file(binary), "binary.dat")
    ok = tmp_path / "ok.txt"
    ok.write_text("ab")
    _raises_naming(lambda: data.load_text_file(ok, min_chars=0), "min_chars")
    _raises_naming(lambda: data.load_text_file(ok, min_chars=3), "ok.txt")


@FAST
@given(arg=st.sampled_from(["order", "vocab"]), bad=not_positive_int)
def test_ngram_sizes(arg, bad):
    kwargs = {"order": 2, "vocab": 4, arg: bad}
    _raises_naming(lambda: NGramLM(**kwargs), arg)


@FAST
@given(
    tokens=st.one_of(
        st.lists(st.integers(4, 100), min_size=3, max_size=8),
        st.lists(st.integers(-100, -1), min_size=3, max_size=8),
        st.lists(st.floats(0.1, 0.9), min_size=3, max_size=8),
        st.just([1]),
    ),
    alpha=st.one_of(st.just("holdout"), st.floats(0.01, 2.0)),
)
def test_ngram_tokens(tokens, alpha):
    _raises_naming(lambda: NGramLM(2, 4, alpha=1.0).fit(tokens), "tokens")
    _raises_naming(lambda: NGramLM(2, 4, alpha=alpha).fit([0, 1, 2, 3] * 10).token_nll(tokens), "tokens")


def test_ngram_alpha_and_fitting():
    _raises_naming(lambda: NGramLM(2, 4, alpha=0.0), "alpha")
    _raises_naming(lambda: NGramLM(2, 4, alpha="laplace"), "alpha")
    _raises_naming(lambda: NGramLM(2, 4).token_nll([0, 1]), "fit")
    _raises_naming(lambda: NGramLM(2, 4, 1.0).fit([0, 1, 2]).prob([0, 1], 1), "context")
    _raises_naming(lambda: NGramLM(2, 4, 1.0).fit([0, 1, 2]).prob([0], 4), "token")


@FAST
@given(arg=st.sampled_from(["vocab_size", "n_embd", "n_layer", "n_positions"]), bad=not_positive_int)
def test_gpt2_n_params(arg, bad):
    kwargs = {"vocab_size": 4, "n_embd": 8, "n_layer": 1, "n_positions": 8, arg: bad}
    _raises_naming(lambda: gpt2_n_params(**kwargs), arg)


@FAST
@given(
    case=st.one_of(
        st.tuples(st.just("spikes"), st.just(np.full((3, 2), np.nan))),
        st.tuples(st.just("spikes"), st.just(np.zeros(4))),
        st.tuples(st.just("spikes"), st.just(np.zeros((0, 3)))),
        st.tuples(st.just("spikes"), st.just("spikes")),
        st.tuples(st.just("dt"), not_finite_real | st.floats(max_value=0.0)),
        st.tuples(
            st.just("batch_index"), st.one_of(st.integers(max_value=-1), st.integers(2, 100), st.floats())
        ),
    )
)
def test_to_spike_trains(case):
    arg, value = case
    kwargs = {"spikes": np.zeros((3, 2, 2)), "dt": 1e-3, "batch_index": 0, arg: value}
    _raises_naming(lambda: to_spike_trains(**kwargs), "batch" if arg == "batch_index" else arg)


@FAST
@given(x=st.one_of(st.just(np.zeros(3)), st.just(torch.zeros(3, dtype=torch.long)), st.just([0.1])))
def test_surrogate_input(x):
    _raises_naming(lambda: spike(x), "x")
    _raises_naming(lambda: surrogate_grad(x), "x")


@FAST
@given(name=st.text(max_size=8), param=st.floats(max_value=0.0) | st.sampled_from([math.nan, math.inf]))
def test_surrogate_name_and_param(name, param):
    if name not in ("atan", "sigmoid", "fast_sigmoid"):
        _raises_naming(lambda: spike(torch.zeros(2), name), "name")
    _raises_naming(lambda: surrogate_grad(torch.zeros(2), "atan", param), "param")


@FAST
@given(
    case=st.one_of(
        st.tuples(st.just("tokens"), st.just(np.zeros((3, 4), dtype=np.int64))),
        st.tuples(st.just("tokens"), st.just(np.array([0.5, 1.5, 2.0, 3.0]))),
        st.tuples(st.just("tokens"), st.just(np.array([-1, 2, 3, 4]))),
        st.tuples(st.just("seq_len"), not_positive_int),
        st.tuples(st.just("skip"), st.one_of(st.integers(max_value=-1), st.integers(4, 50), st.floats())),
    )
)
def test_window_dataset(case):
    arg, value = case
    kwargs = {"tokens": np.arange(40) % 5, "seq_len": 4, "skip": 0, arg: value}
    _raises_naming(lambda: WindowDataset(**kwargs), arg)


def test_sequence_dataset_and_training_arguments():
    _raises_naming(lambda: SequenceDataset(np.zeros(5, dtype=np.int64), np.zeros(4, dtype=bool)), "tokens")
    _raises_naming(
        lambda: SequenceDataset(np.zeros((3, 5), dtype=np.int64), np.zeros((3, 5), dtype=bool)), "target_mask"
    )
    ds = WindowDataset(np.arange(40) % 4, 4)
    lm = AstroSNNLM(4, d_model=4, n_layers=1)
    for arg, bad in (
        ("steps", 0),
        ("batch_size", -1),
        ("lr", 0.0),
        ("lr", math.nan),
        ("seed", -3),
        ("grad_clip", 0.0),
    ):
        _raises_naming(lambda arg=arg, bad=bad: fit(lm, ds, **{"steps": 1, arg: bad}), arg)
    _raises_naming(lambda: fit("model", ds, steps=1), "model")
    _raises_naming(lambda: fit(lm, [1, 2, 3], steps=1), "train")
    _raises_naming(lambda: evaluate(lm, ds, batch_size=0), "batch_size")
    _raises_naming(lambda: resolve_device("tpu"), "device")
    _raises_naming(lambda: resolve_device(3), "device")


def test_model_files(tmp_path):
    lm = AstroSNNLM(5, d_model=4, n_layers=1, seed=0)
    _raises_naming(lambda: save_model("lm", tmp_path / "m.npz"), "model")
    _raises_naming(lambda: save_model(lm, tmp_path / "m.npz", tokenizer="char"), "tokenizer")
    _raises_naming(lambda: load_model(tmp_path / "none.npz"), "none.npz")
    _raises_naming(lambda: load_model(42), "path")
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"\x00\x01 not a model \xff" * 10)
    _raises_naming(lambda: load_model(garbage), "garbage.npz")


def test_plot_arguments():
    _raises_naming(lambda: plot_spike_raster(np.zeros((3, 2))), "spikes")
