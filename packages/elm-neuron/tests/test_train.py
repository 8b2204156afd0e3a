"""Training modules: loss formulas, input dropout only in training, LSTM sizing, SHD training from a file."""

from __future__ import annotations

import json
import math
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from elm_neuron import ELM, load_model
from elm_neuron.cli import main
from elm_neuron.train import (
    ELMClassifier,
    LSTMClassifier,
    NeuronIOModule,
    lstm_hidden_for_params,
    make_optimizer,
)


def test_neuronio_loss_is_half_bce_plus_half_mse() -> None:
    out = torch.tensor([[[2.0, 0.5], [-1.0, 1.5]]])
    spike = torch.tensor([[1.0, 0.0]])
    soma = torch.tensor([[0.0, 1.0]])
    bce = -(math.log(1 / (1 + math.exp(-2.0))) + math.log(1 - 1 / (1 + math.exp(1.0)))) / 2
    mse = (0.5**2 + 0.5**2) / 2
    assert NeuronIOModule.loss(out, spike, soma).item() == pytest.approx(0.5 * bce + 0.5 * mse, rel=1e-6)


def test_input_dropout_only_in_training() -> None:
    module = ELMClassifier(ELM(6, 3, num_memory=4), input_dropout=0.5)
    x = torch.ones(2, 20, 6)
    module.eval()
    torch.testing.assert_close(module(x), module(x))
    torch.testing.assert_close(module(x), module.model(x)[:, -1])
    module.train()
    torch.manual_seed(0)
    assert not torch.allclose(module(x), module.model(x)[:, -1])


@pytest.mark.parametrize(("n_in", "n_out", "target"), [(32, 19, 6899), (32, 10, 6602), (700, 20, 183020)])
def test_lstm_hidden_for_params(n_in: int, n_out: int, target: int) -> None:
    h = lstm_hidden_for_params(n_in, n_out, target)

    def count(hidden: int) -> int:
        return sum(p.numel() for p in LSTMClassifier(n_in, n_out, hidden).parameters())

    assert count(h) <= target < count(h + 1)


def test_cli_trains_on_a_small_shd_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(0)
    path = tmp_path / "shd_small.h5"
    with h5py.File(path, "w") as f:
        times = f.create_dataset("spikes/times", (10,), dtype=h5py.vlen_dtype(np.float32))
        units = f.create_dataset("spikes/units", (10,), dtype=h5py.vlen_dtype(np.uint16))
        for k in range(10):
            times[k] = np.sort(rng.uniform(0, 1, 30)).astype(np.float32)
            units[k] = rng.integers(0, 700, 30).astype(np.uint16)
        f.create_dataset("labels", data=np.arange(10, dtype=np.uint16) % 20)
    model_path = tmp_path / "classifier.npz"
    argv = [
        "train",
        "--task",
        "shd-adding",
        str(path),
        "--steps",
        "2",
        "--batch-size",
        "4",
        "--num-memory",
        "3",
    ]
    assert main([*argv, "--out", str(model_path)]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["task"] == "shd-adding"
    model, meta = load_model(model_path)  # arrays + JSON, read with allow_pickle=False
    assert meta["task"] == "shd-adding" and meta["test_accuracy"] == result["test_accuracy"]
    assert (model.num_input, model.num_output, model.num_memory, model.delta_t) == (700, 19, 3, 10.0)


def test_make_optimizer_uses_the_fused_adam_update_with_the_same_result() -> None:
    params = [torch.nn.Parameter(torch.linspace(-1, 1, 7)), torch.nn.Parameter(torch.ones(3, 2))]
    twins = [torch.nn.Parameter(p.detach().clone()) for p in params]
    fused_opt = make_optimizer("adam", params, lr=0.01)
    plain_opt = torch.optim.Adam(twins, lr=0.01)
    assert fused_opt.defaults["fused"] is True
    for step in range(5):
        for p, q in zip(params, twins, strict=True):
            g = torch.sin(torch.arange(p.numel(), dtype=torch.float32) + step).reshape(p.shape)
            p.grad, q.grad = g.clone(), g.clone()
        fused_opt.step()
        plain_opt.step()
    for p, q in zip(params, twins, strict=True):
        torch.testing.assert_close(p, q, rtol=1e-6, atol=1e-7)
    assert not make_optimizer("adamax", params, lr=0.01).defaults.get("fused")
    with pytest.raises(ValueError, match="name must be one of"):
        make_optimizer("sgd", params, lr=0.01)
