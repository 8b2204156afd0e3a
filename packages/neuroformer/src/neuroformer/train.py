"""Training with Lightning (pretraining, contrastive alignment, behaviour fine-tuning) and held-out likelihoods.

The model's maths stays in :mod:`neuroformer.model` (plain torch); :class:`NeuroformerLit` holds the loss
selection and the optimiser, :func:`fit` the ``Trainer`` (devices, progress bar, gradient clipping).
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
from numpy.typing import NDArray
from torch import Tensor
from torch.utils.data import DataLoader

from neuroformer.data import WindowDataset
from neuroformer.model import Neuroformer, NeuroformerConfig, resolve_device
from neurotypes.validation import check_bool, check_float, check_int

__all__ = ["NeuroformerLit", "collate", "fit", "token_nll", "window_log_likelihood"]

log = logging.getLogger(__name__)

_INT_KEYS = ("x_id", "x_dt", "y_id", "y_dt", "x_id_prev", "x_dt_prev", "pad", "pad_prev")


def collate(items: list[dict[str, np.ndarray]]) -> dict[str, Tensor]:
    """Stack a list of window dicts into tensors (token keys as int64, the rest as float32).

    Parameters
    ----------
    items : list of dict
        Rows of a :class:`~neuroformer.data.WindowDataset`.

    Returns
    -------
    dict of str to Tensor
    """
    if not isinstance(items, list | tuple) or not items:
        raise ValueError("items must be a non-empty list of window dicts")
    out: dict[str, Tensor] = {}
    for k in items[0]:
        arr = np.stack([it[k] for it in items])
        t = torch.from_numpy(arr)
        out[k] = t.long() if k in _INT_KEYS or k.startswith("class_") else t.float()
    return out


class NeuroformerLit(L.LightningModule):
    """LightningModule around :class:`Neuroformer`.

    Parameters
    ----------
    config : NeuroformerConfig
    task : str
        ``"pretrain"`` (id + dt losses), ``"contrastive"`` (id + dt + contrastive; sets ``config.contrastive``),
        or ``"finetune:<var>[,<var>...]"`` (only the named heads' losses are backpropagated, the reference's
        ``--loss_bprop``; missing heads are added as regression heads).
    lr, weight_decay : float
        AdamW settings.
    model : Neuroformer, optional
        Start from this (pretrained) model instead of a fresh one.
    seed : int, optional
        Seed of a fresh model's weight initialisation (see :class:`Neuroformer`).

    Examples
    --------
    >>> from neuroformer import NeuroformerConfig, NeuroformerLit
    >>> cfg = NeuroformerConfig(n_embd=16, n_head=2, n_state_layers=1, n_state_history_layers=1,
    ...                         n_stimulus_layers=0, n_self_layers=1)
    >>> NeuroformerLit(cfg, task="finetune:speed", seed=0).bprop
    ('speed',)
    """

    def __init__(
        self,
        config: NeuroformerConfig,
        task: str = "pretrain",
        lr: float = 1e-3,
        weight_decay: float = 0.01,
        model: Neuroformer | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(config, NeuroformerConfig):
            raise TypeError(f"config must be a NeuroformerConfig, got {type(config).__name__}")
        if not isinstance(task, str) or not (
            task in ("pretrain", "contrastive") or task.startswith("finetune:")
        ):
            raise ValueError(f"task must be 'pretrain', 'contrastive' or 'finetune:<var>', got {task!r}")
        if model is not None and not isinstance(model, Neuroformer):
            raise TypeError(f"model must be a Neuroformer, got {type(model).__name__}")
        self.lr = check_float("lr", lr, positive=True)
        self.weight_decay = check_float("weight_decay", weight_decay, minimum=0.0)
        self.task = task
        self.bprop: tuple[str, ...]
        if task.startswith("finetune:"):
            names = tuple(v for v in task.split(":", 1)[1].split(",") if v)
            if not names:
                raise ValueError("task 'finetune:' needs at least one variable name")
            self.bprop = names
        elif task == "contrastive":
            config.contrastive = True
            self.bprop = ("id", "dt", "contrastive")
        else:
            self.bprop = ("id", "dt")
        self.model = model if model is not None else Neuroformer(config, seed=seed)
        if task.startswith("finetune:"):
            for name in self.bprop:
                if name not in self.model.finetune_heads:
                    self.model.add_finetune_head(name, 0, seed=seed)

    def _loss(self, batch: dict[str, Tensor]) -> tuple[Tensor, dict[str, Tensor]]:
        _, _, losses = self.model(batch)
        used = [losses[k] for k in self.bprop if k in losses]
        if not used:
            raise ValueError(
                f"none of the losses {self.bprop} could be computed from the batch keys {list(batch)}"
            )
        return torch.stack(used).sum(), losses

    def training_step(self, batch: dict[str, Tensor], batch_idx: int) -> Tensor:
        loss, _parts = self._loss(batch)
        self.log("train_loss", loss, prog_bar=True, batch_size=batch["x_id"].shape[0])
        return loss

    def validation_step(self, batch: dict[str, Tensor], batch_idx: int) -> Tensor:
        loss, _ = self._loss(batch)
        self.log("val_loss", loss, prog_bar=True, batch_size=batch["x_id"].shape[0])
        return loss

    def configure_optimizers(self) -> Any:
        return torch.optim.AdamW(self.model.parameters(), lr=self.lr, weight_decay=self.weight_decay)


@contextlib.contextmanager
def _quiet_lightning() -> Iterator[None]:
    """Silence Lightning's informational logging and its advisory warnings for one call, then restore."""
    names = ("lightning.pytorch", "lightning.fabric", "lightning")
    levels = {n: logging.getLogger(n).level for n in names}
    try:
        for n in names:
            logging.getLogger(n).setLevel(logging.WARNING)
        with warnings.catch_warnings():
            for pattern in (
                ".*does not have many workers.*",
                ".*LeafSpec.*",
                ".*GPU available but not used.*",
                ".*no `val_dataloader`.*",
                ".*Trying to infer the `batch_size`.*",
                ".*`isinstance.*treespec.*",
            ):
                warnings.filterwarnings("ignore", pattern)
            yield
    finally:
        for n, level in levels.items():
            logging.getLogger(n).setLevel(level)


def fit(
    lit: NeuroformerLit,
    train: WindowDataset,
    val: WindowDataset | None = None,
    max_epochs: int = 1,
    batch_size: int = 64,
    seed: int = 0,
    accelerator: str = "auto",
    progress: bool = False,
    max_steps: int = -1,
) -> NeuroformerLit:
    """Train ``lit`` with a Lightning ``Trainer`` (seeded shuffling and dropout, no checkpoints or loggers).

    The random state of the run (shuffling, dropout) comes from ``seed`` through private generators: the
    caller's global random state is restored afterwards.

    Parameters
    ----------
    lit : NeuroformerLit
    train : WindowDataset
        Training windows.
    val : WindowDataset, optional
        Validation windows (loss logged per epoch).
    max_epochs : int
        Epochs (>= 1).
    batch_size : int
        Windows per step.
    seed : int
        Seed of the shuffling and dropout.
    accelerator : str
        Lightning accelerator: ``"auto"``, ``"cpu"``, ``"gpu"``/``"cuda"``.
    progress : bool
        Show Lightning's progress bar.
    max_steps : int
        Stop after this many optimiser steps (-1: no limit).

    Returns
    -------
    NeuroformerLit
        The same object, trained, with its model moved back to the CPU.
    """
    if not isinstance(lit, NeuroformerLit):
        raise TypeError(f"lit must be a NeuroformerLit, got {type(lit).__name__}")
    if not isinstance(train, WindowDataset):
        raise TypeError(f"train must be a WindowDataset, got {type(train).__name__}")
    if val is not None and not isinstance(val, WindowDataset):
        raise TypeError(f"val must be a WindowDataset or None, got {type(val).__name__}")
    if len(train) == 0:
        raise ValueError("train dataset is empty")
    max_epochs = check_int("max_epochs", max_epochs, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    max_steps = check_int("max_steps", max_steps, minimum=-1)
    if max_steps == 0:
        raise ValueError("max_steps must be -1 (no limit) or positive, got 0")
    check_bool("progress", progress)
    if accelerator == "cuda":
        accelerator = "gpu"
    if accelerator not in ("auto", "cpu", "gpu", "mps"):
        raise ValueError(f"accelerator must be 'auto', 'cpu', 'gpu' or 'mps', got {accelerator!r}")
    gen = torch.Generator().manual_seed(seed)
    loader: DataLoader[Any] = DataLoader(
        train,  # type: ignore[arg-type]
        batch_size=batch_size,
        shuffle=True,
        collate_fn=collate,
        generator=gen,
    )
    val_loader: DataLoader[Any] | None = (
        DataLoader(val, batch_size=batch_size, shuffle=False, collate_fn=collate)  # type: ignore[arg-type]
        if val is not None
        else None
    )
    cuda = accelerator == "gpu" or (accelerator == "auto" and torch.cuda.is_available())
    devices = [torch.cuda.current_device()] if cuda and torch.cuda.is_available() else []
    lit.train()  # Lightning keeps the modules' modes: a model handed over in eval mode would train without dropout
    with _quiet_lightning(), torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        trainer = L.Trainer(
            max_epochs=max_epochs,
            max_steps=max_steps,
            accelerator=accelerator,
            devices=1,
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=progress,
            enable_model_summary=False,
            gradient_clip_val=1.0,
            num_sanity_val_steps=0,
            deterministic=False,
        )
        trainer.fit(lit, loader, val_loader)
    lit.model.cpu()
    return lit


@torch.no_grad()
def window_log_likelihood(
    model: Neuroformer, dataset: WindowDataset, batch_size: int = 256, device: str | torch.device = "cpu"
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Log-likelihood of each window's token sequence (ids and dts), in nats, and its number of targets.

    Each window's target sequence ``y`` (its spikes in canonical order, then EOS) has log-probability
    ``sum_k log p(y_id[k] | ...) + log p(y_dt[k] | ...)`` over its non-PAD targets. Because the tokenizer's order
    is canonical (time bin, then neuron), the sequence is a one-to-one image of the window's spike counts, so
    this is ``log p(counts in the window | past window)`` (a lower bound where the model gives mass to
    non-canonical orders). Truncated windows (more spikes than the block holds) do not have this meaning.

    Parameters
    ----------
    model : Neuroformer
    dataset : WindowDataset
        Tokenised windows with ``y_id`` and ``y_dt``.
    batch_size : int
    device : str or torch.device

    Returns
    -------
    log_lik : ndarray of float64, shape (n_windows,)
    n_targets : ndarray of int64, shape (n_windows,)
        Non-PAD targets per window (spikes + EOS).
    """
    if not isinstance(model, Neuroformer):
        raise TypeError(f"model must be a Neuroformer, got {type(model).__name__}")
    if not isinstance(dataset, WindowDataset):
        raise TypeError(f"dataset must be a WindowDataset, got {type(dataset).__name__}")
    if len(dataset) == 0:
        raise ValueError("dataset is empty")
    for key in ("y_id", "y_dt"):
        if key not in dataset.arrays:
            raise ValueError(f"dataset has no {key!r} (targets)")
    batch_size = check_int("batch_size", batch_size, minimum=1)
    dev = resolve_device(device)
    was = model.training
    model.eval().to(dev)
    cfg = model.config
    out_ll = np.zeros(len(dataset))
    out_n = np.zeros(len(dataset), dtype=np.int64)
    try:
        for start in range(0, len(dataset), batch_size):
            idx = np.arange(start, min(start + batch_size, len(dataset)))
            batch = {k: v.to(dev) for k, v in collate([dataset[int(i)] for i in idx]).items()}
            lid, ldt, _ = model(batch)
            y_id, y_dt = batch["y_id"], batch["y_dt"]
            valid = torch.ne(y_id, int(cfg.id_pad or 0))
            lp_id = torch.log_softmax(lid.double(), -1).gather(-1, y_id.unsqueeze(-1)).squeeze(-1)
            lp_dt = torch.log_softmax(ldt.double(), -1).gather(-1, y_dt.unsqueeze(-1)).squeeze(-1)
            ll = ((lp_id + lp_dt) * valid).sum(1)
            out_ll[idx] = ll.cpu().numpy()
            out_n[idx] = valid.sum(1).cpu().numpy()
    finally:
        model.cpu().train(was)
    return out_ll, out_n


@torch.no_grad()
def token_nll(model: Neuroformer, dataset: WindowDataset, batch_size: int = 256) -> tuple[float, float]:
    """Mean per-token negative log-likelihood (nats) of the ID and dt targets (PAD targets excluded).

    Parameters
    ----------
    model : Neuroformer
    dataset : WindowDataset
    batch_size : int

    Returns
    -------
    (float, float)
        Mean NLL of the ID tokens and of the dt tokens.
    """
    if not isinstance(model, Neuroformer):
        raise TypeError(f"model must be a Neuroformer, got {type(model).__name__}")
    if not isinstance(dataset, WindowDataset) or len(dataset) == 0:
        raise ValueError("dataset must be a non-empty WindowDataset")
    batch_size = check_int("batch_size", batch_size, minimum=1)
    was = model.training
    model.eval()
    cfg = model.config
    tot_id = tot_dt = 0.0
    n = 0
    for start in range(0, len(dataset), batch_size):
        idx = np.arange(start, min(start + batch_size, len(dataset)))
        batch = collate([dataset[int(i)] for i in idx])
        lid, ldt, _ = model(batch)
        y_id, y_dt = batch["y_id"], batch["y_dt"]
        valid = torch.ne(y_id, int(cfg.id_pad or 0))
        lp_id = torch.log_softmax(lid, -1).gather(-1, y_id.unsqueeze(-1)).squeeze(-1)
        lp_dt = torch.log_softmax(ldt, -1).gather(-1, y_dt.unsqueeze(-1)).squeeze(-1)
        tot_id -= float(lp_id[valid].sum())
        tot_dt -= float(lp_dt[valid].sum())
        n += int(valid.sum())
    model.train(was)
    return tot_id / max(n, 1), tot_dt / max(n, 1)
