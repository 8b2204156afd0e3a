"""Lightning modules for ELM training: sequence classification (SHD-style) and NeuronIO fitting.

The maths stays in :class:`elm_neuron.ELM` (a plain ``torch.nn.Module``); these modules add the loss, the
optimiser and the readout, and the Lightning ``Trainer`` adds devices, precision and progress bars
(``accelerator="gpu", devices=N, strategy="ddp"`` run the same code on GPUs).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

import lightning as L
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from .model import ELM

__all__ = [
    "ELMClassifier",
    "LSTMClassifier",
    "NeuronIOModule",
    "accuracy",
    "fit_classifier",
    "lstm_hidden_for_params",
    "make_optimizer",
]

log = logging.getLogger(__name__)

_OPTIMIZERS = {"adam": torch.optim.Adam, "adamax": torch.optim.Adamax, "adamw": torch.optim.AdamW}


def make_optimizer(
    name: str, params: Sequence[torch.Tensor], lr: float, weight_decay: float = 0.0
) -> torch.optim.Optimizer:
    """The named optimiser, with torch's single-kernel ("fused") update where it exists (Adam, AdamW).

    For these small models the optimiser's per-parameter bookkeeping is a noticeable part of a training step:
    the fused Adam update is about 3x faster on CPU than the default one and computes the same update.
    """
    if name not in _OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {sorted(_OPTIMIZERS)}, got {name!r}")
    cls = _OPTIMIZERS[name]
    if name in ("adam", "adamw"):
        try:
            return cls(params, lr=lr, weight_decay=weight_decay, fused=True)
        except (
            RuntimeError,
            TypeError,
            ValueError,
        ):  # pragma: no cover - device/dtype without a fused kernel
            pass
    return cls(params, lr=lr, weight_decay=weight_decay)


class _SequenceClassifier(L.LightningModule):
    """Shared training logic: last-step readout, cross-entropy, optional input dropout and cosine schedule."""

    def __init__(
        self, lr: float, optimizer: str, input_dropout: float, cosine_steps: int | None, weight_decay: float
    ) -> None:
        super().__init__()
        if not lr > 0:
            raise ValueError(f"lr must be positive, got {lr}")
        if optimizer not in _OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {sorted(_OPTIMIZERS)}, got {optimizer!r}")
        if not 0.0 <= input_dropout < 1.0:
            raise ValueError(f"input_dropout must be in [0, 1), got {input_dropout}")
        if cosine_steps is not None and cosine_steps < 1:
            raise ValueError(f"cosine_steps must be a positive number of steps or None, got {cosine_steps}")
        self.lr = float(lr)
        self.optimizer_name = optimizer
        self.input_dropout = float(input_dropout)
        self.cosine_steps = cosine_steps
        self.weight_decay = float(weight_decay)
        self.loss_fn = nn.CrossEntropyLoss()

    def sequence_outputs(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits from the last time step ``[B, n_classes]``."""
        if self.training and self.input_dropout > 0:
            # Training only; the reference SHD notebook also drops inputs at evaluation (documented deviation).
            x = nn.functional.dropout(x, self.input_dropout)
        return self.sequence_outputs(x)[:, -1]

    def _step(self, batch: tuple[torch.Tensor, torch.Tensor], stage: str) -> torch.Tensor:
        x, y = batch
        logits = self(x)
        loss: torch.Tensor = self.loss_fn(logits, y)
        acc = (logits.argmax(-1) == y).float().mean()
        self.log(f"{stage}_loss", loss, prog_bar=stage == "train", batch_size=x.shape[0])
        self.log(f"{stage}_acc", acc, prog_bar=True, batch_size=x.shape[0])
        return loss

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        return self._step(batch, "train")

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        return self._step(batch, "val")

    def test_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        return self._step(batch, "test")

    def configure_optimizers(self) -> Any:
        params = [p for p in self.parameters() if p.requires_grad]
        opt = make_optimizer(self.optimizer_name, params, self.lr, self.weight_decay)
        if self.cosine_steps is None:
            return opt
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=self.cosine_steps)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}


class ELMClassifier(_SequenceClassifier):
    """Sequence classification with an ELM neuron read out at the last time step.

    Parameters
    ----------
    model
        The neuron (its ``num_output`` is the number of classes), or ``None`` to build one from ``model_config``.
    model_config
        :class:`ELM` arguments (this package's or the reference's keys).
    lr, optimizer
        Learning rate and ``"adam"`` / ``"adamax"`` / ``"adamw"`` (the paper's SHD setting: Adamax, 5e-3).
    input_dropout
        Dropout on the input spikes during training (0.5 for SHD in the paper); never applied at evaluation.
    cosine_steps
        Length of a cosine learning-rate schedule in steps, or ``None`` for a constant rate.
    """

    def __init__(
        self,
        model: ELM | None = None,
        model_config: dict[str, Any] | None = None,
        lr: float = 5e-3,
        optimizer: str = "adam",
        input_dropout: float = 0.0,
        cosine_steps: int | None = None,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(lr, optimizer, input_dropout, cosine_steps, weight_decay)
        if model is None:
            if model_config is None:
                raise TypeError("ELMClassifier needs a model or a model_config")
            model = ELM(**model_config)
        elif not isinstance(model, ELM):
            raise TypeError(f"model must be an elm_neuron.ELM, got {type(model).__name__}")
        self.model = model
        self.save_hyperparameters(
            {
                "model_config": model.config,
                "lr": lr,
                "optimizer": optimizer,
                "input_dropout": input_dropout,
                "cosine_steps": cosine_steps,
            }
        )

    def sequence_outputs(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.model(x)
        return out


def lstm_hidden_for_params(num_input: int, num_output: int, target_params: int) -> int:
    """Largest LSTM hidden size whose parameter count (LSTM + linear readout) does not exceed ``target_params``.

    ``P(h) = 4 h (n_in + h + 2) + n_out h + n_out`` (torch's LSTM has two bias vectors).
    """
    h = 1
    while 4 * (h + 1) * (num_input + h + 3) + num_output * (h + 1) + num_output <= target_params:
        h += 1
    return h


class LSTMClassifier(_SequenceClassifier):
    """Baseline: a one-layer ``torch.nn.LSTM`` with a linear readout at the last time step."""

    def __init__(
        self,
        num_input: int,
        num_output: int,
        hidden_size: int,
        lr: float = 5e-3,
        optimizer: str = "adam",
        input_dropout: float = 0.0,
        cosine_steps: int | None = None,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(lr, optimizer, input_dropout, cosine_steps, weight_decay)
        self.lstm = nn.LSTM(num_input, hidden_size, batch_first=True)
        self.readout = nn.Linear(hidden_size, num_output)
        self.save_hyperparameters()

    def sequence_outputs(self, x: torch.Tensor) -> torch.Tensor:
        h, _ = self.lstm(x)
        out: torch.Tensor = self.readout(h)
        return out


class NeuronIOModule(L.LightningModule):
    """Fit an ELM neuron to NeuronIO: ``0.5 BCE(spike logit) + 0.5 MSE(scaled soma)`` (the reference's loss).

    Targets: ``y_spike`` in {0, 1} and ``y_soma_scaled = 0.1 (v - (-67.7 mV))``; the soma output is multiplied
    back by 10 only at evaluation (:meth:`ELM.neuronio_eval_forward`).

    Parameters
    ----------
    model
        The neuron (2 outputs).
    lr
        Adam learning rate (reference: 5e-4).
    burn_in
        Leading time steps excluded from the loss.
    """

    def __init__(self, model: ELM, lr: float = 5e-4, burn_in: int = 0) -> None:
        super().__init__()
        if not isinstance(model, ELM):
            raise TypeError(f"model must be an elm_neuron.ELM, got {type(model).__name__}")
        if model.num_output != 2:
            raise ValueError(
                f"model must have num_output=2 (spike, soma) for NeuronIO, got {model.num_output}"
            )
        if burn_in < 0:
            raise ValueError(f"burn_in must be >= 0, got {burn_in}")
        self.model = model
        self.lr = float(lr)
        self.burn_in = int(burn_in)

    @staticmethod
    def loss(outputs: torch.Tensor, y_spike: torch.Tensor, y_soma: torch.Tensor) -> torch.Tensor:
        """``0.5 * BCEWithLogits(outputs[..., 0], y_spike) + 0.5 * MSE(outputs[..., 1], y_soma)``."""
        bce = nn.functional.binary_cross_entropy_with_logits(outputs[..., 0], y_spike)
        mse = nn.functional.mse_loss(outputs[..., 1], y_soma)
        return 0.5 * bce + 0.5 * mse

    def training_step(
        self, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor], batch_idx: int
    ) -> torch.Tensor:
        x, y_spike, y_soma = batch
        out = self.model(x)[:, self.burn_in :]
        loss = self.loss(out, y_spike[:, self.burn_in :], y_soma[:, self.burn_in :])
        self.log("train_loss", loss, prog_bar=True, batch_size=x.shape[0])
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return make_optimizer("adam", [p for p in self.parameters() if p.requires_grad], self.lr)


def accuracy(
    module: nn.Module, x: np.ndarray | torch.Tensor, y: np.ndarray | torch.Tensor, batch_size: int = 256
) -> float:
    """Classification accuracy of a sequence classifier (eval mode, no gradients)."""
    xt = torch.as_tensor(x, dtype=torch.float32)
    yt = torch.as_tensor(y, dtype=torch.int64)
    if xt.shape[0] != yt.shape[0]:
        raise ValueError(f"x and y must have the same number of samples, got {xt.shape[0]} and {yt.shape[0]}")
    was_training = module.training
    module.eval()
    device = next(module.parameters()).device
    correct = 0
    with torch.no_grad():
        for start in range(0, xt.shape[0], batch_size):
            logits = module(xt[start : start + batch_size].to(device))
            correct += int((logits.argmax(-1).cpu() == yt[start : start + batch_size]).sum())
    module.train(was_training)
    return correct / max(1, xt.shape[0])


def fit_classifier(
    module: L.LightningModule,
    x: np.ndarray | torch.Tensor,
    y: np.ndarray | torch.Tensor,
    steps: int = 400,
    batch_size: int = 64,
    seed: int = 0,
    accelerator: str = "cpu",
    devices: int | str = 1,
    progress: bool = False,
    num_threads: int | None = 1,
    **trainer_kwargs: Any,
) -> L.LightningModule:
    """Train a classifier for ``steps`` optimiser steps on shuffled mini-batches with a Lightning ``Trainer``.

    Parameters
    ----------
    module
        :class:`ELMClassifier` or :class:`LSTMClassifier`.
    x, y
        Inputs ``[n, T, n_in]`` and integer labels ``[n]``.
    steps, batch_size
        Optimiser steps and batch size (the spec's synthetic runs: 400 and 64).
    seed
        Seeds torch (weights are already built; this fixes shuffling and dropout).
    accelerator, devices
        Passed to ``lightning.Trainer`` (``"gpu"``, ``devices=4``, ... scale the same code).
    progress
        Show Lightning's progress bar.
    num_threads
        torch intra-op threads during training on CPU (restored afterwards); ``None`` leaves torch's setting.
        The memory recurrence is a chain of small operations, for which one thread is fastest: extra threads
        mostly add synchronisation, which on a busy machine costs 10-50x.
    """
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    xt = torch.as_tensor(x, dtype=torch.float32)
    yt = torch.as_tensor(y, dtype=torch.int64)
    if xt.ndim != 3 or yt.shape != (xt.shape[0],):
        raise ValueError(
            f"x must be [n, time, inputs] and y [n], got {tuple(xt.shape)} and {tuple(yt.shape)}"
        )
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    loader = DataLoader(
        TensorDataset(xt, yt), batch_size=batch_size, shuffle=True, generator=gen, drop_last=True
    )
    if len(loader) == 0:
        raise ValueError(f"batch_size={batch_size} exceeds the number of samples {xt.shape[0]}")
    trainer = L.Trainer(
        max_steps=steps,
        max_epochs=math.ceil(steps / len(loader)) + 1,
        accelerator=accelerator,
        devices=devices,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=progress,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        **trainer_kwargs,
    )
    previous = torch.get_num_threads()
    if num_threads is not None and accelerator == "cpu":
        torch.set_num_threads(num_threads)
    try:
        trainer.fit(module, train_dataloaders=loader)
    finally:
        torch.set_num_threads(previous)
    log.info("trained %s for %d steps", type(module).__name__, trainer.global_step)
    return module
