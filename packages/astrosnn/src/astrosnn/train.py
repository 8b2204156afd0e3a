"""Training with Lightning: datasets of token windows, the LightningModule, and masked evaluation.

The maths lives in plain torch modules (:mod:`astrosnn.model`, :mod:`astrosnn.baselines`); :class:`AstroSNNLit`
wraps any of them (tokens [B, T] → logits [B, T, V]) with the next-token cross-entropy and the optimiser, and
:func:`fit` runs a Lightning ``Trainer`` (``accelerator``/``devices`` select CPU or GPUs).
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator
from typing import Any

import lightning as L
import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray
from torch import nn
from torch.utils.data import DataLoader, Dataset

from neurotypes.validation import check_array, check_bool, check_float, check_int, check_seed

__all__ = [
    "AstroSNNLit",
    "SequenceDataset",
    "WindowDataset",
    "evaluate",
    "fit",
    "masked_cross_entropy",
    "resolve_device",
]

log = logging.getLogger(__name__)
Batch = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


class WindowDataset(Dataset[Batch]):
    """Non-overlapping windows of a 1-D token stream: inputs ``w[:-1]``, targets ``w[1:]``.

    ``skip`` first targets of each window are not scored (the recurrent state starts empty at a window start;
    for an order-k source the first k predictions lack their context).
    """

    def __init__(self, tokens: NDArray[np.integer] | torch.Tensor, seq_len: int, skip: int = 0) -> None:
        if isinstance(tokens, torch.Tensor):
            tokens = tokens.detach().cpu().numpy()
        arr = torch.as_tensor(check_array("tokens", tokens, ndim=1, dtype="int", nonnegative=True))
        seq_len = check_int("seq_len", seq_len, minimum=1)
        skip = check_int("skip", skip, minimum=0, maximum=seq_len - 1)
        n = (arr.numel() - 1) // seq_len
        if n < 1:
            raise ValueError(
                f"corpus of {arr.numel()} tokens is too short for one window of seq_len={seq_len} (+1 target)"
            )
        self.tokens, self.seq_len, self.skip, self.n = arr, seq_len, skip, n

    def __len__(self) -> int:
        return self.n

    def scored_positions(self) -> NDArray[np.int64]:
        """Indices, in the token stream, of the targets this dataset scores (window by window, in order)."""
        j = np.arange(self.skip, self.seq_len)
        starts = np.arange(self.n)[:, None] * self.seq_len + 1
        out: NDArray[np.int64] = (starts + j[None, :]).ravel().astype(np.int64)
        return out

    def __getitem__(self, i: int) -> Batch:
        w = self.tokens[i * self.seq_len : (i + 1) * self.seq_len + 1]
        mask = torch.ones(self.seq_len)
        mask[: self.skip] = 0.0
        return w[:-1], w[1:], mask


class SequenceDataset(Dataset[Batch]):
    """Fixed sequences [N, T] with a target mask [N, T − 1] (e.g. :class:`astrosnn.data.CopyTask`)."""

    def __init__(self, tokens: NDArray[np.integer], target_mask: NDArray[np.bool_]) -> None:
        t = torch.as_tensor(check_array("tokens", tokens, ndim=2, dtype="int", nonnegative=True))
        m = torch.as_tensor(check_array("target_mask", target_mask, ndim=2, dtype="bool")).to(torch.float32)
        if t.shape[1] < 2:
            raise ValueError(f"tokens must have shape [N, T] with T >= 2, got {tuple(t.shape)}")
        if tuple(m.shape) != (t.shape[0], t.shape[1] - 1):
            raise ValueError(
                f"target_mask must have shape {(t.shape[0], t.shape[1] - 1)}, got {tuple(m.shape)}"
            )
        self.tokens, self.mask = t, m

    def __len__(self) -> int:
        return int(self.tokens.shape[0])

    def __getitem__(self, i: int) -> Batch:
        return self.tokens[i, :-1], self.tokens[i, 1:], self.mask[i]


def masked_cross_entropy(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean next-token cross-entropy (nats) over the positions where ``mask`` is 1."""
    ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none")
    m = mask.reshape(-1).to(ce.dtype)
    return (ce * m).sum() / m.sum().clamp_min(1.0)


class AstroSNNLit(L.LightningModule):
    """Lightning wrapper: next-token cross-entropy, AdamW, logs ``train_loss`` / ``val_loss`` / ``val_acc``.

    Parameters
    ----------
    model : nn.Module
        Any token → logits model (:class:`astrosnn.AstroSNNLM`, :class:`astrosnn.TransformerLM`).
    lr, weight_decay : float
        AdamW settings.
    """

    def __init__(self, model: nn.Module, lr: float = 3e-3, weight_decay: float = 0.0) -> None:
        super().__init__()
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        self.model = model
        self.lr = check_float("lr", lr, positive=True)
        self.weight_decay = check_float("weight_decay", weight_decay, minimum=0.0)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.model(tokens)
        return out

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        x, y, m = batch
        loss = masked_cross_entropy(self(x), y, m)
        self.log("train_loss", loss, prog_bar=True, batch_size=x.shape[0])
        return loss

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        x, y, m = batch
        logits = self(x)
        self.log("val_loss", masked_cross_entropy(logits, y, m), prog_bar=True, batch_size=x.shape[0])
        acc = ((logits.argmax(-1) == y).float() * m).sum() / m.sum().clamp_min(1.0)
        self.log("val_acc", acc, batch_size=x.shape[0])

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.AdamW(self.model.parameters(), lr=self.lr, weight_decay=self.weight_decay)


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """The torch device for ``device``: ``"auto"`` is CUDA when available, else the CPU.

    Parameters
    ----------
    device : str or torch.device
        ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"mps"``.

    Returns
    -------
    torch.device

    Raises
    ------
    ValueError
        An unknown name, or CUDA/MPS asked for on a machine without it.

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if isinstance(device, torch.device):
        device = str(device)
    if not isinstance(device, str):
        raise TypeError(f"device must be a str or torch.device, got {type(device).__name__}")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise ValueError(f"device must be auto, cpu, cuda, cuda:N or mps; got {device!r}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} asked for, but CUDA is not available on this machine")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device {device!r} asked for, but MPS is not available on this machine")
    if dev.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"device must be auto, cpu, cuda, cuda:N or mps; got {device!r}")
    return dev


@contextlib.contextmanager
def _quiet_lightning() -> Iterator[None]:
    """Silence Lightning's info messages and the warnings it raises for small in-memory datasets, for the
    duration of one fit only (the caller's logging and warning settings are restored afterwards)."""
    loggers = [logging.getLogger(n) for n in ("lightning.pytorch", "lightning.fabric", "lightning")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            for msg in (
                ".*does not have many workers.*",
                ".*number of training batches.*",
                ".*no `val_dataloader`.*",
                ".*LeafSpec.*",
            ):
                warnings.filterwarnings("ignore", message=msg)
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def fit(
    model: nn.Module,
    train: Dataset[Batch],
    steps: int,
    batch_size: int = 32,
    lr: float = 3e-3,
    seed: int = 0,
    device: str | torch.device = "cpu",
    grad_clip: float = 1.0,
    progress: bool = False,
    val: Dataset[Batch] | None = None,
    deterministic: bool | None = None,
    **trainer_kwargs: Any,
) -> AstroSNNLit:
    """Train ``model`` in place for ``steps`` optimiser steps with a Lightning ``Trainer``.

    Batches are drawn with a seeded shuffle (epochs repeat as needed); AdamW; gradient-norm clipping.

    Parameters
    ----------
    model : torch.nn.Module
        Any tokens → logits model (:class:`astrosnn.AstroSNNLM`, :class:`astrosnn.baselines.TransformerLM`).
    train : Dataset
        :class:`WindowDataset` or :class:`SequenceDataset` (batches of inputs, targets, mask).
    steps : int
        Optimiser steps (>= 1).
    batch_size : int
        Sequences per step (>= 1).
    lr : float
        Learning rate (> 0).
    seed : int
        Seed of the shuffling and of Lightning's generators.
    device : str or torch.device
        ``"cpu"`` (default), ``"cuda"``, ``"cuda:N"``, ``"mps"`` or ``"auto"``: the Trainer's accelerator.
    grad_clip : float
        Gradient-norm clip (> 0).
    progress : bool
        Show Lightning's progress bar.
    val : Dataset, optional
        Validation data (logged as ``val_loss`` and ``val_acc`` once per epoch).
    deterministic : bool, optional
        Deterministic algorithms; default True on the CPU and False on GPUs (some CUDA kernels have none).
    **trainer_kwargs
        More ``lightning.Trainer`` arguments (e.g. ``max_time``).

    Returns
    -------
    AstroSNNLit
        The Lightning module (its ``trainer.global_step`` says how many steps ran).

    Raises
    ------
    TypeError, ValueError
        A model that is not a module, an empty dataset, non-positive sizes or rates.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(train, Dataset):
        raise TypeError(f"train must be a torch Dataset, got {type(train).__name__}")
    steps = check_int("steps", steps, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    seed = check_seed("seed", seed)
    grad_clip = check_float("grad_clip", grad_clip, positive=True)
    progress = check_bool("progress", progress)
    if len(train) == 0:  # type: ignore[arg-type]
        raise ValueError("train dataset is empty")
    dev = resolve_device(device)
    if deterministic is None:
        deterministic = dev.type == "cpu"
    L.seed_everything(seed, workers=True, verbose=False)
    gen = torch.Generator().manual_seed(seed)
    loader = DataLoader(train, batch_size=batch_size, shuffle=True, generator=gen, drop_last=False)
    val_loader = DataLoader(val, batch_size=batch_size) if val is not None else None
    lit = AstroSNNLit(model, lr=lr)
    accel = {"cpu": "cpu", "cuda": "gpu", "mps": "mps"}[dev.type]
    devices: Any = [dev.index] if dev.type == "cuda" and dev.index is not None else 1
    with _quiet_lightning():
        trainer = L.Trainer(
            max_steps=steps,
            max_epochs=-1,
            accelerator=accel,
            devices=devices,
            gradient_clip_val=grad_clip,
            logger=False,
            enable_checkpointing=False,
            enable_model_summary=False,
            enable_progress_bar=progress,
            num_sanity_val_steps=0,
            limit_val_batches=1.0 if val is not None else 0,
            deterministic=deterministic,
            **trainer_kwargs,
        )
        trainer.fit(lit, loader, val_loader)
    model.eval()
    return lit


@torch.no_grad()
def evaluate(model: nn.Module, data: Dataset[Batch], batch_size: int = 64) -> tuple[float, float]:
    """Masked mean cross-entropy (nats/token) and masked argmax accuracy of ``model`` on ``data``.

    Parameters
    ----------
    model : torch.nn.Module
        A tokens → logits model.
    data : Dataset
        :class:`WindowDataset` or :class:`SequenceDataset`.
    batch_size : int
        Sequences per forward pass.

    Returns
    -------
    (float, float)
        Cross-entropy in nats per scored token, and the fraction of scored tokens predicted by argmax.

    Raises
    ------
    ValueError
        ``data`` has no scored position.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    batch_size = check_int("batch_size", batch_size, minimum=1)
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    tot_loss = tot_acc = tot_n = 0.0
    for x, y, m in DataLoader(data, batch_size=batch_size):
        x, y, m = x.to(device), y.to(device), m.to(device)
        logits = model(x)
        n = float(m.sum())
        tot_loss += float(masked_cross_entropy(logits, y, m)) * n
        tot_acc += float(((logits.argmax(-1) == y).float() * m).sum())
        tot_n += n
    model.train(was_training)
    if tot_n == 0:
        raise ValueError("data has no scored positions (its mask is all zero)")
    return tot_loss / tot_n, tot_acc / tot_n
