"""Lightning training: pretraining (next-spike), contrastive alignment and behaviour fine-tuning."""

from __future__ import annotations

import logging
import warnings
from typing import Any

import lightning as L
import numpy as np
import torch
from torch import Tensor
from torch.utils.data import DataLoader

from neuroformer.data import WindowDataset
from neuroformer.model import Neuroformer, NeuroformerConfig

__all__ = ["NeuroformerLit", "collate", "fit", "token_nll"]

logger = logging.getLogger(__name__)

_INT_KEYS = ("x_id", "x_dt", "y_id", "y_dt", "x_id_prev", "x_dt_prev", "pad", "pad_prev")


def collate(items: list[dict[str, np.ndarray]]) -> dict[str, Tensor]:
    """Stack a list of window dicts into tensors (ints as int64, the rest as float32)."""
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
        ``--loss_bprop``).
    lr, weight_decay : float
        AdamW settings.
    model : Neuroformer, optional
        Start from this (pretrained) model instead of a fresh one.
    """

    def __init__(
        self,
        config: NeuroformerConfig,
        task: str = "pretrain",
        lr: float = 1e-3,
        weight_decay: float = 0.01,
        model: Neuroformer | None = None,
    ) -> None:
        super().__init__()
        if not (task in ("pretrain", "contrastive") or task.startswith("finetune:")):
            raise ValueError(f"task must be 'pretrain', 'contrastive' or 'finetune:<var>', got {task!r}")
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
        self.model = model if model is not None else Neuroformer(config)
        if task.startswith("finetune:"):
            for name in self.bprop:
                if name not in self.model.finetune_heads:
                    self.model.add_finetune_head(name, 0)
        self.lr = lr
        self.weight_decay = weight_decay

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
    """Train ``lit`` with a Lightning ``Trainer`` (seeded shuffling, no checkpoints or loggers)."""
    if len(train) == 0:
        raise ValueError("train dataset is empty")
    L.seed_everything(seed, workers=True, verbose=False)
    gen = torch.Generator().manual_seed(seed)
    loader: DataLoader[Any] = DataLoader(
        train, batch_size=batch_size, shuffle=True, collate_fn=collate, generator=gen
    )
    val_loader: DataLoader[Any] | None = (
        DataLoader(val, batch_size=batch_size, shuffle=False, collate_fn=collate) if val is not None else None
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", ".*does not have many workers.*")
        warnings.filterwarnings("ignore", ".*LeafSpec.*")
        warnings.filterwarnings("ignore", ".*GPU available but not used.*")
        warnings.filterwarnings("ignore", ".*no `val_dataloader`.*")
        logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
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
def token_nll(model: Neuroformer, dataset: WindowDataset, batch_size: int = 256) -> tuple[float, float]:
    """Mean per-token negative log-likelihood (nats) of the ID and dt targets (PAD targets excluded)."""
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
    return tot_id / max(n, 1), tot_dt / max(n, 1)
