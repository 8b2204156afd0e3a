"""The Astrocyte-Modulated Spiking Unit (AM-SU) and the AstroSNN language model.

**Reconstruction.** The paper (Shen et al., arXiv:2312.07625) defines AM-SU in its method section, which could not
be read (only the abstract is retrievable offline). The equations below are the team's reconstruction in the
usual BrainCog style; every part that is not confirmed is a named option:

- current: ``I_t = W x_t + b``; with ``mod="gain"``: ``I_t = (1 + σ(κ · a_{t−1})) ⊙ (W x_t) + b``;
- membrane, hard reset to zero: ``u_t = β · u_{t−1} · (1 − s_{t−1}) + I_t + g_a · a_{t−1}``
  (the astrocyte current ``g_a · a_{t−1}`` is present for every ``mod`` except ``"none"``);
- spike: ``s_t = Θ(u_t − θ_th)``, θ_th = 1, surrogate gradient (:mod:`astrosnn.surrogate`);
- astrocyte trace: ``a_t = α · a_{t−1} + γ · s_t`` (``astro_input="spike"``) or ``+ γ · I_t``
  (``astro_input="current"``), with α ≫ β (slow astrocyte);
- output: ``s_t``, or ``s_t ⊙ σ(a_t)`` with ``mod="gate"`` (then the output is not binary).

With ``mod="none"`` (or ``g_astro = 0`` and ``mod="current"``) the cell is exactly a LIF neuron with reset to zero,
the same as ``snntorch.Leaky(beta, threshold=1, reset_mechanism="zero")`` (snntorch 1.0.0 semantics: the reset
uses the previous step's spike, is detached from the graph, and zeroes only the leaked membrane, not the input).
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from astrosnn.data import ByteTokenizer, CharTokenizer
from astrosnn.surrogate import SURROGATES, spike
from neurotypes import FormatError, SpikeTrains, atomic_write_bytes
from neurotypes.validation import (
    check_array,
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_positive,
)

__all__ = [
    "AMSU",
    "LIF",
    "MODEL_FORMAT",
    "MODS",
    "AMSUCell",
    "AMSUState",
    "AstroBlock",
    "AstroSNNLM",
    "LIFState",
    "LMConfig",
    "count_params",
    "load_model",
    "save_model",
    "to_spike_trains",
]

MODS = ("current", "gain", "gate", "none")
ASTRO_INPUTS = ("spike", "current")


class AMSUState(NamedTuple):
    """State of an AM-SU layer: membrane ``u``, astrocyte trace ``a``, last binary spike ``s`` (each [B, C])."""

    u: torch.Tensor
    a: torch.Tensor
    s: torch.Tensor


class LIFState(NamedTuple):
    """State of a LIF layer: membrane ``u`` and last spike ``s`` (each [B, C])."""

    u: torch.Tensor
    s: torch.Tensor


def _check_open_upper(name: str, value: float, upper: float) -> float:
    """``value`` (already a finite float) must lie below ``upper`` (an open bound)."""
    if not value < upper:
        raise ValueError(f"{name} must be < {upper:g}, got {value}")
    return value


def _check_tensor(name: str, x: object, shape: str, ndim: int, last: int) -> torch.Tensor:
    """A finite floating-point tensor with ``ndim`` dimensions whose last has size ``last`` (``shape`` names them)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got {x.dtype}")
    if x.ndim != ndim or x.shape[-1] != last:
        raise ValueError(f"{name} must have shape {shape}, got {tuple(x.shape)}")
    if x.numel() and not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} must be finite, got NaN or infinity")
    return x


def _t(x: object) -> torch.Tensor:
    """A registered per-channel parameter or buffer, typed as a tensor."""
    return x  # type: ignore[return-value]


def _param(module: nn.Module, name: str, value: float, n: int, learn: bool) -> None:
    t = torch.full((n,), float(value))
    if learn:
        module.register_parameter(name, nn.Parameter(t))
    else:
        module.register_buffer(name, t)


class AMSUCell(nn.Module):
    """One step of the Astrocyte-Modulated Spiking Unit (reconstruction, see module docstring).

    Parameters
    ----------
    n_in, n_hidden : int
        Input and output channels (W is ``n_hidden × n_in``).
    beta : float
        Membrane decay β in [0, 1] (default 0.5).
    alpha : float
        Astrocyte decay α in [0, 1) (default 0.97; the astrocyte is slow, α ≫ β).
    gamma : float
        Astrocyte drive γ ≥ 0 (default 0.1).
    g_astro : float
        Astrocyte-to-membrane coupling g_a (default 0.5).
    kappa : float
        Gain slope κ of ``mod="gain"`` (default 1.0).
    mod : {"gain", "current", "gate", "none"}
        Tripartite modulation (default ``"gain"``; every mode but ``"none"`` includes the ``g_a · a`` current).
    surrogate : {"atan", "sigmoid", "fast_sigmoid"}
        Surrogate gradient of the spike (default ``"atan"``, α = 2).
    surrogate_param : float, optional
        Shape parameter of the surrogate.
    threshold : float
        Firing threshold θ_th (default 1.0).
    astro_input : {"spike", "current"}
        What drives the astrocyte: the neuron's spikes (default) or its input current (variant).
    learn_params : bool
        Make β, α, γ, κ, g_a per-channel trainable parameters (default True); otherwise fixed buffers.
    detach_reset : bool
        Detach the reset term from the graph (default True, as snntorch).
    bias : bool
        Use the bias b.

    Examples
    --------
    >>> cell = AMSUCell(3, 5)
    >>> s, state = cell(torch.zeros(2, 3))
    >>> tuple(s.shape), tuple(state.a.shape)
    ((2, 5), (2, 5))
    """

    def __init__(
        self,
        n_in: int,
        n_hidden: int,
        beta: float = 0.5,
        alpha: float = 0.97,
        gamma: float = 0.1,
        g_astro: float = 0.5,
        kappa: float = 1.0,
        mod: str = "gain",
        surrogate: str = "atan",
        surrogate_param: float | None = None,
        threshold: float = 1.0,
        astro_input: str = "spike",
        learn_params: bool = True,
        detach_reset: bool = True,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.n_in = check_int("n_in", n_in, minimum=1)
        self.n_hidden = check_int("n_hidden", n_hidden, minimum=1)
        beta = check_float("beta", beta, minimum=0.0, maximum=1.0)
        alpha = _check_open_upper("alpha", check_float("alpha", alpha, minimum=0.0), 1.0)
        gamma = check_float("gamma", gamma, minimum=0.0)
        g_astro = check_float("g_astro", g_astro)
        kappa = check_float("kappa", kappa)
        self.threshold = check_positive("threshold", threshold)
        self.mod = check_choice("mod", mod, MODS)
        self.surrogate = check_choice("surrogate", surrogate, tuple(SURROGATES))
        self.surrogate_param = (
            None if surrogate_param is None else check_positive("surrogate_param", surrogate_param)
        )
        self.astro_input = check_choice("astro_input", astro_input, ASTRO_INPUTS)
        self.learn_params = check_bool("learn_params", learn_params)
        self.detach_reset = check_bool("detach_reset", detach_reset)
        self.linear = nn.Linear(self.n_in, self.n_hidden, bias=check_bool("bias", bias))
        for name, val in (
            ("beta", beta),
            ("alpha", alpha),
            ("gamma", gamma),
            ("kappa", kappa),
            ("g_astro", g_astro),
        ):
            _param(self, name, val, self.n_hidden, self.learn_params)

    def extra_repr(self) -> str:
        return f"{self.n_in}, {self.n_hidden}, mod={self.mod!r}, surrogate={self.surrogate!r}, astro_input={self.astro_input!r}"

    def init_state(
        self, batch: int, device: torch.device | None = None, dtype: torch.dtype | None = None
    ) -> AMSUState:
        """Zero state for a batch of ``batch`` sequences."""
        batch = check_int("batch", batch, minimum=1)
        w = self.linear.weight
        z = torch.zeros(batch, self.n_hidden, device=device or w.device, dtype=dtype or w.dtype)
        return AMSUState(z, z.clone(), z.clone())

    def step(self, wx: torch.Tensor, state: AMSUState) -> tuple[torch.Tensor, AMSUState]:
        """Advance one step given the synaptic drive ``W x_t`` (without bias) [B, C]."""
        return self._step(wx, state, *self._decays(), biased=False)

    def _decays(self) -> tuple[torch.Tensor, torch.Tensor]:
        """β and α clamped to [0, 1] (trainable values may leave the interval during optimisation)."""
        return _t(self.beta).clamp(0.0, 1.0), _t(self.alpha).clamp(0.0, 1.0)

    def _step(
        self, wx: torch.Tensor, state: AMSUState, beta: torch.Tensor, alpha: torch.Tensor, *, biased: bool
    ) -> tuple[torch.Tensor, AMSUState]:
        """One step; ``biased``: ``wx`` already holds ``W x_t + b`` (only for ``mod != "gain"``)."""
        u_prev, a_prev, s_prev = state
        if self.mod == "gain":
            wx = (1.0 + torch.sigmoid(_t(self.kappa) * a_prev)) * wx
        current = wx if biased or self.linear.bias is None else wx + self.linear.bias
        reset = s_prev.detach() if self.detach_reset else s_prev
        u = beta * u_prev * (1.0 - reset) + current
        if self.mod != "none":
            u = u + _t(self.g_astro) * a_prev
        s = spike(u - self.threshold, self.surrogate, self.surrogate_param)
        drive = s if self.astro_input == "spike" else current
        a = alpha * a_prev + _t(self.gamma) * drive
        out = s * torch.sigmoid(a) if self.mod == "gate" else s
        return out, AMSUState(u, a, s)

    def forward(self, x_t: torch.Tensor, state: AMSUState | None = None) -> tuple[torch.Tensor, AMSUState]:
        """One step: ``s, state = cell(x_t, state)`` with ``x_t`` [B, n_in]."""
        x_t = _check_tensor("x_t", x_t, f"[B, {self.n_in}]", 2, self.n_in)
        if state is None:
            state = self.init_state(x_t.shape[0], x_t.device, x_t.dtype)
        return self.step(F.linear(x_t, self.linear.weight), state)


class AMSU(nn.Module):
    """Multi-step AM-SU layer over ``[T, B, C_in]`` (same arguments as :class:`AMSUCell`).

    The synaptic drive ``W x_t`` of all steps is one matrix product; the recurrence runs step by step.
    """

    def __init__(self, n_in: int, n_hidden: int, **cell_kwargs: Any) -> None:
        super().__init__()
        self.cell = AMSUCell(n_in, n_hidden, **cell_kwargs)

    def forward(self, x: torch.Tensor, state: AMSUState | None = None) -> tuple[torch.Tensor, AMSUState]:
        """Run ``x`` [T, B, n_in]; returns the outputs [T, B, n_hidden] and the final state."""
        x = _check_tensor("x", x, f"[T, B, {self.cell.n_in}]", 3, self.cell.n_in)
        return self._forward(x, state)

    def _forward(self, x: torch.Tensor, state: AMSUState | None) -> tuple[torch.Tensor, AMSUState]:
        """:meth:`forward` without the input checks (used inside the language model)."""
        cell = self.cell
        if state is None:
            state = cell.init_state(x.shape[1], x.device, x.dtype)
        # the bias joins the drive of all steps at once unless the gain multiplies W x_t alone
        biased = cell.mod != "gain"
        wx = F.linear(x, cell.linear.weight, cell.linear.bias if biased else None)
        beta, alpha = cell._decays()
        outs = []
        for t in range(x.shape[0]):
            o, state = cell._step(wx[t], state, beta, alpha, biased=biased)
            outs.append(o)
        return torch.stack(outs), state


class LIF(nn.Module):
    """Multi-step LIF node without weights (the spiking feed-forward of a block): ``u_t = β u_{t−1}(1 − s_{t−1}) + I_t``."""

    def __init__(
        self,
        n: int,
        beta: float = 0.5,
        threshold: float = 1.0,
        surrogate: str = "atan",
        surrogate_param: float | None = None,
        learn_params: bool = True,
    ) -> None:
        super().__init__()
        self.n = check_int("n", n, minimum=1)
        _param(
            self,
            "beta",
            check_float("beta", beta, minimum=0.0, maximum=1.0),
            self.n,
            check_bool("learn_params", learn_params),
        )
        self.threshold = check_positive("threshold", threshold)
        self.surrogate = check_choice("surrogate", surrogate, tuple(SURROGATES))
        self.surrogate_param = (
            None if surrogate_param is None else check_positive("surrogate_param", surrogate_param)
        )

    def forward(self, current: torch.Tensor, state: LIFState | None = None) -> tuple[torch.Tensor, LIFState]:
        """Run the input current [T, B, n]; returns spikes [T, B, n] and the final state."""
        return self._forward(_check_tensor("current", current, f"[T, B, {self.n}]", 3, self.n), state)

    def _forward(self, current: torch.Tensor, state: LIFState | None) -> tuple[torch.Tensor, LIFState]:
        if state is None:
            z = torch.zeros_like(current[0])
            state = LIFState(z, z.clone())
        beta = _t(self.beta).clamp(0.0, 1.0)
        u, s = state
        outs = []
        for t in range(current.shape[0]):
            u = beta * u * (1.0 - s.detach()) + current[t]
            s = spike(u - self.threshold, self.surrogate, self.surrogate_param)
            outs.append(s)
        return torch.stack(outs), LIFState(u, s)


_LIF_KEYS = ("beta", "threshold", "surrogate", "surrogate_param", "learn_params")


@dataclass(frozen=True)
class LMConfig:
    """Size of an :class:`AstroSNNLM`.

    ``cell_kwargs`` go to every :class:`AMSU`; the feed-forward LIF shares its β, threshold, surrogate and
    ``learn_params``. ``max_len`` is the longest sequence the model accepts (training windows and generation).
    """

    vocab_size: int
    d_model: int = 64
    n_layers: int = 2
    ffn_mult: int = 4
    max_len: int = 1024
    cell_kwargs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("vocab_size", "d_model", "n_layers", "ffn_mult", "max_len"):
            check_int(name, getattr(self, name), minimum=1)
        if not isinstance(self.cell_kwargs, dict):
            raise TypeError(f"cell_kwargs must be a dict, got {type(self.cell_kwargs).__name__}")
        # validate eagerly with a 1-channel cell so a bad time constant fails at configuration time
        AMSUCell(1, 1, **self.cell_kwargs)

    @property
    def learn_params(self) -> bool:
        return bool(self.cell_kwargs.get("learn_params", True))

    @property
    def bias(self) -> bool:
        return bool(self.cell_kwargs.get("bias", True))


def count_params(config: LMConfig) -> int:
    """Closed-form number of trainable parameters of ``AstroSNNLM(config)`` (tied embedding counted once).

    Per layer: two LayerNorms (4d), AM-SU ``W`` and ``b`` (d² + d), five per-channel cell parameters if
    learned (5d), ``W_o`` (d² + d), ``W_1`` (4d·d + 4d), the LIF β if learned (4d), ``W_2`` (4d·d + d);
    plus the embedding V·d and the final LayerNorm 2d.
    """
    if not isinstance(config, LMConfig):
        raise TypeError(f"config must be an LMConfig, got {type(config).__name__}")
    d, h, v = config.d_model, config.ffn_mult * config.d_model, config.vocab_size
    learn = config.learn_params
    per_layer = 4 * d + d * d + (d if config.bias else 0) + (5 * d if learn else 0)
    per_layer += d * d + d + (d * h + h) + (h if learn else 0) + (h * d + d)
    return v * d + config.n_layers * per_layer + 2 * d


class AstroBlock(nn.Module):
    """``y = x + W_o · AMSU(LN(x))``; ``z = y + W_2 · LIF(W_1 · LN(y))`` over ``[T, B, d]`` (reconstruction, SpikeGPT-like)."""

    def __init__(self, d_model: int, ffn_mult: int = 4, cell_kwargs: dict[str, Any] | None = None) -> None:
        super().__init__()
        ck = dict(cell_kwargs or {})
        h = ffn_mult * d_model
        self.ln1 = nn.LayerNorm(d_model)
        self.amsu = AMSU(d_model, d_model, **ck)
        self.w_o = nn.Linear(d_model, d_model)
        self.ln2 = nn.LayerNorm(d_model)
        self.w_1 = nn.Linear(d_model, h)
        self.lif = LIF(h, **{k: ck[k] for k in _LIF_KEYS if k in ck})
        self.w_2 = nn.Linear(h, d_model)

    def forward(
        self, x: torch.Tensor, state: tuple[AMSUState, LIFState] | None = None
    ) -> tuple[torch.Tensor, tuple[AMSUState, LIFState], torch.Tensor]:
        """Returns the block output, the new state and the AM-SU outputs (spikes) [T, B, d]."""
        s_am, s_lif = (None, None) if state is None else state
        spikes, s_am = self.amsu._forward(self.ln1(x), s_am)
        y = x + self.w_o(spikes)
        f, s_lif = self.lif._forward(self.w_1(self.ln2(y)), s_lif)
        return y + self.w_2(f), (s_am, s_lif), spikes


class AstroSNNLM(nn.Module):
    """AstroSNN language model: embedding → L × :class:`AstroBlock` → LayerNorm → readout tied to the embedding.

    One token per SNN time step; the token mixing is the recurrent AM-SU state, so generation costs O(1) per
    token and the state has a fixed size.

    Parameters
    ----------
    vocab_size : int or LMConfig
        Vocabulary size, or a full configuration (then the other arguments must be left at their defaults).
    d_model, n_layers, ffn_mult, max_len : int
        Width, depth, feed-forward expansion and longest accepted sequence.
    cell_kwargs : dict, optional
        Arguments of every :class:`AMSUCell` (``mod``, ``beta``, ``alpha``, ...). The LIF-only baseline is
        ``cell_kwargs={"mod": "none"}`` (same parameter count; the astrocyte then has no effect).
    seed : int, optional
        Seed of the parameter initialisation.

    Examples
    --------
    >>> lm = AstroSNNLM(16, d_model=8, n_layers=1, seed=0)
    >>> lm(torch.zeros(2, 5, dtype=torch.long)).shape
    torch.Size([2, 5, 16])
    >>> lm.n_params() == count_params(lm.config)
    True
    """

    def __init__(
        self,
        vocab_size: int | LMConfig,
        d_model: int = 64,
        n_layers: int = 2,
        ffn_mult: int = 4,
        max_len: int = 1024,
        cell_kwargs: dict[str, Any] | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        if isinstance(vocab_size, LMConfig):
            self.config = vocab_size
        else:
            self.config = LMConfig(vocab_size, d_model, n_layers, ffn_mult, max_len, dict(cell_kwargs or {}))
        c = self.config
        gen = torch.random.fork_rng() if seed is not None else None
        if gen is not None:
            with gen:
                torch.manual_seed(seed)
                self._build(c)
        else:
            self._build(c)

    def _build(self, c: LMConfig) -> None:
        self.embed = nn.Embedding(c.vocab_size, c.d_model)
        nn.init.normal_(self.embed.weight, std=0.02)  # GPT-2's init: the readout is tied to it
        self.blocks = nn.ModuleList(
            AstroBlock(c.d_model, c.ffn_mult, c.cell_kwargs) for _ in range(c.n_layers)
        )
        self.ln_f = nn.LayerNorm(c.d_model)

    def n_params(self) -> int:
        """Number of trainable parameters (the tied embedding once)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    def _check_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        if not isinstance(tokens, torch.Tensor):
            raise TypeError(f"tokens must be a torch.Tensor, got {type(tokens).__name__}")
        if tokens.dtype not in (torch.int64, torch.int32, torch.int16, torch.uint8):
            raise TypeError(f"tokens must be an integer tensor, got {tokens.dtype}")
        if tokens.ndim != 2 or tokens.shape[1] < 1:
            raise ValueError(f"tokens must have shape [B, T] with T >= 1, got {tuple(tokens.shape)}")
        if tokens.shape[1] > self.config.max_len:
            raise ValueError(
                f"tokens must be at most max_len={self.config.max_len} long, got length {tokens.shape[1]}"
            )
        if tokens.numel() and (int(tokens.min()) < 0 or int(tokens.max()) >= self.config.vocab_size):
            raise ValueError(f"tokens must lie in [0, vocab_size={self.config.vocab_size})")
        return tokens.long()

    def forward(
        self, tokens: torch.Tensor, state: list[Any] | None = None, return_state: bool = False
    ) -> Any:
        """Next-token logits [B, T, V] for ``tokens`` [B, T] (and the final state if ``return_state``)."""
        logits, state, _ = self._run(self._check_tokens(tokens), state)
        return (logits, state) if return_state else logits

    def _run(
        self, tokens: torch.Tensor, state: list[Any] | None
    ) -> tuple[torch.Tensor, list[Any], list[torch.Tensor]]:
        h = self.embed(tokens).transpose(0, 1)  # [T, B, d]: sequence = SNN time
        states = state if state is not None else [None] * len(self.blocks)
        new_states, spikes = [], []
        for blk, st in zip(self.blocks, states, strict=True):
            h, st2, sp = blk(h, st)
            new_states.append(st2)
            spikes.append(sp)
        h = self.ln_f(h).transpose(0, 1)
        return F.linear(h, self.embed.weight), new_states, spikes

    @torch.no_grad()
    def layer_spikes(self, tokens: torch.Tensor) -> list[torch.Tensor]:
        """AM-SU outputs of every layer, each [T, B, d], for ``tokens`` [B, T]."""
        return self._run(self._check_tokens(tokens), None)[2]

    @torch.no_grad()
    def generate(
        self, prompt: torch.Tensor, n: int, temperature: float = 1.0, seed: int | None = None
    ) -> torch.Tensor:
        """Continue ``prompt`` by ``n`` tokens.

        The prompt is read once; each new token is one recurrent step (constant cost and memory per token).

        Parameters
        ----------
        prompt : torch.Tensor
            Token ids, [T] or [B, T], integers in ``[0, vocab_size)``.
        n : int
            Number of new tokens (>= 0); ``T + n`` must not exceed ``config.max_len``.
        temperature : float
            Softmax temperature (>= 0); ``0`` is greedy decoding.
        seed : int, optional
            Seed of the sampling generator (default 0).

        Returns
        -------
        torch.Tensor
            The prompt followed by the new tokens, [T + n] or [B, T + n].

        Raises
        ------
        TypeError, ValueError
            A prompt that is not an integer tensor of valid ids, a negative ``n``, a negative temperature, or a
            sequence longer than ``max_len``.

        Examples
        --------
        >>> lm = AstroSNNLM(5, d_model=4, n_layers=1, seed=0)
        >>> lm.generate(torch.tensor([1, 2]), 3, temperature=0.0).shape
        torch.Size([5])
        """
        n = check_int("n", n, minimum=0)
        temperature = check_float("temperature", temperature, minimum=0.0)
        seed = 0 if seed is None else check_int("seed", seed, minimum=0)
        squeeze = isinstance(prompt, torch.Tensor) and prompt.ndim == 1
        toks = self._check_tokens(prompt[None] if squeeze else prompt)
        if toks.shape[1] + n > self.config.max_len:
            raise ValueError(
                f"prompt length {toks.shape[1]} + n={n} exceeds the model's max_len {self.config.max_len}"
            )
        gen = torch.Generator(device=toks.device)
        gen.manual_seed(seed)
        logits, state, _ = self._run(toks, None)
        out = [toks]
        last = logits[:, -1]
        for _ in range(n):
            if temperature == 0:
                nxt = last.argmax(-1, keepdim=True)
            else:
                probs = torch.softmax(last / temperature, -1)
                nxt = torch.multinomial(probs, 1, generator=gen)
            out.append(nxt)
            logits, state, _ = self._run(nxt, state)
            last = logits[:, -1]
        res = torch.cat(out, 1)
        return res[0] if squeeze else res


def to_spike_trains(spikes: torch.Tensor | np.ndarray, dt: float = 1e-3, batch_index: int = 0) -> SpikeTrains:
    """Convert spikes [T, C] or [T, B, C] (one time step per token) to :class:`neurotypes.SpikeTrains`.

    Step ``t`` is placed at time ``t · dt`` (nominal step duration ``dt`` seconds); any non-zero output
    (including gated, non-binary outputs) counts as one spike.
    """
    if isinstance(spikes, torch.Tensor):
        spikes = spikes.detach().cpu().numpy()
    arr = check_array("spikes", spikes, ndim=(2, 3), dtype="any")
    dt = check_positive("dt", dt)
    batch_index = check_int("batch_index", batch_index, minimum=0)
    if arr.ndim == 3:
        if batch_index >= arr.shape[1]:
            raise ValueError(f"batch_index must be < the batch size {arr.shape[1]}, got {batch_index}")
        arr = arr[:, batch_index]
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"spikes must have at least one step and one unit, got shape {arr.shape}")
    t_idx, units = np.nonzero(arr)  # row-major: sorted by time
    return SpikeTrains(
        times=t_idx.astype(np.float64) * dt,
        units=units.astype(np.int64),
        n_units=arr.shape[1],
        t_start=0.0,
        t_stop=arr.shape[0] * dt,
    )


# ------------------------------------------------------------------------------------------------ model files

#: Format name and version of the model files written by :func:`save_model`.
MODEL_FORMAT = "astrosnn.model"
MODEL_FORMAT_VERSION = 1
_META = "__meta__"
_MAX_MODEL_BYTES = 4 * 2**30

Tokenizer = CharTokenizer | ByteTokenizer


def _tokenizer_meta(tokenizer: Tokenizer | None) -> dict[str, Any] | None:
    if tokenizer is None:
        return None
    if isinstance(tokenizer, CharTokenizer):
        return {"kind": "char", "chars": list(tokenizer.chars)}
    if isinstance(tokenizer, ByteTokenizer):
        return {"kind": "byte"}
    raise TypeError(
        f"tokenizer must be a CharTokenizer, a ByteTokenizer or None, got {type(tokenizer).__name__}"
    )


def save_model(model: AstroSNNLM, path: str | os.PathLike[str], tokenizer: Tokenizer | None = None) -> Path:
    """Write a trained :class:`AstroSNNLM` (and its tokenizer) to a safe, versioned ``.npz`` file.

    The file holds one float array per parameter or buffer and a JSON entry (format name and version, the
    configuration, the tokenizer's vocabulary); nothing is pickled. It is written atomically.

    Parameters
    ----------
    model : AstroSNNLM
        The model to save (its configuration must be JSON-serialisable, which every valid one is).
    path : str or path-like
        Destination, usually ending in ``.npz``; its folder must exist.
    tokenizer : CharTokenizer or ByteTokenizer, optional
        The tokenizer the model was trained with, so that :func:`load_model` can encode new text.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    TypeError
        ``model`` is not an :class:`AstroSNNLM` or ``tokenizer`` is of an unknown kind.

    Examples
    --------
    >>> import tempfile, os
    >>> lm = AstroSNNLM(5, d_model=4, n_layers=1, seed=0)
    >>> p = save_model(lm, os.path.join(tempfile.mkdtemp(), "m.npz"))
    >>> back, tok = load_model(p)
    >>> bool(torch.equal(back(torch.zeros(1, 3, dtype=torch.long)), lm(torch.zeros(1, 3, dtype=torch.long))))
    True
    """
    if not isinstance(model, AstroSNNLM):
        raise TypeError(f"model must be an AstroSNNLM, got {type(model).__name__}")
    meta = {
        "format": MODEL_FORMAT,
        "version": MODEL_FORMAT_VERSION,
        "config": asdict(model.config),
        "tokenizer": _tokenizer_meta(tokenizer),
    }
    try:
        text = json.dumps(meta, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"model.config.cell_kwargs must hold JSON values only: {exc}") from None
    arrays = {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}
    if _META in arrays:  # pragma: no cover - parameter names never start with underscores
        raise ValueError(f"a parameter is named {_META!r}")
    arrays[_META] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # numeric arrays only: nothing is pickled (older numpy has no allow_pickle here)
    return atomic_write_bytes(path, buf.getvalue())


def _read_arrays(p: Path) -> dict[str, np.ndarray[Any, Any]]:
    """Every array of the archive ``p``, refusing non-zip files, foreign members, pickles and oversized data."""
    if not zipfile.is_zipfile(p):
        raise FormatError(f"file {str(p)!r} is not an astrosnn model file (not an npz archive)")
    out: dict[str, np.ndarray[Any, Any]] = {}
    try:
        with zipfile.ZipFile(p) as zf:
            infos = zf.infolist()
            total = sum(i.file_size for i in infos)
            if total > _MAX_MODEL_BYTES:
                raise FormatError(
                    f"file {str(p)!r} declares {total} bytes of arrays, over the {_MAX_MODEL_BYTES} limit"
                )
            for info in infos:
                if not info.filename.endswith(".npy"):
                    raise FormatError(f"file {str(p)!r} holds an unexpected member {info.filename!r}")
                with zf.open(info) as fh:
                    arr = np.lib.format.read_array(fh, allow_pickle=False)
                out[info.filename[:-4]] = arr
    except FormatError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, RuntimeError) as exc:
        raise FormatError(f"file {str(p)!r} is not a readable astrosnn model file: {exc}") from None
    return out


def load_model(path: str | os.PathLike[str]) -> tuple[AstroSNNLM, Tokenizer | None]:
    """Read a model written by :func:`save_model`; returns the model (in eval mode) and its tokenizer (or None).

    Parameters
    ----------
    path : str or path-like
        The ``.npz`` model file.

    Returns
    -------
    (AstroSNNLM, CharTokenizer or ByteTokenizer or None)

    Raises
    ------
    FileNotFoundError
        No file at ``path`` (a :class:`neurotypes.FileMissingError`).
    neurotypes.FormatError
        The file is not a model file of a format version this package reads, or its arrays do not fit its
        configuration; the message names the file. Nothing is unpickled.
    """
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    p = Path(path)
    if not p.is_file():
        from neurotypes import FileMissingError

        raise FileMissingError(f"no model file at path {str(p)!r}")
    arrays = _read_arrays(p)
    raw = arrays.pop(_META, None)
    if raw is None or raw.dtype != np.uint8 or raw.ndim != 1:
        raise FormatError(f"file {str(p)!r} has no astrosnn metadata entry {_META!r}")
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"file {str(p)!r} has unreadable metadata: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != MODEL_FORMAT:
        raise FormatError(f"file {str(p)!r} is not an astrosnn model file (format {MODEL_FORMAT!r})")
    version = meta.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= MODEL_FORMAT_VERSION:
        raise FormatError(
            f"file {str(p)!r} has model format version {version!r}; this astrosnn reads 1..{MODEL_FORMAT_VERSION}"
        )
    try:
        cfg = meta["config"]
        config = LMConfig(
            cfg["vocab_size"],
            cfg["d_model"],
            cfg["n_layers"],
            cfg["ffn_mult"],
            cfg["max_len"],
            cfg["cell_kwargs"],
        )
        tok_meta = meta.get("tokenizer")
        tokenizer: Tokenizer | None = None
        if tok_meta is not None:
            kind = tok_meta["kind"]
            if kind == "char":
                chars = tok_meta["chars"]
                if not isinstance(chars, list) or not all(isinstance(c, str) and len(c) == 1 for c in chars):
                    raise ValueError("tokenizer chars must be a list of single characters")
                if len(set(chars)) != len(chars):
                    raise ValueError("tokenizer chars must be unique")
                tokenizer = CharTokenizer("".join(chars))
            elif kind == "byte":
                tokenizer = ByteTokenizer()
            else:
                raise ValueError(f"unknown tokenizer kind {kind!r}")
            if tokenizer.vocab_size != config.vocab_size:
                raise ValueError(
                    f"tokenizer vocabulary {tokenizer.vocab_size} != model vocab_size {config.vocab_size}"
                )
    except (KeyError, TypeError, ValueError) as exc:
        raise FormatError(f"file {str(p)!r} has invalid metadata: {exc}") from None
    model = AstroSNNLM(config)
    expected = model.state_dict()
    if set(arrays) != set(expected):
        extra = sorted(set(arrays) - set(expected))[:3]
        lost = sorted(set(expected) - set(arrays))[:3]
        raise FormatError(
            f"file {str(p)!r} does not fit its configuration (unexpected {extra}, missing {lost})"
        )
    state = {}
    for key, ref in expected.items():
        arr = arrays[key]
        if tuple(arr.shape) != tuple(ref.shape) or arr.dtype.kind != "f":
            raise FormatError(
                f"file {str(p)!r}: array {key!r} has shape {arr.shape} and dtype {arr.dtype}, "
                f"expected {tuple(ref.shape)} floats"
            )
        if not np.isfinite(arr).all():
            raise FormatError(f"file {str(p)!r}: array {key!r} holds NaN or infinity")
        state[key] = torch.from_numpy(np.ascontiguousarray(arr)).to(ref.dtype)
    model.load_state_dict(state)
    model.eval()
    return model, tokenizer
