"""Bad input raises clear errors naming the argument."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neuroformer import Neuroformer, NeuroformerConfig, NeuroformerLit, SpikeTokenizer
from neuroformer.data import TimeSeries, WindowDataset
from neurotypes import SpikeCounts, SpikeTrains


def tok():
    return SpikeTokenizer(5, 0.01, 0.05, 0.15, 20, 40)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_neurons": 0}, "n_neurons"),
        ({"n_neurons": 5, "dt": 0}, "dt"),
        ({"n_neurons": 5, "window": -1}, "window"),
        ({"n_neurons": 5, "window_prev": -0.1}, "window_prev"),
        ({"n_neurons": 5, "id_block_size": 2}, "id_block_size"),
        ({"n_neurons": 5, "prev_id_block_size": 1}, "prev_id_block_size"),
        ({"n_neurons": 5, "dt_grid": "float"}, "dt_grid"),
    ],
)
def test_tokenizer_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SpikeTokenizer(**kwargs)


def test_unknown_neuron_ids():
    r = np.zeros((6, 50), dtype=np.int64)
    with pytest.raises(ValueError, match="n_neurons=5"):
        tok().encode_window(r, 0.3)
    st = SpikeTrains(times=np.array([0.1]), units=np.array([6]), n_units=7, t_stop=1.0)
    with pytest.raises(ValueError, match="neuron IDs"):
        tok().encode_window(st, 0.3)


def test_bad_rasters():
    with pytest.raises(ValueError, match="2-D"):
        tok().encode_window(np.zeros(50), 0.3)
    with pytest.raises(ValueError, match="nonnegative"):
        tok().encode_window(-np.ones((5, 50)), 0.3)
    with pytest.raises(ValueError, match="whole numbers"):
        tok().encode_window(np.full((5, 50), 0.5), 0.3)
    with pytest.raises(ValueError, match="bin_size"):
        tok().encode_window(SpikeCounts(np.zeros((5, 50), dtype=np.int64), 0.02), 0.3)


def test_windows_outside_or_longer_than_data():
    r = np.zeros((5, 50), dtype=np.int64)
    with pytest.raises(ValueError, match="only 50 bins"):
        tok().encode_window(r, 0.6)
    with pytest.raises(ValueError, match="longer than the data"):
        tok().encode_window(np.zeros((5, 10), dtype=np.int64), 0.1)
    with pytest.raises(ValueError, match="t must be"):
        tok().encode_window(r, -0.1)
    with pytest.raises(TypeError, match="t must be"):
        tok().encode_window(r, "0.3")  # type: ignore[arg-type]


def test_config_and_model_errors():
    with pytest.raises(ValueError, match="divisible"):
        NeuroformerConfig(n_embd=30, n_head=4)
    with pytest.raises(ValueError, match="dropout"):
        NeuroformerConfig(dropout=1.0)
    with pytest.raises(ValueError, match="finetune_vars"):
        NeuroformerConfig(finetune_vars={"x": 1})
    with pytest.raises(TypeError, match="config"):
        Neuroformer({"n_embd": 8})  # type: ignore[arg-type]
    cfg = NeuroformerConfig(
        id_vocab_size=8,
        dt_vocab_size=19,
        id_block_size=4,
        prev_id_block_size=4,
        n_embd=8,
        n_head=2,
        n_state_layers=1,
        n_state_history_layers=1,
        n_stimulus_layers=0,
        n_self_layers=1,
    )
    m = Neuroformer(cfg)
    ok = {k: torch.zeros(1, 4, dtype=torch.long) for k in ("x_id", "x_dt", "x_id_prev", "x_dt_prev")}
    with pytest.raises(ValueError, match="missing 'x_dt'"):
        m({"x_id": ok["x_id"], "x_id_prev": ok["x_id"], "x_dt_prev": ok["x_id"]})
    bad = dict(ok, x_id=torch.full((1, 4), 8))
    with pytest.raises(ValueError, match="outside the ID vocabulary"):
        m(bad)
    with pytest.raises(ValueError, match="temperature"):
        m.generate({"x_id_prev": ok["x_id_prev"], "x_dt_prev": ok["x_dt_prev"]}, 2, temperature=0)
    with pytest.raises(ValueError, match="task"):
        NeuroformerLit(cfg, task="train")


def test_data_containers():
    with pytest.raises(ValueError, match="strictly increasing"):
        TimeSeries(values=np.zeros(3), t=np.array([0.0, 0.0, 1.0]))
    with pytest.raises(ValueError, match="same length"):
        WindowDataset({"a": np.zeros(3), "b": np.zeros(4)})
