"""Beam search and PMI decoding, ``argmax_d log p(d|E) - lam log p(d)`` (paper, Eq. 1-2), and the describer file."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from milan.data import _npz_arrays
from milan.exemplars import Exemplars
from milan.model import Captioner, LanguageModel, MaskedPyramidEncoder, ShapesBackbone, Vocabulary
from neurotypes import atomic_write_bytes
from neurotypes.validation import check_choice, check_float, check_int, check_path

__all__ = ["Descriptions", "Milan", "beam_search", "pmi_select"]

StepFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

_FORMAT = "milan.Describer"
_FORMAT_VERSION = 1


def beam_search(
    step: StepFn,
    n: int,
    beam: int,
    max_len: int,
    bos: int,
    eos: int,
    on_select: Callable[[torch.Tensor], None] | None = None,
    min_len: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Batched beam search for ``n`` independent problems.

    Parameters
    ----------
    step : callable
        ``step(prefixes [N, t], problem [N]) -> log-probabilities [N, V]`` of the next token.
    n, beam, max_len : int
        Problems, beam width and the maximum number of generated tokens (``<eos>`` included); all >= 1.
    bos, eos : int
        Start and end token ids. A finished hypothesis is extended only by ``<eos>`` at no cost.
    on_select : callable, optional
        Called after each step with the flat indices [n * width] of the parent rows (into the ``N`` rows of the
        last ``step`` call) of the kept hypotheses, so a stateful ``step`` can reorder its cached state and
        consume only the newest token next time.
    min_len : int
        ``<eos>`` is not allowed before this many tokens were generated (``Milan`` uses 1: no empty description).

    Returns
    -------
    seqs : torch.Tensor
        int64 [n, beam, 1 + max_len] (``bos`` first, padded with ``eos``), best first.
    scores : torch.Tensor
        float64 [n, beam] summed log-probabilities (``-inf`` for unused beam slots).
    """
    if not callable(step):
        raise TypeError(f"step must be callable, got {type(step).__name__}")
    n = check_int("n", n, minimum=1)
    beam = check_int("beam", beam, minimum=1)
    max_len = check_int("max_len", max_len, minimum=1)
    bos = check_int("bos", bos, minimum=0)
    eos = check_int("eos", eos, minimum=0)
    if bos == eos:
        raise ValueError(f"bos and eos must differ, got {bos} for both")
    min_len = check_int("min_len", min_len, minimum=0, maximum=max_len - 1)
    seqs = torch.full((n, 1, 1), bos, dtype=torch.int64)
    scores = torch.zeros(n, 1, dtype=torch.float64)
    for t in range(max_len):
        b = seqs.shape[1]
        flat = seqs.reshape(n * b, -1)
        problem = torch.arange(n).repeat_interleave(b)
        lp = step(flat, problem).double()
        if lp.ndim != 2 or lp.shape[0] != n * b or lp.shape[1] <= max(bos, eos):
            raise ValueError(
                f"step must return [{n * b}, V > {max(bos, eos)}] log-probabilities, got {tuple(lp.shape)}"
            )
        if bool(torch.isnan(lp).any()):
            raise ValueError("step returned NaN log-probabilities")
        lp = lp.reshape(n, b, -1)
        if t < min_len:
            lp = lp.clone()
            lp[..., eos] = -torch.inf
        v = lp.shape[-1]
        done = seqs[:, :, -1] == eos
        frozen = torch.full_like(lp, -torch.inf)
        frozen[..., eos] = 0.0
        lp = torch.where(done[..., None], frozen, lp)
        cand = (scores[..., None] + lp).reshape(n, b * v)
        width = min(beam, b * v)
        # stable descending sort: ties keep the lower (beam, token) index, so results are deterministic
        order = torch.sort(cand, dim=1, descending=True, stable=True).indices[:, :width]
        scores = torch.gather(cand, 1, order)
        src, tok = order // v, order % v
        if on_select is not None:
            on_select((src + torch.arange(n)[:, None] * b).reshape(-1))
        seqs = torch.cat(
            [torch.gather(seqs, 1, src[..., None].expand(-1, -1, seqs.shape[2])), tok[..., None]], 2
        )
        if bool((seqs[:, :, -1] == eos).all()):
            break
    pad = 1 + max_len - seqs.shape[2]
    if pad > 0:
        seqs = torch.cat([seqs, torch.full((*seqs.shape[:2], pad), eos, dtype=torch.int64)], dim=2)
    return seqs, scores


def pmi_select(log_p_caption: torch.Tensor, log_p_lm: torch.Tensor, lam: float) -> torch.Tensor:
    """Index along the last axis maximising ``log p(d|E) - lam log p(d)`` (non-finite scores never win).

    Parameters
    ----------
    log_p_caption, log_p_lm : array_like
        Log-probabilities of the candidates under the captioner and the language model (same shape; NaN is
        refused, ``-inf`` marks a missing candidate).
    lam : float
        The PMI weight lambda (>= 0; paper: 0.2).

    Returns
    -------
    torch.Tensor
        int64 indices, the shape of the inputs without the last axis.

    Examples
    --------
    >>> pmi_select(torch.tensor([-1.0, -1.2]), torch.tensor([-0.5, -3.0]), lam=0.2).item()
    1
    """
    a = torch.as_tensor(log_p_caption).double()
    b = torch.as_tensor(log_p_lm).double()
    lam = check_float("lam", lam, minimum=0.0)
    if a.shape != b.shape or a.ndim < 1 or a.shape[-1] < 1:
        raise ValueError(
            f"log_p_caption and log_p_lm must share one non-empty shape, got {tuple(a.shape)} and {tuple(b.shape)}"
        )
    if bool(torch.isnan(a).any() or torch.isnan(b).any()):
        raise ValueError("log_p_caption and log_p_lm must not contain NaN")
    if bool((a > 1e-9).any() or (b > 1e-9).any()):
        raise ValueError("log_p_caption and log_p_lm must be log-probabilities (<= 0)")
    score = a - lam * b
    score = torch.where(torch.isfinite(score), score, torch.full_like(score, -torch.inf))
    return score.argmax(dim=-1)


class _CachedStep:
    """A beam-search step function that caches its recurrent state and consumes only the newest token."""

    def __init__(
        self,
        advance: Callable[[torch.Tensor, torch.Tensor, Any], tuple[torch.Tensor, Any]],
        reorder: Callable[[Any, torch.Tensor], Any],
    ) -> None:
        self.advance, self.reorder, self.state = advance, reorder, None

    def __call__(self, prefix: torch.Tensor, problem: torch.Tensor) -> torch.Tensor:
        logits, self.state = self.advance(prefix, problem, self.state)
        return torch.log_softmax(logits, -1)

    def select(self, idx: torch.Tensor) -> None:
        self.state = self.reorder(self.state, idx)


@dataclass(frozen=True)
class Descriptions:
    """One description per unit, with its caption and LM log-probabilities.

    Attributes
    ----------
    units : tuple of int
    texts : tuple of str
    log_p_caption, log_p_lm : numpy.ndarray
        float64 [units]: ``log p(d|E)`` and ``log p(d)`` of the chosen description.
    layer : str
    """

    units: tuple[int, ...]
    texts: tuple[str, ...]
    log_p_caption: np.ndarray
    log_p_lm: np.ndarray
    layer: str = ""

    def __len__(self) -> int:
        return len(self.texts)

    def to_rows(self) -> list[dict[str, object]]:
        """Table rows ``{layer, unit, description, log_p_caption, log_p_lm}``."""
        return [
            {
                "layer": self.layer,
                "unit": u,
                "description": t,
                "log_p_caption": float(a),
                "log_p_lm": float(b),
            }
            for u, t, a, b in zip(self.units, self.texts, self.log_p_caption, self.log_p_lm, strict=True)
        ]

    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write the table as CSV (atomically; the columns of :meth:`to_rows`)."""
        p = check_path("path", path, must_exist=False)
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=["layer", "unit", "description", "log_p_caption", "log_p_lm"])
        w.writeheader()
        w.writerows(self.to_rows())
        return atomic_write_bytes(p, buf.getvalue().encode())


class Milan:
    """MILAN describer: beam search under p(d|E) with PMI decoding ``log p(d|E) - lam log p(d)``.

    Parameters
    ----------
    captioner : Captioner
        p(d|E).
    lm : LanguageModel
        p(d).
    vocab : Vocabulary
        Shared by both.
    encoder : MaskedPyramidEncoder, optional
        Exemplar encoder (needed by :meth:`describe` on :class:`Exemplars`).
    lam : float
        PMI weight lambda, >= 0 (paper: 0.2, the reference's ``temperature``; 0 is plain likelihood decoding).
    beam : int
        Beam width (paper: 50).
    strategy : {"rerank", "mi"}
        ``"rerank"`` (default, the paper's): beam search under p(d|E), then rescore the final beam by the PMI
        score; ``"mi"``: per-token ``log p(w|..., E) - lam log p_LM(w|...)``.
    max_len : int
        Maximum description length in tokens (``<eos>`` included).
    min_len : int
        Minimum number of words (default 1: the empty description, which a language model never saw and PMI
        would otherwise favour, is not a candidate).

    Examples
    --------
    >>> v = Vocabulary(["red", "blue"])
    >>> m = Milan(Captioner(6, len(v), 4, 8, 4), LanguageModel(len(v), 4, 8), v, beam=3)
    >>> len(m.describe_features(torch.randn(2, 5, 6)))
    2
    """

    def __init__(
        self,
        captioner: Captioner,
        lm: LanguageModel,
        vocab: Vocabulary,
        encoder: MaskedPyramidEncoder | None = None,
        lam: float = 0.2,
        beam: int = 50,
        strategy: str = "rerank",
        max_len: int = 8,
        min_len: int = 1,
    ) -> None:
        for name, value, kind in (
            ("captioner", captioner, Captioner),
            ("lm", lm, LanguageModel),
            ("vocab", vocab, Vocabulary),
        ):
            if not isinstance(value, kind):
                raise TypeError(f"{name} must be a milan.{kind.__name__}, got {type(value).__name__}")
        if encoder is not None and not isinstance(encoder, MaskedPyramidEncoder):
            raise TypeError(
                f"encoder must be a milan.MaskedPyramidEncoder or None, got {type(encoder).__name__}"
            )
        if captioner.vocab_size != len(vocab) or lm.vocab_size != len(vocab):
            raise ValueError(
                f"captioner ({captioner.vocab_size}), lm ({lm.vocab_size}) and vocab ({len(vocab)}) must share "
                "one vocabulary size"
            )
        self.captioner, self.lm, self.vocab, self.encoder = captioner, lm, vocab, encoder
        self.lam = check_float("lam", lam, minimum=0.0)
        self.beam = check_int("beam", beam, minimum=1)
        self.strategy = check_choice("strategy", strategy, ("rerank", "mi"))
        self.max_len = check_int("max_len", max_len, minimum=1)
        self.min_len = check_int("min_len", min_len, minimum=0, maximum=self.max_len - 1)

    def _cap_step(self, feats: torch.Tensor) -> _CachedStep:
        cap = self.captioner

        def advance(prefix: torch.Tensor, problem: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
            if state is None:
                f = feats[problem]
                proj = cap.att_feat(f)
                hc = cap.init_state(f)
                for t in range(prefix.shape[1]):
                    logits, hc, _ = cap.step(prefix[:, t], hc, f, proj)
                return logits, (hc, f, proj)
            hc, f, proj = state
            logits, hc, _ = cap.step(prefix[:, -1], hc, f, proj)
            return logits, (hc, f, proj)

        def reorder(state: Any, idx: torch.Tensor) -> Any:
            (h, c), f, proj = state
            return (h[idx], c[idx]), f[idx], proj[idx]

        return _CachedStep(advance, reorder)

    def _lm_step(self) -> _CachedStep:
        lm = self.lm

        def advance(prefix: torch.Tensor, _problem: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
            if state is None:
                logits, hc = lm(prefix)
            else:
                logits, hc = lm(prefix[:, -1:], state)
            return logits[:, -1], hc

        def reorder(state: Any, idx: torch.Tensor) -> Any:
            h, c = state
            return h[:, idx].contiguous(), c[:, idx].contiguous()

        return _CachedStep(advance, reorder)

    @torch.no_grad()
    def caption_log_prob(self, feats: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """log p(d|E) [B] of padded token sequences ``tokens`` [B, T] given features [B, k, D]."""
        logits, _ = self.captioner(feats, tokens)
        lp = torch.log_softmax(logits, -1).gather(-1, tokens[:, 1:, None]).squeeze(-1)
        return (lp * (tokens[:, 1:] != self.vocab.pad)).sum(1)

    @torch.no_grad()
    def describe_features(self, feats: torch.Tensor, layer: str = "") -> Descriptions:
        """Describe units from their exemplar features.

        Parameters
        ----------
        feats : array_like
            [units, k, D] finite exemplar features (D = the captioner's ``feature_dim``).
        layer : str
            Recorded in the result.

        Returns
        -------
        Descriptions
        """
        if not isinstance(layer, str):
            raise TypeError(f"layer must be a str, got {type(layer).__name__}")
        feats = torch.as_tensor(
            np.asarray(feats, dtype=np.float32) if not isinstance(feats, torch.Tensor) else feats
        ).float()
        if (
            feats.ndim != 3
            or feats.shape[0] < 1
            or feats.shape[1] < 1
            or feats.shape[2] != self.captioner.feature_dim
        ):
            raise ValueError(
                f"feats must be [units, k, {self.captioner.feature_dim}], got shape {tuple(feats.shape)}"
            )
        if not bool(torch.isfinite(feats).all()):
            raise ValueError("feats must be finite, got NaN or infinity")
        self.captioner.eval()
        self.lm.eval()
        n = feats.shape[0]
        cap = self._cap_step(feats)
        v = self.vocab
        if self.strategy == "mi" and self.lam > 0:
            lm = self._lm_step()

            def step(prefix: torch.Tensor, problem: torch.Tensor) -> torch.Tensor:
                return cap(prefix, problem) - self.lam * lm(prefix, problem)

            def select(idx: torch.Tensor) -> None:
                cap.select(idx)
                lm.select(idx)

            seqs, _ = beam_search(
                step, n, self.beam, self.max_len, v.bos, v.eos, on_select=select, min_len=self.min_len
            )
        else:
            seqs, _ = beam_search(
                cap, n, self.beam, self.max_len, v.bos, v.eos, on_select=cap.select, min_len=self.min_len
            )
        b = seqs.shape[1]
        flat = seqs.reshape(n * b, -1).clone()
        is_eos = (flat == self.vocab.eos).long()
        flat[(is_eos.cumsum(1) - is_eos) > 0] = self.vocab.pad  # pad everything after the first <eos>
        rep = feats.repeat_interleave(b, dim=0)
        lp_cap = self.caption_log_prob(rep, flat).reshape(n, b).double()
        lp_lm = self.lm.log_prob(flat, pad=self.vocab.pad).reshape(n, b).double()
        # both strategies pick the final hypothesis by the full PMI score (rerank: the final beam of p(d|E))
        best = pmi_select(lp_cap.clamp_max(0.0), lp_lm.clamp_max(0.0), self.lam)
        ar = torch.arange(n)
        texts = tuple(self.vocab.decode(seqs[i, int(best[i])].tolist()) for i in range(n))
        return Descriptions(
            units=tuple(range(n)),
            texts=texts,
            log_p_caption=lp_cap[ar, best].numpy(),
            log_p_lm=lp_lm[ar, best].numpy(),
            layer=layer,
        )

    def describe(self, exemplars: Exemplars) -> Descriptions:
        """Describe every unit of ``exemplars`` (needs ``encoder`` and the exemplar images).

        Parameters
        ----------
        exemplars : Exemplars
            From :func:`milan.compute_exemplars` or :func:`milan.exemplars_from_activations` with images.

        Returns
        -------
        Descriptions
        """
        if not isinstance(exemplars, Exemplars):
            raise TypeError(f"exemplars must be milan.Exemplars, got {type(exemplars).__name__}")
        if self.encoder is None:
            raise ValueError("Milan.describe needs an encoder; pass encoder= or use describe_features")
        if exemplars.images is None:
            raise ValueError("exemplars.images is None; compute exemplars with keep_images=True")
        feats = self.encoder.encode_exemplars(exemplars.images, exemplars.masks)
        return self.describe_features(feats, layer=exemplars.layer)

    # ------------------------------------------------------------------------------------------- files
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Save the describer (captioner, LM, vocabulary, settings and a :class:`ShapesBackbone` encoder) to one
        ``.npz`` file: plain arrays plus JSON metadata with a format name and version, written atomically.

        Raises
        ------
        TypeError
            The encoder's backbone is not a :class:`ShapesBackbone` (other backbones are the user's own code:
            save their weights with torch and build the encoder again).
        """
        p = check_path("path", path, must_exist=False, suffixes=(".npz",))
        enc_meta = None
        arrays: dict[str, np.ndarray] = {}
        if self.encoder is not None:
            if not isinstance(self.encoder.backbone, ShapesBackbone):
                raise TypeError("only encoders on a milan.ShapesBackbone can be saved in a describer file")
            enc_meta = {
                "backbone": self.encoder.backbone.config,
                "layers": self.encoder.layers,
                "include_pixels": self.encoder.include_pixels,
            }
            arrays.update(_arrays("encoder", self.encoder))
        arrays.update(_arrays("captioner", self.captioner))
        arrays.update(_arrays("lm", self.lm))
        meta = {
            "format": _FORMAT,
            "version": _FORMAT_VERSION,
            "vocab": self.vocab.itos[4:],
            "captioner": self.captioner.config,
            "lm": self.lm.config,
            "encoder": enc_meta,
            "lam": self.lam,
            "beam": self.beam,
            "strategy": self.strategy,
            "max_len": self.max_len,
            "min_len": self.min_len,
        }
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)  # type: ignore[arg-type]
        return atomic_write_bytes(p, buf.getvalue())

    @classmethod
    def pretrained(cls) -> Milan:
        """The describer that ships with the package: trained on the shapes world by ``milan-neurons fit --seed 0``
        (1500 images, 6 planted units per concept; see ``milan/weights/SOURCE.md``).

        Its encoder's backbone is a small CNN trained on 32x32 shapes-world images: it describes colours, shapes,
        positions, stripes and text in the words of the shapes world. For other images, train a describer on
        annotated units of your own (:func:`milan.train_captioner`, :func:`milan.train_language_model`).
        """
        from importlib.resources import as_file, files

        with as_file(files("milan") / "weights" / "shapes_describer.npz") as path:
            return cls.load(path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Milan:
        """Read a describer written by :meth:`save` (no pickle: arrays are read with ``allow_pickle=False``).

        Raises
        ------
        FileNotFoundError
            No such file.
        ValueError
            Not a describer file of a version this package reads, or weights that do not fit the stored
            configuration (the message names the file).
        """
        p = check_path("path", path, kind="file")
        arrays = _npz_arrays(p, "describer")
        try:
            meta = json.loads(bytes(arrays.pop("meta").astype(np.uint8)).decode())
            if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
                raise ValueError("it is not a milan describer file")
            if meta.get("version") != _FORMAT_VERSION:
                raise ValueError(f"format version {meta.get('version')!r} is not {_FORMAT_VERSION}")
            vocab = Vocabulary(meta["vocab"])
            cap = Captioner(**meta["captioner"])
            lm = LanguageModel(**meta["lm"])
            _load_state(cap, "captioner", arrays)
            _load_state(lm, "lm", arrays)
            encoder = None
            if meta["encoder"] is not None:
                e = meta["encoder"]
                encoder = MaskedPyramidEncoder(
                    ShapesBackbone(**e["backbone"]), e["layers"], e["include_pixels"]
                )
                encoder.shift = torch.zeros_like(torch.from_numpy(arrays["encoder.shift"]))
                encoder.scale = torch.zeros_like(torch.from_numpy(arrays["encoder.scale"]))
                _load_state(encoder, "encoder", arrays)
            cap.eval()
            lm.eval()
            return cls(
                cap,
                lm,
                vocab,
                encoder=encoder,
                lam=meta["lam"],
                beam=meta["beam"],
                strategy=meta["strategy"],
                max_len=meta["max_len"],
                min_len=meta.get("min_len", 1),
            )
        except (
            KeyError,
            TypeError,
            ValueError,
            RuntimeError,
            UnicodeDecodeError,
            json.JSONDecodeError,
        ) as exc:
            raise ValueError(f"describer file {str(p)!r} cannot be read: {exc}") from None


def _arrays(prefix: str, module: nn.Module) -> dict[str, np.ndarray]:
    return {f"{prefix}.{k}": v.detach().cpu().numpy() for k, v in module.state_dict().items()}


def _load_state(module: nn.Module, prefix: str, arrays: dict[str, np.ndarray]) -> None:
    state = {
        k[len(prefix) + 1 :]: torch.from_numpy(np.array(v))
        for k, v in arrays.items()
        if k.startswith(prefix + ".")
    }
    for k, v in state.items():
        if v.dtype.is_floating_point and not bool(torch.isfinite(v).all()):
            raise ValueError(f"weights {prefix}.{k} hold NaN or infinite values")
    module.load_state_dict(state, strict=True)
