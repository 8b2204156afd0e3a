"""Lightning training of one pruning cycle; the pruning maths stays in plain torch (:mod:`ap_prune.pruning`)."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import lightning as L
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader

from neurotypes.validation import check_float, check_int, check_seed

from .data import Split, make_loader
from .dnr import DNRTracker

__all__ = ["Classifier", "DNRCallback", "accuracy", "make_train_fn", "resolve_device", "train_cycle"]

logger = logging.getLogger(__name__)


class Classifier(L.LightningModule):
    """Cross-entropy classification with SGD (momentum), around any ``nn.Module``.

    Parameters
    ----------
    model : torch.nn.Module
        The (possibly pruned) network; trained in place.
    lr, momentum, weight_decay : float
        SGD settings (the spec's prototype: 0.05, 0.9, 0).
    """

    def __init__(self, model: nn.Module, lr: float = 0.05, momentum: float = 0.9, weight_decay: float = 0.0):
        super().__init__()
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        self.model = model
        self.lr = check_float("lr", lr, positive=True)
        self.momentum = check_float("momentum", momentum, minimum=0.0)
        if not self.momentum < 1:
            raise ValueError(f"momentum must lie in [0, 1), got {momentum}")
        self.weight_decay = check_float("weight_decay", weight_decay, minimum=0.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits."""
        return self.model(x)  # type: ignore[no-any-return]

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        """Cross-entropy loss of one batch."""
        x, y = batch
        return F.cross_entropy(self.model(x), y)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        """Fresh SGD each cycle (optimiser state is not carried across rewinds)."""
        return torch.optim.SGD(
            self.model.parameters(), lr=self.lr, momentum=self.momentum, weight_decay=self.weight_decay
        )


class DNRCallback(L.Callback):
    """Close the tracker's epoch at the end of every training epoch (dynamic DNR per epoch)."""

    def __init__(self, tracker: DNRTracker) -> None:
        self.tracker = tracker

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Store the epoch's per-neuron dead rates."""
        self.tracker.end_epoch()


@contextmanager
def _quiet_lightning() -> Iterator[None]:
    names = ("lightning.pytorch", "lightning.fabric", "lightning")
    old = {n: logging.getLogger(n).level for n in names}
    try:
        for n in names:
            logging.getLogger(n).setLevel(logging.WARNING)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*does not have many workers.*")
            warnings.filterwarnings("ignore", message=".*GPU available but not used.*")
            warnings.filterwarnings("ignore", message=".*number of training batches.*")
            warnings.filterwarnings("ignore", message=".*LeafSpec.*")
            yield
    finally:
        for n, lvl in old.items():
            logging.getLogger(n).setLevel(lvl)


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """The torch device for ``device``: ``"auto"`` is CUDA when available, else the CPU.

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
    if dev.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"device must be auto, cpu, cuda, cuda:N or mps; got {device!r}")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} asked for, but CUDA is not available on this machine")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device {device!r} asked for, but MPS is not available on this machine")
    return dev


def train_cycle(
    model: nn.Module,
    loader: DataLoader[Any],
    epochs: int = 20,
    lr: float = 0.05,
    momentum: float = 0.9,
    weight_decay: float = 0.0,
    tracker: DNRTracker | None = None,
    device: str | torch.device = "cpu",
) -> None:
    """Train ``model`` in place for one pruning cycle with a Lightning ``Trainer``.

    Parameters
    ----------
    model : torch.nn.Module
        The network (masks from ``torch.nn.utils.prune`` keep pruned weights at 0).
    loader : DataLoader
        Training batches ``(x, y)``.
    epochs : int
        Epochs in the cycle (>= 1).
    lr, momentum, weight_decay : float
        SGD settings.
    tracker : DNRTracker, optional
        Its epoch is closed after every epoch.
    device : str or torch.device
        ``"cpu"`` (default), ``"cuda"``, ``"cuda:N"``, ``"mps"`` or ``"auto"``: the Trainer's accelerator. The
        model is moved back to the CPU afterwards.

    Raises
    ------
    TypeError, ValueError
        A model that is not a module, a loader that is not a ``DataLoader``, non-positive epochs or rates, an
        unknown or unavailable device.
    """
    epochs = check_int("epochs", epochs, minimum=1)
    if not isinstance(loader, DataLoader):
        raise TypeError(f"loader must be a torch DataLoader, got {type(loader).__name__}")
    if tracker is not None and not isinstance(tracker, DNRTracker):
        raise TypeError(f"tracker must be a DNRTracker or None, got {type(tracker).__name__}")
    dev = resolve_device(device)
    module = Classifier(model, lr=lr, momentum=momentum, weight_decay=weight_decay)
    callbacks: list[L.Callback] = [DNRCallback(tracker)] if tracker is not None else []
    with _quiet_lightning():
        trainer = L.Trainer(
            max_epochs=epochs,
            accelerator={"cpu": "cpu", "cuda": "gpu", "mps": "mps"}[dev.type],
            devices=[dev.index] if dev.type == "cuda" and dev.index is not None else 1,
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            num_sanity_val_steps=0,
            limit_val_batches=0,
            callbacks=callbacks,
        )
        trainer.fit(module, train_dataloaders=loader)
    model.cpu()


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 2048) -> float:
    """Classification accuracy of ``model`` on ``(x, y)`` in eval mode (training flag restored).

    Parameters
    ----------
    model : torch.nn.Module
        A classifier returning logits [n, n_classes].
    x, y : torch.Tensor
        Inputs and integer labels of equal length (>= 1).
    batch_size : int
        Inputs per forward pass.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    batch_size = check_int("batch_size", batch_size, minimum=1)
    if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise TypeError("x and y must be torch tensors")
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x and y must be non-empty and of equal length, got {len(x)} and {len(y)}")
    was = model.training
    model.eval()
    try:
        device = next(model.parameters()).device
        correct = 0
        for i in range(0, len(x), batch_size):
            logits = model(x[i : i + batch_size].to(device))
            correct += int((logits.argmax(dim=1).cpu() == y[i : i + batch_size]).sum())
        return correct / len(x)
    finally:
        model.train(was)


def make_train_fn(
    split: Split,
    epochs: int = 20,
    lr: float = 0.05,
    momentum: float = 0.9,
    weight_decay: float = 0.0,
    batch_size: int = 64,
    seed: int = 0,
    tracker: DNRTracker | None = None,
    device: str | torch.device = "cpu",
) -> Any:
    """A ``train_fn(model, round) -> {"train_acc", "test_acc"}`` for :func:`ap_prune.imp_cycle`.

    Round ``r`` shuffles the training set with seed ``1000 * seed + r``, so IMP and IMP+AP runs with the same
    ``seed`` see the same data order (paired design). The other arguments are those of :func:`train_cycle`.
    """
    if not isinstance(split, Split):
        raise TypeError(f"split must be an ap_prune.data.Split, got {type(split).__name__}")
    seed = check_seed("seed", seed)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    epochs = check_int("epochs", epochs, minimum=1)
    resolve_device(device)

    def train_fn(model: nn.Module, r: int) -> Mapping[str, float]:
        loader = make_loader(split.x_train, split.y_train, batch_size, shuffle=True, seed=1000 * seed + r)
        train_cycle(model, loader, epochs, lr, momentum, weight_decay, tracker, device)
        return {
            "train_acc": accuracy(model, split.x_train, split.y_train),
            "test_acc": accuracy(model, split.x_test, split.y_test),
        }

    return train_fn
