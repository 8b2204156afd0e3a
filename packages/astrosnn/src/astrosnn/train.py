"""Training with Lightning: datasets of token windows, the LightningModule, and masked evaluation.

The maths lives in plain torch modules (:mod:`astrosnn.model`, :mod:`astrosnn.baselines`); :class:`AstroSNNLit`
wraps any of them (tokens [B, T] → logits [B, T, V]) with the next-token cross-entropy and the optimiser, and
:func:`fit` runs a Lightning ``Trainer`` (``accelerator``/``devices`` select CPU or GPUs).
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import lightning as L
import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray
from torch import nn
from torch.utils.data import DataLoader, Dataset

__all__ = ["AstroSNNLit", "SequenceDataset", "WindowDataset", "evaluate", "fit", "masked_cross_entropy"]

log = logging.getLogger(__name__)
Batch = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


class WindowDataset(Dataset[Batch]):
    """Non-overlapping windows of a 1-D token stream: inputs ``w[:-1]``, targets ``w[1:]``.

    ``skip`` first targets of each window are not scored (the recurrent state starts empty at a window start;
    for an order-k source the first k predictions lack their context).
    """

    def __init__(self, tokens: NDArray[np.integer] | torch.Tensor, seq_len: int, skip: int = 0) -> None:
        arr = torch.as_tensor(np.asarray(tokens), dtype=torch.long)
        if arr.ndim != 1:
            raise ValueError(f"tokens must be 1-D, got shape {tuple(arr.shape)}")
        if isinstance(seq_len, bool) or not isinstance(seq_len, int) or seq_len < 1:
            raise ValueError(f"seq_len must be an int >= 1, got {seq_len!r}")
        if not 0 <= skip < seq_len:
            raise ValueError(f"skip must lie in [0, seq_len={seq_len}), got {skip}")
        n = (arr.numel() - 1) // seq_len
        if n < 1:
            raise ValueError(
                f"corpus of {arr.numel()} tokens is too short for one window of seq_len={seq_len} (+1 target)"
            )
        self.tokens, self.seq_len, self.skip, self.n = arr, seq_len, skip, n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> Batch:
        w = self.tokens[i * self.seq_len : (i + 1) * self.seq_len + 1]
        mask = torch.ones(self.seq_len)
        mask[: self.skip] = 0.0
        return w[:-1], w[1:], mask


class SequenceDataset(Dataset[Batch]):
    """Fixed sequences [N, T] with a target mask [N, T − 1] (e.g. :class:`astrosnn.data.CopyTask`)."""

    def __init__(self, tokens: NDArray[np.integer], target_mask: NDArray[np.bool_]) -> None:
        t = torch.as_tensor(np.asarray(tokens), dtype=torch.long)
        m = torch.as_tensor(np.asarray(target_mask), dtype=torch.float32)
        if t.ndim != 2 or t.shape[1] < 2:
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
        if not lr > 0:
            raise ValueError(f"lr must be > 0, got {lr}")
        self.model = model
        self.lr = float(lr)
        self.weight_decay = float(weight_decay)

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


def fit(
    model: nn.Module,
    train: Dataset[Batch],
    steps: int,
    batch_size: int = 32,
    lr: float = 3e-3,
    seed: int = 0,
    accelerator: str = "cpu",
    devices: int | str = 1,
    grad_clip: float = 1.0,
    progress: bool = False,
    val: Dataset[Batch] | None = None,
    deterministic: bool = True,
    **trainer_kwargs: Any,
) -> AstroSNNLit:
    """Train ``model`` in place for ``steps`` optimiser steps with a Lightning ``Trainer``; returns the module.

    Batches are drawn with a seeded shuffle (epochs repeat as needed). ``accelerator="gpu"`` and ``devices``
    scale the same code to GPUs (``deterministic=False`` there if a CUDA kernel has no deterministic version).
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be an int >= 1, got {steps!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
    if len(train) == 0:  # type: ignore[arg-type]
        raise ValueError("train dataset is empty")
    L.seed_everything(seed, workers=True, verbose=False)
    gen = torch.Generator().manual_seed(seed)
    loader = DataLoader(train, batch_size=batch_size, shuffle=True, generator=gen, drop_last=False)
    val_loader = DataLoader(val, batch_size=batch_size) if val is not None else None
    lit = AstroSNNLit(model, lr=lr)
    for name in ("lightning.pytorch", "lightning.fabric", "lightning"):
        logging.getLogger(name).setLevel(logging.WARNING)
    trainer = L.Trainer(
        max_steps=steps,
        max_epochs=-1,
        accelerator=accelerator,
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
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not have many workers.*")
        warnings.filterwarnings("ignore", message=".*number of training batches.*")
        warnings.filterwarnings("ignore", message=".*past_key_values.*")
        warnings.filterwarnings("ignore", message=".*no `val_dataloader`.*")
        warnings.filterwarnings("ignore", message=".*LeafSpec.*")
        trainer.fit(lit, loader, val_loader)
    model.eval()
    return lit


@torch.no_grad()
def evaluate(model: nn.Module, data: Dataset[Batch], batch_size: int = 64) -> tuple[float, float]:
    """Masked mean cross-entropy (nats/token) and masked argmax accuracy of ``model`` on ``data``."""
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
        raise ValueError("no scored positions in data")
    return tot_loss / tot_n, tot_acc / tot_n
