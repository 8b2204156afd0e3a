"""Lightning modules for ELM training: sequence classification (SHD-style) and NeuronIO fitting.

The maths stays in :class:`elm_neuron.ELM` (a plain ``torch.nn.Module``); these modules add the loss, the
optimiser and the readout, and the Lightning ``Trainer`` adds devices, precision and progress bars
(``accelerator="gpu", devices=N, strategy="ddp"`` run the same code on GPUs).
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Iterator, Sequence
from typing import Any

import lightning as L
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from neurotypes.validation import check_choice, check_float, check_int

from .model import ELM

__all__ = [
    "ELMClassifier",
    "LSTMClassifier",
    "NeuronIOModule",
    "SpikePredictionModule",
    "accuracy",
    "fit_classifier",
    "fit_neuron_to_unit",
    "fit_spike_model",
    "lstm_hidden_for_params",
    "make_optimizer",
    "roc_auc",
    "spike_probabilities",
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
    check_choice("name", name, sorted(_OPTIMIZERS))
    lr = check_float("lr", lr, positive=True)
    weight_decay = check_float("weight_decay", weight_decay, minimum=0.0)
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
        self.lr = check_float("lr", lr, positive=True)
        self.optimizer_name = check_choice("optimizer", optimizer, sorted(_OPTIMIZERS))
        self.input_dropout = check_float("input_dropout", input_dropout, minimum=0.0)
        if self.input_dropout >= 1.0:
            raise ValueError(f"input_dropout must be in [0, 1), got {input_dropout}")
        self.cosine_steps = (
            None if cosine_steps is None else check_int("cosine_steps", cosine_steps, minimum=1)
        )
        self.weight_decay = check_float("weight_decay", weight_decay, minimum=0.0)
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

    Parameters
    ----------
    num_input, num_output
        Input channels and classes (positive integers).
    target_params
        The parameter budget (a positive integer, at least ``P(1)``).

    Returns
    -------
    int
        The hidden size ``h >= 1``.

    Raises
    ------
    TypeError, ValueError
        When an argument is not a positive integer, or ``target_params`` is below ``P(1)``.

    Examples
    --------
    >>> lstm_hidden_for_params(32, 19, 6899)  # 6753 parameters; 27 hidden units would need 7120
    26
    """
    num_input = check_int("num_input", num_input, minimum=1)
    num_output = check_int("num_output", num_output, minimum=1)
    target_params = check_int("target_params", target_params, minimum=1)
    smallest = 4 * (num_input + 3) + 2 * num_output
    if target_params < smallest:
        raise ValueError(
            f"target_params must be at least {smallest} (an LSTM of one hidden unit with {num_input} inputs "
            f"and {num_output} outputs), got {target_params}"
        )
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
        num_input = check_int("num_input", num_input, minimum=1)
        num_output = check_int("num_output", num_output, minimum=1)
        hidden_size = check_int("hidden_size", hidden_size, minimum=1)
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
        self.model = model
        self.lr = check_float("lr", lr, positive=True)
        self.burn_in = check_int("burn_in", burn_in, minimum=0)

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
    batch_size = check_int("batch_size", batch_size, minimum=1)
    xt = _finite_tensor("x", x, torch.float32)
    yt = _labels("y", y, _num_classes(module))
    if xt.ndim != 3 or yt.ndim != 1:
        raise ValueError(
            f"x must be [n, time, inputs] and y [n], got {tuple(xt.shape)} and {tuple(yt.shape)}"
        )
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


def accelerator_for(device: str) -> str:
    """Lightning's ``accelerator`` for a device name: ``"auto"`` is ``"gpu"`` when CUDA is available, else
    ``"cpu"``; ``"cuda"``/``"cuda:N"`` is ``"gpu"``; ``"cpu"`` and ``"mps"`` map to themselves."""
    if not isinstance(device, str):
        raise TypeError(f"device must be a string, got {type(device).__name__}")
    if device == "auto":
        return "gpu" if torch.cuda.is_available() else "cpu"
    if device == "cuda" or device.startswith("cuda:"):
        return "gpu"
    if device in ("cpu", "mps"):
        return device
    raise ValueError(f"device must be auto, cpu, cuda, cuda:N or mps, got {device!r}")


@contextlib.contextmanager
def _lightning_info_only_if_verbose() -> Iterator[None]:
    """Lightning logs a device summary and tips at INFO on every Trainer; show them only when this package's
    logger is enabled for INFO (e.g. the CLI's ``-v``). The level of Lightning's logger is restored afterwards."""
    lightning_log = logging.getLogger("lightning.pytorch")
    previous = lightning_log.level
    quiet = not log.isEnabledFor(logging.INFO)
    if quiet:
        lightning_log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        if quiet:
            lightning_log.setLevel(previous)


def _fit(
    module: L.LightningModule,
    dataset: TensorDataset,
    steps: int,
    batch_size: int,
    seed: int,
    accelerator: str,
    devices: int | str,
    progress: bool,
    num_threads: int | None,
    trainer_kwargs: dict[str, Any],
) -> L.LightningModule:
    """The Trainer set-up shared by the fit functions: ``steps`` optimiser steps on shuffled mini-batches."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=gen, drop_last=True)
    if len(loader) == 0:
        raise ValueError(f"batch_size={batch_size} exceeds the number of samples {len(dataset)}")
    with _lightning_info_only_if_verbose():
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
    if not isinstance(module, _SequenceClassifier):
        raise TypeError(f"module must be an ELMClassifier or LSTMClassifier, got {type(module).__name__}")
    steps = check_int("steps", steps, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    if num_threads is not None:
        num_threads = check_int("num_threads", num_threads, minimum=1)
    xt = _finite_tensor("x", x, torch.float32)
    yt = _labels("y", y, _num_classes(module))
    if xt.ndim != 3 or yt.shape != (xt.shape[0],):
        raise ValueError(
            f"x must be [n, time, inputs] and y [n], got {tuple(xt.shape)} and {tuple(yt.shape)}"
        )
    return _fit(
        module, TensorDataset(xt, yt), steps, batch_size, seed, accelerator, devices, progress, num_threads,
        trainer_kwargs,
    )  # fmt: skip


def _num_classes(module: nn.Module) -> int:
    """Number of classes a sequence classifier outputs."""
    if isinstance(module, ELMClassifier):
        return module.model.num_output
    if isinstance(module, LSTMClassifier):
        return int(module.readout.out_features)
    raise TypeError(f"module must be an ELMClassifier or LSTMClassifier, got {type(module).__name__}")


def _labels(name: str, value: object, n_classes: int) -> torch.Tensor:
    """Integer class labels in ``[0, n_classes)`` as an int64 tensor (floats must be whole numbers)."""
    if not isinstance(value, np.ndarray | torch.Tensor):
        raise TypeError(
            f"{name} must be a numpy array or a torch tensor of class labels, got {type(value).__name__}"
        )
    arr = value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else value
    if arr.dtype.kind == "f":
        if not np.isfinite(arr).all() or not np.array_equal(arr, np.round(arr)):
            raise ValueError(f"{name} must hold whole-number class labels")
    elif arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer class labels, got dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() >= n_classes):
        raise ValueError(
            f"{name} must hold class labels in [0, {n_classes}), got {arr.min()} ... {arr.max()}"
        )
    return torch.as_tensor(arr.astype(np.int64))


def _finite_tensor(name: str, value: object, dtype: torch.dtype) -> torch.Tensor:
    """``value`` as a tensor of ``dtype``; a ``ValueError`` naming ``name`` when it holds NaN or inf."""
    if not isinstance(value, np.ndarray | torch.Tensor):
        raise TypeError(f"{name} must be a numpy array or a torch tensor, got {type(value).__name__}")
    out = torch.as_tensor(value, dtype=dtype)
    if out.is_floating_point() and not bool(torch.isfinite(out).all()):
        raise ValueError(f"{name} must be finite (found NaN or inf)")
    return out


class SpikePredictionModule(L.LightningModule):
    """Fit an ELM neuron's output 0 (a spike logit) to a recorded unit's spikes: BCE on every step.

    This is the NeuronIO task on your own data: inputs are the other units' spikes, the target is one unit's
    spikes per bin (:func:`elm_neuron.data.spike_prediction_windows`).

    Parameters
    ----------
    model
        The neuron (``num_output >= 1``; output 0 is the spike logit).
    lr
        Adam learning rate.
    burn_in
        Leading steps of each window excluded from the loss (the memory starts at zero).
    """

    def __init__(self, model: ELM, lr: float = 5e-3, burn_in: int = 0) -> None:
        super().__init__()
        if not isinstance(model, ELM):
            raise TypeError(f"model must be an elm_neuron.ELM, got {type(model).__name__}")
        self.model = model
        self.lr = check_float("lr", lr, positive=True)
        self.burn_in = check_int("burn_in", burn_in, minimum=0)

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        x, y = batch
        logit = self.model(x)[:, self.burn_in :, 0]
        loss = nn.functional.binary_cross_entropy_with_logits(logit, y[:, self.burn_in :])
        self.log("train_loss", loss, prog_bar=True, batch_size=x.shape[0])
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return make_optimizer("adam", [p for p in self.parameters() if p.requires_grad], self.lr)


def fit_spike_model(
    module: SpikePredictionModule,
    x: np.ndarray | torch.Tensor,
    y: np.ndarray | torch.Tensor,
    steps: int = 300,
    batch_size: int = 16,
    seed: int = 0,
    accelerator: str = "cpu",
    progress: bool = False,
    num_threads: int | None = 1,
) -> SpikePredictionModule:
    """Train a :class:`SpikePredictionModule` for ``steps`` steps on windows ``x`` ``[n, T, n_in]`` and target
    spikes ``y`` ``[n, T]`` (0/1), shuffled mini-batches (see :func:`fit_classifier` for the other arguments)."""
    if not isinstance(module, SpikePredictionModule):
        raise TypeError(f"module must be a SpikePredictionModule, got {type(module).__name__}")
    steps = check_int("steps", steps, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    xt = _finite_tensor("x", x, torch.float32)
    yt = _finite_tensor("y", y, torch.float32)
    if xt.ndim != 3 or yt.shape != xt.shape[:2]:
        raise ValueError(
            f"x must be [n, time, inputs] and y [n, time], got {tuple(xt.shape)} and {tuple(yt.shape)}"
        )
    if bool(((yt != 0) & (yt != 1)).any()):
        raise ValueError("y must hold 0/1 spikes per bin")
    fitted = _fit(
        module, TensorDataset(xt, yt), steps, batch_size, seed, accelerator, 1, progress, num_threads, {}
    )
    assert isinstance(fitted, SpikePredictionModule)
    return fitted


def spike_probabilities(model: ELM, x: np.ndarray | torch.Tensor, batch_size: int = 64) -> np.ndarray:
    """``sigmoid`` of output 0 of ``model`` for windows ``x`` ``[n, T, n_in]`` (eval mode, no gradients)."""
    if not isinstance(model, ELM):
        raise TypeError(f"model must be an elm_neuron.ELM, got {type(model).__name__}")
    batch_size = check_int("batch_size", batch_size, minimum=1)
    xt = _finite_tensor("x", x, torch.float32)
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    out = []
    with torch.no_grad():
        for start in range(0, xt.shape[0], batch_size):
            out.append(torch.sigmoid(model(xt[start : start + batch_size].to(device))[..., 0]).cpu())
    model.train(was_training)
    return torch.cat(out).numpy() if out else np.zeros((0, xt.shape[1]), np.float32)


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve of ``scores`` for binary ``labels`` (the Mann-Whitney statistic, ties counted
    half).

    Examples
    --------
    >>> roc_auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1]))
    0.75
    """
    s = np.asarray(scores, dtype=np.float64).ravel()
    y = np.asarray(labels).ravel()
    if s.shape != y.shape:
        raise ValueError(f"scores and labels must have the same number of entries, got {s.size} and {y.size}")
    if not np.isfinite(s).all():
        raise ValueError("scores must be finite")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0 or 1")
    pos = int(y.sum())
    neg = y.size - pos
    if pos == 0 or neg == 0:
        raise ValueError("labels must hold both classes (0 and 1)")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(s.size, np.float64)
    sorted_s = s[order]
    starts = np.flatnonzero(np.r_[True, sorted_s[1:] != sorted_s[:-1]])
    ends = np.r_[starts[1:], s.size]
    avg = (starts + ends - 1) / 2.0 + 1.0  # average rank of each run of ties (1-based)
    ranks[order] = np.repeat(avg, ends - starts)
    return float((ranks[y == 1].sum() - pos * (pos + 1) / 2.0) / (pos * neg))


def fit_neuron_to_unit(
    trains: Any,
    target: int | str | None = None,
    *,
    bin_size: float = 0.001,
    window: int = 500,
    num_memory: int = 16,
    tau_m_max: float = 150.0,
    steps: int = 300,
    batch_size: int = 16,
    lr: float = 5e-3,
    test_fraction: float = 0.2,
    seed: int = 0,
    accelerator: str = "cpu",
    progress: bool = False,
) -> tuple[ELM, dict[str, Any]]:
    """Fit an ELM neuron to predict one recorded unit's spikes from the other units' spikes.

    The NeuronIO task on your own recording: the recording is binned (``bin_size`` s) and cut into windows
    (:func:`elm_neuron.data.spike_prediction_windows`); the first ``1 - test_fraction`` of the windows (in time)
    train a neuron with one output (the spike logit, BCE on every step), the last ``test_fraction`` test it.

    Parameters
    ----------
    trains
        ``neurotypes.SpikeTrains`` with at least two units.
    target
        Unit id (string) or index of the unit to predict; default: the unit with the most spikes.
    bin_size, window
        Bin width (s) and window length (bins).
    num_memory, tau_m_max
        The neuron's memory units and longest timescale (in bins).
    steps, batch_size, lr, seed, accelerator, progress
        Training (Adam, shuffled windows).
    test_fraction
        Fraction of the windows (the last ones) held out.

    Returns
    -------
    model, metrics
        The trained neuron (eval mode) and ``{"target", "inputs", "test AUC", "train AUC", "test spikes",
        "train windows", "test windows", ...}`` (AUC of the spike probability per bin against the recorded spikes;
        0.5 is chance; None when the held-out windows hold no target spike).
    """
    from neurotypes import SpikeTrains

    from .data import spike_prediction_windows

    if not isinstance(trains, SpikeTrains):
        raise TypeError(f"trains must be neurotypes.SpikeTrains, got {type(trains).__name__}")
    test_fraction = check_float("test_fraction", test_fraction, minimum=0.0, maximum=0.9)
    if target is None:
        target = int(np.argmax(trains.spike_counts_per_unit()))
    x, y, input_ids = spike_prediction_windows(trains, target, bin_size, window)
    n_test = max(1, round(test_fraction * len(y))) if test_fraction > 0 else 0
    n_train = len(y) - n_test
    if n_train < 1:
        raise ValueError(f"test_fraction={test_fraction} leaves no training window of {len(y)}")
    torch.manual_seed(check_int("seed", seed, minimum=0))
    model = ELM(x.shape[2], 1, num_memory=num_memory, tau_m_max=tau_m_max)
    module = SpikePredictionModule(model, lr=lr)
    fit_spike_model(
        module, x[:n_train], y[:n_train], steps=steps, batch_size=min(batch_size, n_train), seed=seed,
        accelerator=accelerator, progress=progress,
    )  # fmt: skip
    model = model.cpu().eval()

    def auc(xs: np.ndarray, ys: np.ndarray) -> float | None:
        if ys.size == 0 or ys.min() == ys.max():
            return None
        return roc_auc(spike_probabilities(model, xs), ys)

    ids = (
        tuple(trains.unit_ids)
        if trains.unit_ids is not None
        else tuple(str(i) for i in range(trains.n_units))
    )
    target_id = target if isinstance(target, str) else ids[int(target)]
    metrics: dict[str, Any] = {
        "target": target_id,
        "inputs": list(input_ids),
        "bin size (s)": float(bin_size),
        "window (bins)": int(window),
        "train windows": n_train,
        "test windows": n_test,
        "train AUC": auc(x[:n_train], y[:n_train]),
        "test AUC": auc(x[n_train:], y[n_train:]),
        "test spikes": int(y[n_train:].sum()),
        "steps": int(steps),
        "seed": int(seed),
    }
    return model, metrics
