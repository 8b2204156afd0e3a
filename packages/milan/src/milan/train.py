"""Training: the captioner p(d|E) and the language model p(d) through Lightning, and the shapes-world MILAN.

The models stay plain torch modules (:mod:`milan.model`); the LightningModules here hold the losses and the
optimisers, and the Trainer the engineering (device, epochs, early stopping, progress bars). Lightning's console
messages and warnings are silenced only while a fit runs (the previous settings are restored afterwards).
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import lightning as L
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from milan.data import (
    CONCEPTS,
    TEMPLATES,
    ShapesWorld,
    annotate,
    attributes,
    planted_activations,
    shapes_world,
)
from milan.decoding import Milan
from milan.exemplars import Exemplars, exemplars_from_activations
from milan.metrics import bleu
from milan.model import (
    Captioner,
    LanguageModel,
    MaskedPyramidEncoder,
    ShapesBackbone,
    Vocabulary,
    resolve_device,
)
from neurotypes.validation import (
    check_array,
    check_bool,
    check_float,
    check_int,
    check_probability,
    check_rng,
)

__all__ = [
    "AnnotationSet",
    "CaptionerModule",
    "LanguageModelModule",
    "ShapesMilan",
    "build_annotations",
    "caption_loss",
    "greedy",
    "train_captioner",
    "train_classifier",
    "train_language_model",
    "train_shapes_milan",
]

_LIGHTNING_LOGGERS = ("lightning", "lightning.pytorch", "lightning.fabric")


@contextlib.contextmanager
def _quiet_lightning() -> Iterator[None]:
    """Silence Lightning's console lines and known harmless warnings for one fit, then restore the settings."""
    loggers = [logging.getLogger(n) for n in _LIGHTNING_LOGGERS]
    levels = [lg.level for lg in loggers]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not have many workers.*")
        warnings.filterwarnings("ignore", message=".*LeafSpec.*")
        warnings.filterwarnings("ignore", message=".*GPU available but not used.*")
        try:
            for lg in loggers:
                lg.setLevel(logging.ERROR)
            yield
        finally:
            for lg, level in zip(loggers, levels, strict=True):
                lg.setLevel(level)


def _accelerator(device: str | torch.device) -> tuple[str, Any]:
    dev = resolve_device(device)
    if dev.type == "cuda":
        return "cuda", [dev.index or 0]
    return dev.type, 1


def _fit(
    module: L.LightningModule,
    train: DataLoader[Any],
    val: DataLoader[Any] | None,
    *,
    epochs: int,
    progress: bool,
    device: str | torch.device,
    callbacks: list[L.Callback] | None = None,
    **kw: Any,
) -> None:
    accelerator, devices = _accelerator(device)
    with _quiet_lightning():
        trainer = L.Trainer(
            max_epochs=epochs,
            accelerator=accelerator,
            devices=devices,
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=progress,
            enable_model_summary=False,
            callbacks=callbacks or [],
            **kw,
        )
        trainer.fit(module, train, val)


def caption_loss(
    logits: torch.Tensor, alphas: torch.Tensor, targets: torch.Tensor, pad: int = 0, alpha_weight: float = 1.0
) -> torch.Tensor:
    """Cross-entropy over non-pad targets + ``alpha_weight * mean_b sum_j (1 - sum_t alpha_tj)^2``.

    The second term is the doubly stochastic attention regulariser of Show-Attend-Tell (paper: weight 1).

    Parameters
    ----------
    logits : torch.Tensor
        [B, T, V].
    alphas : torch.Tensor
        [B, T, k] attention weights (attention at pad steps is not counted).
    targets : torch.Tensor
        [B, T] token ids.
    pad : int
        The pad id.
    alpha_weight : float
        Weight of the attention term (>= 0).
    """
    if (
        logits.ndim != 3
        or alphas.ndim != 3
        or targets.shape != logits.shape[:2]
        or alphas.shape[:2] != targets.shape
    ):
        raise ValueError(
            f"logits [B, T, V], alphas [B, T, k] and targets [B, T] must agree, got {tuple(logits.shape)}, "
            f"{tuple(alphas.shape)} and {tuple(targets.shape)}"
        )
    alpha_weight = check_float("alpha_weight", alpha_weight, minimum=0.0)
    ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=pad)
    keep = (targets != pad).to(alphas.dtype)[..., None]
    reg = ((1.0 - (alphas * keep).sum(dim=1)) ** 2).sum(dim=1).mean()
    return ce + alpha_weight * reg


@torch.no_grad()
def greedy(captioner: Captioner, feats: torch.Tensor, vocab: Vocabulary, max_len: int = 8) -> list[str]:
    """Greedy decoding of a batch of exemplar features [B, k, D] (the validation metric's decoder)."""
    max_len = check_int("max_len", max_len, minimum=1)
    was = captioner.training
    captioner.eval()
    state = captioner.init_state(feats)
    proj = captioner.att_feat(feats)
    tok = torch.full((feats.shape[0],), vocab.bos, dtype=torch.int64, device=feats.device)
    out = []
    for _ in range(max_len):
        logits, state, _ = captioner.step(tok, state, feats, proj)
        tok = logits.argmax(-1)
        out.append(tok)
    captioner.train(was)
    return [vocab.decode(row) for row in torch.stack(out, 1).tolist()]


class CaptionerModule(L.LightningModule):
    """Lightning wrapper of the captioner: teacher-forced cross-entropy + doubly stochastic attention (AdamW);
    the validation metric is the corpus BLEU of greedy descriptions."""

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
        self._hyps += greedy(self.captioner, feats, self.vocab)
        self._refs += [self.val_refs[int(u)] for u in unit]

    def on_validation_epoch_end(self) -> None:
        score = bleu(self._hyps, self._refs) if self._hyps else 0.0
        self.log("val_bleu", score, prog_bar=True)
        self._hyps, self._refs = [], []

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.AdamW(self.captioner.parameters(), lr=self.lr)


class LanguageModelModule(L.LightningModule):
    """Lightning wrapper of the LSTM language model (next-token cross-entropy, AdamW)."""

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


def _check_descriptions(descriptions: object, n: int) -> list[list[str]]:
    if isinstance(descriptions, str) or not isinstance(descriptions, Sequence) or len(descriptions) != n:
        raise ValueError(f"descriptions must hold one list of descriptions per unit ({n})")
    out = []
    for i, ds in enumerate(descriptions):
        if isinstance(ds, str) or not isinstance(ds, Sequence) or not ds:
            raise TypeError(f"descriptions[{i}] must be a non-empty list of strings")
        for j, d in enumerate(ds):
            if not isinstance(d, str) or not d.split():
                raise ValueError(f"descriptions[{i}][{j}] must be a non-empty string, got {d!r}")
        out.append(list(ds))
    return out


def _training_args(
    epochs: int, batch_size: int, lr: float, seed: int, progress: bool
) -> tuple[int, int, float, int, bool]:
    return (
        check_int("epochs", epochs, minimum=1),
        check_int("batch_size", batch_size, minimum=1),
        check_float("lr", lr, positive=True),
        check_int("seed", seed, minimum=0),
        check_bool("progress", progress),
    )


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
    device: str | torch.device = "cpu",
) -> Captioner:
    """Train a :class:`Captioner` on unit features and each unit's descriptions (AdamW, batch 64).

    A ``val_frac`` share of units is held out; training stops early when the validation greedy BLEU has not
    improved for ``patience`` epochs (at least ``min_epochs``, at most ``epochs``), as in the paper.

    Parameters
    ----------
    feats : array_like
        [units, k, D] finite exemplar features.
    descriptions : sequence of sequence of str
        The annotations of each unit.
    vocab : Vocabulary
    hidden_dim, embed_dim : int
        Captioner sizes (the paper's 512/128; 128/64 at shapes-world scale).
    epochs, min_epochs, patience, batch_size : int
    lr : float
    val_frac : float
        Share of units held out for early stopping, in [0, 1).
    seed : int
    progress : bool
        Show Lightning's progress bar.
    device : str or torch.device
        ``"cpu"``, ``"cuda"``, ``"cuda:N"``, ``"mps"`` or ``"auto"``.

    Returns
    -------
    Captioner
        In eval mode, on the CPU.
    """
    feats = torch.from_numpy(
        check_array(
            "feats",
            feats.detach().cpu().numpy() if isinstance(feats, torch.Tensor) else feats,
            ndim=3,
            min_size=1,
        ).astype(np.float32)
    )
    descriptions = _check_descriptions(descriptions, feats.shape[0])
    if not isinstance(vocab, Vocabulary):
        raise TypeError(f"vocab must be a milan.Vocabulary, got {type(vocab).__name__}")
    hidden_dim = check_int("hidden_dim", hidden_dim, minimum=1)
    embed_dim = check_int("embed_dim", embed_dim, minimum=1)
    epochs, batch_size, lr, seed, progress = _training_args(epochs, batch_size, lr, seed, progress)
    min_epochs = check_int("min_epochs", min_epochs, minimum=0, maximum=epochs)
    patience = check_int("patience", patience, minimum=1)
    val_frac = check_float("val_frac", val_frac, minimum=0.0, maximum=0.9)
    L.seed_everything(seed, verbose=False)
    rng = np.random.default_rng(seed)
    n = feats.shape[0]
    perm = rng.permutation(n)
    n_val = max(1, round(val_frac * n)) if n > 1 and val_frac > 0 else 0
    val, tr = perm[:n_val], perm[n_val:]
    pairs = [(int(u), d) for u in tr for d in descriptions[u]]
    tokens = vocab.batch([d for _, d in pairs])
    ds = TensorDataset(feats[[u for u, _ in pairs]], tokens)
    cap = Captioner(
        feats.shape[2], len(vocab), embed_dim=embed_dim, hidden_dim=hidden_dim, attention_dim=hidden_dim
    )
    module = CaptionerModule(cap, vocab, lr=lr)
    module.val_refs = descriptions
    callbacks: list[L.Callback] = []
    kw: dict[str, Any] = {"num_sanity_val_steps": 0, "min_epochs": min_epochs}
    val_loader: DataLoader[Any] | None = None
    if n_val:
        from lightning.pytorch.callbacks import EarlyStopping

        callbacks.append(EarlyStopping("val_bleu", mode="max", patience=patience))
        val_loader = DataLoader(TensorDataset(feats[val], torch.as_tensor(val)), batch_size=256)
    else:
        kw["limit_val_batches"] = 0
    train_loader = DataLoader(ds, batch_size=batch_size, shuffle=True)
    _fit(
        module,
        train_loader,
        val_loader,
        epochs=epochs,
        progress=progress,
        device=device,
        callbacks=callbacks,
        **kw,
    )
    cap.cpu().eval()
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
    device: str | torch.device = "cpu",
) -> LanguageModel:
    """Train a 2-layer LSTM :class:`LanguageModel` p(d) on ``descriptions`` alone.

    Parameters
    ----------
    descriptions : sequence of str
        The training corpus (every annotation, each a string).
    vocab : Vocabulary
    hidden_dim, embed_dim, epochs, batch_size : int
    lr : float
    seed : int
    progress : bool
    device : str or torch.device

    Returns
    -------
    LanguageModel
        In eval mode, on the CPU.
    """
    if isinstance(descriptions, str) or not isinstance(descriptions, Sequence) or len(descriptions) == 0:
        raise ValueError("descriptions must be a non-empty sequence of strings")
    for i, d in enumerate(descriptions):
        if not isinstance(d, str) or not d.split():
            raise ValueError(f"descriptions[{i}] must be a non-empty string, got {d!r}")
    if not isinstance(vocab, Vocabulary):
        raise TypeError(f"vocab must be a milan.Vocabulary, got {type(vocab).__name__}")
    hidden_dim = check_int("hidden_dim", hidden_dim, minimum=1)
    embed_dim = check_int("embed_dim", embed_dim, minimum=1)
    epochs, batch_size, lr, seed, progress = _training_args(epochs, batch_size, lr, seed, progress)
    L.seed_everything(seed, verbose=False)
    lm = LanguageModel(len(vocab), embed_dim=embed_dim, hidden_dim=hidden_dim)
    ds = TensorDataset(vocab.batch(list(descriptions)))
    loader = DataLoader(ds, batch_size=batch_size, shuffle=True)
    _fit(
        LanguageModelModule(lm, vocab.pad, lr), loader, None, epochs=epochs, progress=progress, device=device
    )
    lm.cpu().eval()
    return lm


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
    device: str | torch.device = "cpu",
) -> nn.Module:
    """Train ``net`` (Adam) on images with class targets (cross-entropy) or multi-label targets (BCE).

    Parameters
    ----------
    net : torch.nn.Module
    images : array_like
        [N, C, H, W] finite images.
    targets : array_like
        [N] class ids (>= 0), or [N, L] 0/1 labels when ``multilabel``.
    multilabel : bool
    epochs, batch_size : int
    lr : float
    seed : int
    progress : bool
    device : str or torch.device

    Returns
    -------
    torch.nn.Module
        ``net``, trained, in eval mode on the CPU.
    """
    if not isinstance(net, nn.Module):
        raise TypeError(f"net must be a torch.nn.Module, got {type(net).__name__}")
    x = check_array("images", images, ndim=4, min_size=1).astype(np.float32)
    multilabel = check_bool("multilabel", multilabel)
    if multilabel:
        y = check_array("targets", targets, ndim=2, minimum=0.0, maximum=1.0).astype(np.float32)
        y_t: torch.Tensor = torch.from_numpy(y)
    else:
        y_t = torch.from_numpy(check_array("targets", targets, ndim=1, dtype="int", nonnegative=True))
    if len(y_t) != len(x):
        raise ValueError(f"images and targets must have the same length, got {len(x)} and {len(y_t)}")
    epochs, batch_size, lr, seed, progress = _training_args(epochs, batch_size, lr, seed, progress)
    L.seed_everything(seed, verbose=False)
    loader = DataLoader(TensorDataset(torch.from_numpy(x), y_t), batch_size=batch_size, shuffle=True)
    _fit(
        _ClassifierModule(net, multilabel, lr), loader, None, epochs=epochs, progress=progress, device=device
    )
    net.cpu().eval()
    return net


# ------------------------------------------------------------------------------------- the shapes world


@dataclass
class AnnotationSet:
    """Planted units: their exemplars, concepts and the annotators' descriptions (3 per unit)."""

    exemplars: Exemplars
    concepts: list[str]
    descriptions: list[list[str]]


def build_annotations(
    world: ShapesWorld,
    units_per_concept: int,
    seed: int = 0,
    k: int = 15,
    p_generic: float = 0.35,
    concepts: Sequence[str] = CONCEPTS,
) -> AnnotationSet:
    """A MILANNOTATIONS-style set on the shapes world: planted units with exemplars and 3 annotations each.

    Parameters
    ----------
    world : ShapesWorld
        The probe images.
    units_per_concept : int
        Planted units of each concept.
    seed : int
    k : int
        Exemplars per unit (paper: 15).
    p_generic : float
        Probability that an annotator writes the generic ``"objects"``.
    concepts : sequence of str
        The concepts planted (default: every concept).

    Returns
    -------
    AnnotationSet
    """
    if not isinstance(world, ShapesWorld):
        raise TypeError(f"world must be a milan.data.ShapesWorld, got {type(world).__name__}")
    units_per_concept = check_int("units_per_concept", units_per_concept, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    k = check_int("k", k, minimum=1, maximum=len(world))
    p_generic = check_probability("p_generic", p_generic)
    rng = check_rng(seed)
    chosen = list(concepts)
    units = [c for c in chosen for _ in range(units_per_concept)]
    parts = []
    for j, c in enumerate(chosen):  # one concept at a time bounds memory
        acts = planted_activations(world, [c] * units_per_concept, seed=seed * 1000 + j)
        parts.append(exemplars_from_activations(acts, world.images, k=k, quantile=0.99, layer="planted"))
    ex = Exemplars(
        layer="planted",
        indices=np.concatenate([p.indices for p in parts]),
        activations=np.concatenate([p.activations for p in parts]),
        thresholds=np.concatenate([p.thresholds for p in parts]),
        maps=np.concatenate([p.maps for p in parts]),
        masks=np.concatenate([p.masks for p in parts]),
        images=np.concatenate([p.images for p in parts if p.images is not None]),
    )
    return AnnotationSet(ex, units, [annotate(c, rng, p_generic=p_generic) for c in units])


@dataclass
class ShapesMilan:
    """A MILAN trained on the shapes world plus the pieces needed to evaluate it."""

    milan: Milan
    encoder: MaskedPyramidEncoder
    vocab: Vocabulary
    train: AnnotationSet
    test: AnnotationSet
    info: dict[str, float] = field(default_factory=dict)


def train_shapes_milan(
    n_images: int = 1500,
    units_per_concept: int = 6,
    seed: int = 0,
    *,
    backbone_epochs: int = 3,
    captioner_epochs: int = 60,
    min_epochs: int = 30,
    lm_epochs: int = 15,
    p_generic: float = 0.35,
    test_units_per_concept: int = 2,
    progress: bool = False,
    device: str | torch.device = "cpu",
) -> ShapesMilan:
    """Train MILAN on the shapes world: encoder backbone, captioner and language model (lam 0.2, beam 50).

    Steps (c)-(e) of the spec's pipeline: planted units of every concept (``units_per_concept`` each) with 3
    simulated annotations each train the captioner; all annotations train the LM. The held-out ``test`` set
    holds new planted units (``test_units_per_concept`` per concept) on a fresh probe world, with annotations
    from other simulated annotators.

    Parameters
    ----------
    n_images : int
        Images of the training world (>= 100); the test world has half as many.
    units_per_concept : int
    seed : int
    backbone_epochs, captioner_epochs, min_epochs, lm_epochs : int
    p_generic : float
    test_units_per_concept : int
    progress : bool
    device : str or torch.device

    Returns
    -------
    ShapesMilan
    """
    n_images = check_int("n_images", n_images, minimum=100)
    units_per_concept = check_int("units_per_concept", units_per_concept, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    backbone_epochs = check_int("backbone_epochs", backbone_epochs, minimum=1)
    test_units_per_concept = check_int("test_units_per_concept", test_units_per_concept, minimum=1)
    torch.manual_seed(seed)
    world = shapes_world(n_images, seed=seed, glyph_prob=0.15, stripe_prob=0.15)
    backbone = ShapesBackbone(n_outputs=10, width=16)
    train_classifier(
        backbone,
        world.images,
        attributes(world),
        multilabel=True,
        epochs=backbone_epochs,
        seed=seed,
        progress=progress,
        device=device,
    )
    encoder = MaskedPyramidEncoder(backbone, ["stem", "stage1", "stage2", "stage3"])
    # distinct streams for the training annotations, the held-out probe world and its annotators
    train = build_annotations(world, units_per_concept, seed=1000 * seed + 1, p_generic=p_generic)
    probe = shapes_world(max(n_images // 2, 100), seed=1000 * seed + 100, glyph_prob=0.15, stripe_prob=0.15)
    test = build_annotations(probe, test_units_per_concept, seed=1000 * seed + 2, p_generic=p_generic)
    texts = [d for ds in train.descriptions for d in ds]
    vocab = Vocabulary.from_texts([*texts, *(t for ts in TEMPLATES.values() for t in ts)])
    assert train.exemplars.images is not None
    encoder.fit_normalization(encoder.encode_exemplars(train.exemplars.images, train.exemplars.masks))
    feats = encoder.encode_exemplars(train.exemplars.images, train.exemplars.masks)
    cap = train_captioner(
        feats,
        train.descriptions,
        vocab,
        epochs=captioner_epochs,
        min_epochs=min_epochs,
        seed=seed,
        progress=progress,
        device=device,
    )
    lm = train_language_model(texts, vocab, epochs=lm_epochs, seed=seed, progress=progress, device=device)
    milan = Milan(cap, lm, vocab, encoder=encoder, lam=0.2, beam=50, strategy="rerank")
    return ShapesMilan(milan, encoder, vocab, train, test)
