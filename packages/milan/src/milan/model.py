"""The description model: vocabulary, exemplar encoder, attention-LSTM captioner p(d|E), LSTM language model p(d).

Also the small CNNs of the shapes world: :class:`ShapesBackbone` (the encoder's backbone, trained from scratch on
shapes attributes in place of the paper's frozen ImageNet ResNet) and :class:`TargetCNN` (the model whose units
are described and edited).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from neurotypes.validation import check_array, check_bool, check_float, check_int

__all__ = [
    "Captioner",
    "LanguageModel",
    "MaskedPyramidEncoder",
    "ShapesBackbone",
    "TargetCNN",
    "Vocabulary",
    "get_layer",
    "resolve_device",
]

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"


def get_layer(model: nn.Module, layer: str) -> nn.Module:
    """The submodule called ``layer`` (a name from ``model.named_modules()``).

    Raises
    ------
    TypeError
        ``model`` is not a module or ``layer`` not a string.
    ValueError
        No such submodule (the message lists the available names).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(layer, str):
        raise TypeError(f"layer must be a str naming a submodule, got {type(layer).__name__}")
    modules = dict(model.named_modules())
    if layer not in modules or layer == "":
        names = [n for n in modules if n]
        raise ValueError(f"layer {layer!r} does not exist in the model; available: {names[:20]}")
    found: nn.Module = modules[layer]
    return found


def resolve_device(device: str | torch.device, model: nn.Module | None = None) -> torch.device:
    """A ``torch.device`` from ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:N"``, ``"mps"`` or a ``torch.device``.

    ``"auto"`` is the device of ``model``'s first parameter when a model is given, else CUDA when available,
    else the CPU.
    """
    if isinstance(device, torch.device):
        return device
    if not isinstance(device, str):
        raise TypeError(f"device must be a str or torch.device, got {type(device).__name__}")
    if device == "auto":
        if model is not None:
            param = next(iter(model.parameters()), None)
            if param is not None:
                return param.device
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device in ("cpu", "cuda", "mps") or (device.startswith("cuda:") and device[5:].isdigit()):
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise ValueError(f"device {device!r} was asked for but CUDA is not available")
        return torch.device(device)
    raise ValueError(f"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps', got {device!r}")


class Vocabulary:
    """Word <-> id map; ids 0-3 are ``<pad> <bos> <eos> <unk>``. Tokenisation: lower-case whitespace split.

    Parameters
    ----------
    words : sequence of str
        The words after the four special tokens (duplicates are dropped, order kept).

    Examples
    --------
    >>> v = Vocabulary.from_texts(["red circles", "blue squares"])
    >>> v.decode(v.encode("red squares"))
    'red squares'
    """

    pad, bos, eos, unk = 0, 1, 2, 3

    def __init__(self, words: Sequence[str]) -> None:
        if isinstance(words, str) or not isinstance(words, Sequence):
            raise TypeError("words must be a sequence of strings")
        self.itos: list[str] = [PAD, BOS, EOS, UNK]
        for i, w in enumerate(words):
            if not isinstance(w, str) or not w or w != w.strip() or " " in w:
                raise ValueError(f"words[{i}] must be a non-empty token without spaces, got {w!r}")
            if w not in self.itos:
                self.itos.append(w)
        self.stoi = {w: i for i, w in enumerate(self.itos)}

    @classmethod
    def from_texts(cls, texts: Sequence[str]) -> Vocabulary:
        """Vocabulary of every token in ``texts`` (sorted, for determinism)."""
        _check_texts("texts", texts)
        return cls(sorted({t for s in texts for t in cls.tokenize(s)}))

    @staticmethod
    def tokenize(text: str) -> list[str]:
        """Lower-case whitespace tokens."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        return text.lower().split()

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, text: str) -> list[int]:
        """``[bos] ids [eos]`` (unknown words map to ``<unk>``)."""
        return [self.bos, *(self.stoi.get(t, self.unk) for t in self.tokenize(text)), self.eos]

    def decode(self, ids: Sequence[int]) -> str:
        """Text of ``ids``, stopping at ``<eos>`` and skipping ``<bos>``/``<pad>``."""
        out = []
        for i in ids:
            i = check_int("ids[...]", i, minimum=0, maximum=len(self) - 1)
            if i == self.eos:
                break
            if i in (self.bos, self.pad):
                continue
            out.append(self.itos[i])
        return " ".join(out)

    def batch(self, texts: Sequence[str]) -> torch.Tensor:
        """Padded [batch, max_len] int64 tensor of encoded texts."""
        _check_texts("texts", texts)
        enc = [self.encode(t) for t in texts]
        n = max(len(e) for e in enc)
        out = torch.full((len(enc), n), self.pad, dtype=torch.int64)
        for i, e in enumerate(enc):
            out[i, : len(e)] = torch.tensor(e)
        return out


def _check_texts(name: str, texts: object) -> None:
    if isinstance(texts, str) or not isinstance(texts, Sequence) or len(texts) == 0:
        raise TypeError(f"{name} must be a non-empty sequence of strings")
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"{name}[{i}] must be a str, got {type(t).__name__}")


class ShapesBackbone(nn.Module):
    """Small CNN (stem + 3 stages) used as the exemplar encoder's backbone on the shapes world.

    ``head`` predicts shapes-world attributes (multi-label) so the backbone can be trained from scratch.

    Parameters
    ----------
    n_outputs : int
        Outputs of the head.
    width : int
        Channels of the first stage (even, >= 2); the stem has ``width // 2``, stages 2-3 have ``2 * width``.
    """

    def __init__(self, n_outputs: int = 10, width: int = 32) -> None:
        super().__init__()
        n_outputs = check_int("n_outputs", n_outputs, minimum=1)
        w = check_int("width", width, minimum=2)
        self.config = {"n_outputs": n_outputs, "width": w}
        self.stem = nn.Sequential(nn.Conv2d(3, w // 2, 3, padding=1), nn.ReLU())
        self.stage1 = nn.Sequential(nn.Conv2d(w // 2, w, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.stage2 = nn.Sequential(nn.Conv2d(w, 2 * w, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.stage3 = nn.Sequential(nn.Conv2d(2 * w, 2 * w, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Linear(2 * w, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Attribute logits [B, n_outputs] of images [B, 3, H, W] (H, W >= 8)."""
        h = self.stage3(self.stage2(self.stage1(self.stem(x))))
        out: torch.Tensor = self.head(h.amax(dim=(2, 3)))
        return out


class TargetCNN(nn.Module):
    """The small target CNN of the shapes task (3 conv layers, 16-32 channels, global average pool).

    Its units (``features.relu3``: ``width`` channels at 1/4 resolution) are the ones described and edited.
    """

    def __init__(self, width: int = 32, n_classes: int = 4) -> None:
        super().__init__()
        width = check_int("width", width, minimum=2)
        n_classes = check_int("n_classes", n_classes, minimum=2)
        self.features = nn.Sequential(
            OrderedDict(
                conv1=nn.Conv2d(3, width // 2, 3, padding=1),
                relu1=nn.ReLU(),
                pool1=nn.MaxPool2d(2),
                conv2=nn.Conv2d(width // 2, width, 3, padding=1),
                relu2=nn.ReLU(),
                pool2=nn.MaxPool2d(2),
                conv3=nn.Conv2d(width, width, 3, padding=1),
                relu3=nn.ReLU(),
            )
        )
        self.fc = nn.Linear(width, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits [B, n_classes] of images [B, 3, H, W]."""
        out: torch.Tensor = self.fc(self.features(x).mean(dim=(2, 3)))
        return out


class MaskedPyramidEncoder(nn.Module):
    """Mask-weighted sum-pooling of several backbone feature maps, concatenated (one vector per exemplar).

    For each named layer the feature map ``F`` [B, C, h, w] is weighted by the exemplar mask resized to (h, w)
    (bilinear, ``align_corners=False``), with weights normalised to sum to 1; the pooled vectors of all layers
    are concatenated (paper, Sec. 3: the PyramidConvEncoder). ``include_pixels`` prepends the mask-weighted mean
    of the image itself. The backbone is frozen (eval mode, no gradients).

    Parameters
    ----------
    backbone : torch.nn.Module
        The feature extractor (frozen here).
    layers : sequence of str
        Submodules of ``backbone`` whose outputs [B, C, h, w] are pooled.
    include_pixels : bool
        Prepend the mask-weighted mean colour.
    """

    def __init__(self, backbone: nn.Module, layers: Sequence[str], include_pixels: bool = True) -> None:
        super().__init__()
        if isinstance(layers, str) or not isinstance(layers, Sequence) or not layers:
            raise TypeError("layers must be a non-empty sequence of submodule names")
        for name in layers:
            get_layer(backbone, name)
        self.backbone = backbone
        self.layers = list(layers)
        self.include_pixels = check_bool("include_pixels", include_pixels)
        for p in self.backbone.parameters():
            p.requires_grad_(False)
        self.register_buffer("shift", torch.zeros(0))
        self.register_buffer("scale", torch.zeros(0))

    def fit_normalization(self, feats: torch.Tensor) -> None:
        """Standardise future outputs with the per-dimension mean and std of ``feats`` [..., D]."""
        flat = torch.as_tensor(feats).reshape(-1, torch.as_tensor(feats).shape[-1]).float()
        if flat.shape[0] < 2 or not bool(torch.isfinite(flat).all()):
            raise ValueError("feats must hold at least two finite feature vectors")
        self.shift = flat.mean(0)
        self.scale = flat.std(0).clamp_min(1e-6)

    @staticmethod
    def pool(features: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        """Sum-pool ``features`` [B, C, h, w] with ``masks`` [B, H, W] resized to (h, w) and normalised to sum 1.

        An empty mask gives a zero vector.
        """
        m = F.interpolate(
            masks[:, None].float(), size=features.shape[-2:], mode="bilinear", align_corners=False
        )
        m = m / m.sum(dim=(2, 3), keepdim=True).clamp_min(1e-8)
        return (features * m).sum(dim=(2, 3))

    @torch.no_grad()
    def forward(self, images: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        """Feature vectors [B, D] of images [B, C, H, W] under masks [B, H, W]."""
        if images.ndim != 4 or masks.ndim != 3 or images.shape[0] != masks.shape[0]:
            raise ValueError(
                f"images must be [B, C, H, W] and masks [B, H, W] with the same B, got {tuple(images.shape)} "
                f"and {tuple(masks.shape)}"
            )
        feats: dict[str, torch.Tensor] = {}
        handles = [
            get_layer(self.backbone, n).register_forward_hook(
                lambda _m, _i, out, n=n: feats.__setitem__(n, out)
            )
            for n in self.layers
        ]
        was = self.backbone.training
        self.backbone.eval()
        try:
            self.backbone(images.float())
        finally:
            for h in handles:
                h.remove()
            self.backbone.train(was)
        parts = [self.pool(images.float(), masks)] if self.include_pixels else []
        parts += [self.pool(feats[n], masks) for n in self.layers]
        out = torch.cat(parts, dim=1)
        if self.shift.numel():
            out = (out - self.shift) / self.scale
        return out

    def encode_exemplars(self, images: np.ndarray, masks: np.ndarray, batch_size: int = 512) -> torch.Tensor:
        """Features [units, k, D] of exemplar ``images`` [units, k, C, H, W] under ``masks`` [units, k, H, W]."""
        images = check_array("images", images, ndim=5, min_size=1).astype(np.float32)
        masks = check_array("masks", masks, ndim=4, dtype="bool")
        if images.shape[:2] != masks.shape[:2] or images.shape[-2:] != masks.shape[-2:]:
            raise ValueError(f"images {images.shape} and masks {masks.shape} must agree in units, k, H and W")
        batch_size = check_int("batch_size", batch_size, minimum=1)
        u, k = images.shape[:2]
        x = torch.from_numpy(images).reshape(u * k, *images.shape[2:])
        m = torch.from_numpy(masks).reshape(u * k, *masks.shape[2:])
        out = [self(x[i : i + batch_size], m[i : i + batch_size]) for i in range(0, u * k, batch_size)]
        return torch.cat(out).reshape(u, k, -1)


class Captioner(nn.Module):
    """Show-Attend-Tell captioner p(d | E) over a set of exemplar feature vectors.

    LSTMCell decoder; ``h0``, ``c0`` are linear maps of the mean exemplar feature; additive attention over the
    exemplar vectors; a sigmoid gate ``beta = sigmoid(W h)`` scales the attended context; the LSTM input is
    ``[word embedding, gated context]`` (paper, Sec. 3; Xu et al. 2015).

    Parameters
    ----------
    feature_dim : int
        Dimension D of an exemplar vector.
    vocab_size : int
        Words of the vocabulary (with the 4 special tokens).
    embed_dim, hidden_dim, attention_dim : int
        Sizes (paper: 128, 512, -).
    dropout : float
        Dropout before the output layer (paper: 0.5).
    """

    def __init__(
        self,
        feature_dim: int,
        vocab_size: int,
        embed_dim: int = 128,
        hidden_dim: int = 512,
        attention_dim: int = 128,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        feature_dim = check_int("feature_dim", feature_dim, minimum=1)
        vocab_size = check_int("vocab_size", vocab_size, minimum=5)
        embed_dim = check_int("embed_dim", embed_dim, minimum=1)
        hidden_dim = check_int("hidden_dim", hidden_dim, minimum=1)
        attention_dim = check_int("attention_dim", attention_dim, minimum=1)
        dropout = check_float("dropout", dropout, minimum=0.0, maximum=1.0)
        self.config = {
            "feature_dim": feature_dim,
            "vocab_size": vocab_size,
            "embed_dim": embed_dim,
            "hidden_dim": hidden_dim,
            "attention_dim": attention_dim,
            "dropout": dropout,
        }
        self.feature_dim, self.vocab_size, self.hidden_dim = feature_dim, vocab_size, hidden_dim
        self.embed = nn.Embedding(vocab_size, embed_dim)
        self.init_h = nn.Linear(feature_dim, hidden_dim)
        self.init_c = nn.Linear(feature_dim, hidden_dim)
        self.att_feat = nn.Linear(feature_dim, attention_dim)
        self.att_hid = nn.Linear(hidden_dim, attention_dim)
        self.att_out = nn.Linear(attention_dim, 1)
        self.gate = nn.Linear(hidden_dim, feature_dim)
        self.cell = nn.LSTMCell(embed_dim + feature_dim, hidden_dim)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(hidden_dim, vocab_size)

    def _check_feats(self, feats: torch.Tensor) -> None:
        if not isinstance(feats, torch.Tensor) or feats.ndim != 3 or feats.shape[2] != self.feature_dim:
            shape = tuple(feats.shape) if isinstance(feats, torch.Tensor) else type(feats).__name__
            raise ValueError(f"feats must be a [B, k, {self.feature_dim}] tensor, got {shape}")

    def init_state(self, feats: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(h0, c0)`` from the mean exemplar feature of ``feats`` [B, k, D]."""
        self._check_feats(feats)
        mean = feats.mean(dim=1)
        return torch.tanh(self.init_h(mean)), torch.tanh(self.init_c(mean))

    def step(
        self,
        tokens: torch.Tensor,
        state: tuple[torch.Tensor, torch.Tensor],
        feats: torch.Tensor,
        projected: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor], torch.Tensor]:
        """One decoding step: logits [B, V], the new state and the attention weights [B, k].

        ``projected`` is ``att_feat(feats)`` when the caller computed it once for all steps.
        """
        h, c = state
        proj = self.att_feat(feats) if projected is None else projected
        scores = self.att_out(torch.tanh(proj + self.att_hid(h)[:, None])).squeeze(-1)
        alpha = torch.softmax(scores, dim=1)
        context = (alpha[..., None] * feats).sum(dim=1) * torch.sigmoid(self.gate(h))
        h, c = self.cell(torch.cat([self.embed(tokens), context], dim=1), (h, c))
        return self.out(self.drop(h)), (h, c), alpha

    def forward(self, feats: torch.Tensor, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Teacher-forced logits [B, T-1, V] predicting ``tokens[:, 1:]`` and attention weights [B, T-1, k]."""
        self._check_feats(feats)
        if tokens.ndim != 2 or tokens.shape[0] != feats.shape[0] or tokens.shape[1] < 2:
            raise ValueError(f"tokens must be [{feats.shape[0]}, T >= 2], got {tuple(tokens.shape)}")
        state = self.init_state(feats)
        proj = self.att_feat(feats)
        logits, alphas = [], []
        for t in range(tokens.shape[1] - 1):
            lo, state, a = self.step(tokens[:, t], state, feats, proj)
            logits.append(lo)
            alphas.append(a)
        return torch.stack(logits, 1), torch.stack(alphas, 1)


class LanguageModel(nn.Module):
    """LSTM language model p(d) over descriptions (paper: 2 layers, embedding 128, hidden 512, dropout 0.5).

    Parameters
    ----------
    vocab_size : int
    embed_dim, hidden_dim, layers : int
    dropout : float
    """

    def __init__(
        self,
        vocab_size: int,
        embed_dim: int = 128,
        hidden_dim: int = 512,
        layers: int = 2,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        vocab_size = check_int("vocab_size", vocab_size, minimum=5)
        embed_dim = check_int("embed_dim", embed_dim, minimum=1)
        hidden_dim = check_int("hidden_dim", hidden_dim, minimum=1)
        layers = check_int("layers", layers, minimum=1)
        dropout = check_float("dropout", dropout, minimum=0.0, maximum=1.0)
        self.config = {
            "vocab_size": vocab_size,
            "embed_dim": embed_dim,
            "hidden_dim": hidden_dim,
            "layers": layers,
            "dropout": dropout,
        }
        self.vocab_size = vocab_size
        self.embed = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(
            embed_dim, hidden_dim, num_layers=layers, batch_first=True, dropout=dropout if layers > 1 else 0.0
        )
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(hidden_dim, vocab_size)

    def forward(
        self, tokens: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """Logits [B, T, V] for the next token after each position of ``tokens`` [B, T], and the LSTM state."""
        h, state = self.lstm(self.embed(tokens), state)
        return self.out(self.drop(h)), state

    @torch.no_grad()
    def log_prob(self, tokens: torch.Tensor, pad: int = 0) -> torch.Tensor:
        """log p(d) [B] of padded ``[bos] ... [eos]`` sequences ``tokens`` [B, T] (pad positions not counted)."""
        if not isinstance(tokens, torch.Tensor) or tokens.ndim != 2 or tokens.shape[1] < 2:
            raise ValueError("tokens must be a [B, T >= 2] tensor of token ids")
        logits, _ = self(tokens[:, :-1])
        lp = torch.log_softmax(logits, -1).gather(-1, tokens[:, 1:, None]).squeeze(-1)
        return (lp * (tokens[:, 1:] != pad)).sum(1)
