"""Training through Lightning: the shapes backbone, the captioner p(d|E) and the language model p(d)."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence

import lightning as L
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from milan.metrics import bleu
from milan.models import Captioner, LanguageModel, Vocabulary

__all__ = [
    "CaptionerModule",
    "LanguageModelModule",
    "caption_loss",
    "train_captioner",
    "train_classifier",
    "train_language_model",
]


def _trainer(
    epochs: int, progress: bool, callbacks: list[L.Callback] | None = None, **kw: object
) -> L.Trainer:
    for name in ("lightning", "lightning.pytorch", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message=".*does not have many workers.*")
    warnings.filterwarnings("ignore", message=".*LeafSpec.*")
    return L.Trainer(
        max_epochs=epochs,
        accelerator="cpu",
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=progress,
        enable_model_summary=False,
        callbacks=callbacks or [],
        **kw,  # type: ignore[arg-type]
    )


def caption_loss(
    logits: torch.Tensor, alphas: torch.Tensor, targets: torch.Tensor, pad: int = 0, alpha_weight: float = 1.0
) -> torch.Tensor:
    """Cross-entropy over non-pad targets + ``alpha_weight * mean_b sum_j (1 - sum_t alpha_tj)^2``.

    ``logits`` [B, T, V], ``alphas`` [B, T, k], ``targets`` [B, T]; attention at pad steps is not counted.
    """
    ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=pad)
    keep = (targets != pad).to(alphas.dtype)[..., None]
    reg = ((1.0 - (alphas * keep).sum(dim=1)) ** 2).sum(dim=1).mean()
    return ce + alpha_weight * reg


class CaptionerModule(L.LightningModule):
    """Lightning wrapper: teacher-forced cross-entropy + doubly stochastic attention; val metric greedy BLEU."""

    def __init__(
        self, captioner: Captioner, vocab: Vocabulary, lr: float = 1e-3, alpha_weight: float = 1.0
    ) -> None:
        super().__init__()
        self.captioner, self.vocab, self.lr, self.alpha_weight = captioner, vocab, lr, alpha_weight
        self._hyps: list[str] = []
        self._refs: list[list[str]] = []
        self.val_refs: list[list[str]] = []

    def training_step(self, batch: Sequence[torch.Tensor], _idx: int) -> torch.Tensor:
        feats, tokens = batch
        logits, alphas = self.captioner(feats, tokens)
        loss = caption_loss(logits, alphas, tokens[:, 1:], self.vocab.pad, self.alpha_weight)
        self.log("train_loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch: Sequence[torch.Tensor], _idx: int) -> None:
        feats, unit = batch
        toks = greedy(self.captioner, feats, self.vocab)
        self._hyps += toks
        self._refs += [self.val_refs[int(u)] for u in unit]

    def on_validation_epoch_end(self) -> None:
        score = bleu(self._hyps, self._refs) if self._hyps else 0.0
        self.log("val_bleu", score, prog_bar=True)
        self._hyps, self._refs = [], []

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.AdamW(self.captioner.parameters(), lr=self.lr)


@torch.no_grad()
def greedy(captioner: Captioner, feats: torch.Tensor, vocab: Vocabulary, max_len: int = 8) -> list[str]:
    """Greedy decoding of a batch of exemplar features [B, k, D]."""
    was = captioner.training
    captioner.eval()
    state = captioner.init_state(feats)
    tok = torch.full((feats.shape[0],), vocab.bos, dtype=torch.int64)
    out = []
    for _ in range(max_len):
        logits, state, _ = captioner.step(tok, state, feats)
        tok = logits.argmax(-1)
        out.append(tok)
    captioner.train(was)
    return [vocab.decode(row) for row in torch.stack(out, 1).tolist()]


class LanguageModelModule(L.LightningModule):
    """Lightning wrapper of the LSTM language model (next-token cross-entropy)."""

    def __init__(self, lm: LanguageModel, pad: int = 0, lr: float = 1e-3) -> None:
        super().__init__()
        self.lm, self.pad, self.lr = lm, pad, lr

    def training_step(self, batch: Sequence[torch.Tensor], _idx: int) -> torch.Tensor:
        (tokens,) = batch
        logits, _ = self.lm(tokens[:, :-1])
        loss = F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), tokens[:, 1:].reshape(-1), ignore_index=self.pad
        )
        self.log("train_loss", loss)
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.AdamW(self.lm.parameters(), lr=self.lr)


def train_captioner(
    feats: torch.Tensor,
    descriptions: Sequence[Sequence[str]],
    vocab: Vocabulary,
    *,
    hidden_dim: int = 128,
    embed_dim: int = 64,
    epochs: int = 100,
    min_epochs: int = 0,
    patience: int = 4,
    batch_size: int = 64,
    lr: float = 3e-3,
    val_frac: float = 0.1,
    seed: int = 0,
    progress: bool = False,
) -> Captioner:
    """Train a :class:`Captioner` on unit features [units, k, D] and each unit's list of descriptions.

    A ``val_frac`` share of units is held out; training stops early when the validation greedy BLEU has not
    improved for ``patience`` epochs (at least ``min_epochs``, at most ``epochs``).
    """
    feats = torch.as_tensor(feats).float()
    if feats.ndim != 3 or len(descriptions) != feats.shape[0]:
        raise ValueError("feats must be [units, k, D] with one list of descriptions per unit")
    L.seed_everything(seed, verbose=False)
    rng = np.random.default_rng(seed)
    n = feats.shape[0]
    perm = rng.permutation(n)
    n_val = max(1, round(val_frac * n)) if n > 1 else 0
    val, tr = perm[:n_val], perm[n_val:]
    pairs = [(int(u), d) for u in tr for d in descriptions[u]]
    tokens = vocab.batch([d for _, d in pairs])
    ds = TensorDataset(feats[[u for u, _ in pairs]], tokens)
    cap = Captioner(
        feats.shape[2], len(vocab), embed_dim=embed_dim, hidden_dim=hidden_dim, attention_dim=hidden_dim
    )
    module = CaptionerModule(cap, vocab, lr=lr)
    module.val_refs = [list(d) for d in descriptions]
    callbacks: list[L.Callback] = []
    kw: dict[str, object] = {}
    if n_val:
        from lightning.pytorch.callbacks import EarlyStopping

        callbacks.append(EarlyStopping("val_bleu", mode="max", patience=patience))
        val_ds = TensorDataset(feats[val], torch.as_tensor(val))
        val_loader = DataLoader(val_ds, batch_size=256)
    else:
        val_loader = None
        kw["limit_val_batches"] = 0
    trainer = _trainer(epochs, progress, callbacks, num_sanity_val_steps=0, min_epochs=min_epochs, **kw)
    trainer.fit(module, DataLoader(ds, batch_size=batch_size, shuffle=True), val_loader)
    cap.eval()
    return cap


def train_language_model(
    descriptions: Sequence[str],
    vocab: Vocabulary,
    *,
    hidden_dim: int = 128,
    embed_dim: int = 64,
    epochs: int = 15,
    batch_size: int = 64,
    lr: float = 3e-3,
    seed: int = 0,
    progress: bool = False,
) -> LanguageModel:
    """Train a 2-layer LSTM :class:`LanguageModel` on ``descriptions`` alone."""
    if len(descriptions) == 0:
        raise ValueError("descriptions must not be empty")
    L.seed_everything(seed, verbose=False)
    lm = LanguageModel(len(vocab), embed_dim=embed_dim, hidden_dim=hidden_dim)
    ds = TensorDataset(vocab.batch(list(descriptions)))
    _trainer(epochs, progress).fit(
        LanguageModelModule(lm, vocab.pad, lr), DataLoader(ds, batch_size=batch_size, shuffle=True)
    )
    lm.eval()
    return lm


class _ClassifierModule(L.LightningModule):
    def __init__(self, net: nn.Module, multilabel: bool, lr: float) -> None:
        super().__init__()
        self.net, self.multilabel, self.lr = net, multilabel, lr

    def training_step(self, batch: Sequence[torch.Tensor], _idx: int) -> torch.Tensor:
        x, y = batch
        out = self.net(x)
        loss = (
            F.binary_cross_entropy_with_logits(out, y.float()) if self.multilabel else F.cross_entropy(out, y)
        )
        self.log("train_loss", loss)
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.net.parameters(), lr=self.lr)


def train_classifier(
    net: nn.Module,
    images: np.ndarray,
    targets: np.ndarray,
    *,
    multilabel: bool = False,
    epochs: int = 5,
    batch_size: int = 64,
    lr: float = 2e-3,
    seed: int = 0,
    progress: bool = False,
) -> nn.Module:
    """Train ``net`` on ``images`` [N, C, H, W] with class ``targets`` [N] or multi-label targets [N, L]."""
    L.seed_everything(seed, verbose=False)
    ds = TensorDataset(torch.as_tensor(images).float(), torch.as_tensor(targets))
    _trainer(epochs, progress).fit(
        _ClassifierModule(net, multilabel, lr), DataLoader(ds, batch_size=batch_size, shuffle=True)
    )
    net.eval()
    return net
