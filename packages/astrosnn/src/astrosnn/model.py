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

import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from astrosnn.surrogate import SURROGATES, spike
from neurotypes import SpikeTrains

__all__ = [
    "AMSU",
    "LIF",
    "MODS",
    "AMSUCell",
    "AMSUState",
    "AstroBlock",
    "AstroSNNLM",
    "LIFState",
    "LMConfig",
    "count_params",
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


def _check_pos_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if int(value) < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)


def _check_real(
    name: str,
    value: object,
    lo: float | None = None,
    hi: float | None = None,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    lo_bad = lo is not None and (v <= lo if lo_open else v < lo)
    hi_bad = hi is not None and (v >= hi if hi_open else v > hi)
    if lo_bad or hi_bad:
        left = "(" if lo_open else "["
        right = ")" if hi_open else "]"
        raise ValueError(f"{name} must lie in {left}{lo}, {hi}{right}, got {v}")
    return v


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
        self.n_in = _check_pos_int("n_in", n_in)
        self.n_hidden = _check_pos_int("n_hidden", n_hidden)
        beta = _check_real("beta", beta, 0.0, 1.0)
        alpha = _check_real("alpha", alpha, 0.0, 1.0, hi_open=True)
        gamma = _check_real("gamma", gamma, 0.0)
        g_astro = _check_real("g_astro", g_astro)
        kappa = _check_real("kappa", kappa)
        self.threshold = _check_real("threshold", threshold, 0.0, lo_open=True)
        if mod not in MODS:
            raise ValueError(f"mod must be one of {MODS}, got {mod!r}")
        if surrogate not in SURROGATES:
            raise ValueError(f"surrogate must be one of {sorted(SURROGATES)}, got {surrogate!r}")
        if astro_input not in ASTRO_INPUTS:
            raise ValueError(f"astro_input must be one of {ASTRO_INPUTS}, got {astro_input!r}")
        if surrogate_param is not None:
            _check_real("surrogate_param", surrogate_param, 0.0, lo_open=True)
        self.mod = mod
        self.surrogate = surrogate
        self.surrogate_param = surrogate_param
        self.astro_input = astro_input
        self.learn_params = bool(learn_params)
        self.detach_reset = bool(detach_reset)
        self.linear = nn.Linear(self.n_in, self.n_hidden, bias=bias)
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
        w = self.linear.weight
        z = torch.zeros(batch, self.n_hidden, device=device or w.device, dtype=dtype or w.dtype)
        return AMSUState(z, z.clone(), z.clone())

    def step(self, wx: torch.Tensor, state: AMSUState) -> tuple[torch.Tensor, AMSUState]:
        """Advance one step given the synaptic drive ``W x_t`` (without bias) [B, C]."""
        beta = _t(self.beta).clamp(0.0, 1.0)
        alpha = _t(self.alpha).clamp(0.0, 1.0)
        u_prev, a_prev, s_prev = state
        if self.mod == "gain":
            wx = (1.0 + torch.sigmoid(_t(self.kappa) * a_prev)) * wx
        current = wx if self.linear.bias is None else wx + self.linear.bias
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
        if x_t.ndim != 2 or x_t.shape[-1] != self.n_in:
            raise ValueError(f"x_t must have shape [B, {self.n_in}], got {tuple(x_t.shape)}")
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
        if x.ndim != 3 or x.shape[-1] != self.cell.n_in:
            raise ValueError(f"x must have shape [T, B, {self.cell.n_in}], got {tuple(x.shape)}")
        if state is None:
            state = self.cell.init_state(x.shape[1], x.device, x.dtype)
        wx = F.linear(x, self.cell.linear.weight)
        outs = []
        for t in range(x.shape[0]):
            o, state = self.cell.step(wx[t], state)
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
        self.n = _check_pos_int("n", n)
        _param(self, "beta", _check_real("beta", beta, 0.0, 1.0), self.n, bool(learn_params))
        self.threshold = _check_real("threshold", threshold, 0.0, lo_open=True)
        if surrogate not in SURROGATES:
            raise ValueError(f"surrogate must be one of {sorted(SURROGATES)}, got {surrogate!r}")
        self.surrogate = surrogate
        self.surrogate_param = surrogate_param

    def forward(self, current: torch.Tensor, state: LIFState | None = None) -> tuple[torch.Tensor, LIFState]:
        """Run the input current [T, B, n]; returns spikes [T, B, n] and the final state."""
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
            _check_pos_int(name, getattr(self, name))
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
        spikes, s_am = self.amsu(self.ln1(x), s_am)
        y = x + self.w_o(spikes)
        f, s_lif = self.lif(self.w_1(self.ln2(y)), s_lif)
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
                f"sequence length {tokens.shape[1]} exceeds the model's max_len {self.config.max_len}"
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
        """Continue ``prompt`` ([T] or [B, T] token ids) by ``n`` tokens.

        The prompt is read once; each new token is one recurrent step (constant cost and memory per token).
        ``temperature = 0`` is greedy decoding. Returns the prompt followed by the new tokens.
        """
        if isinstance(n, bool) or not isinstance(n, int | np.integer):
            raise TypeError(f"n must be an int, got {type(n).__name__}")
        n = int(n)
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        temperature = _check_real("temperature", temperature, 0.0)
        squeeze = isinstance(prompt, torch.Tensor) and prompt.ndim == 1
        toks = self._check_tokens(prompt[None] if squeeze else prompt)
        if toks.shape[1] + n > self.config.max_len:
            raise ValueError(
                f"prompt length {toks.shape[1]} + n={n} exceeds the model's max_len {self.config.max_len}"
            )
        gen = torch.Generator(device=toks.device)
        gen.manual_seed(0 if seed is None else int(seed))
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
    arr = spikes.detach().cpu().numpy() if isinstance(spikes, torch.Tensor) else np.asarray(spikes)
    if arr.ndim == 3:
        if not 0 <= batch_index < arr.shape[1]:
            raise ValueError(f"batch_index must lie in [0, {arr.shape[1]}), got {batch_index}")
        arr = arr[:, batch_index]
    if arr.ndim != 2:
        raise ValueError(f"spikes must have shape [T, C] or [T, B, C], got {arr.shape}")
    dt = _check_real("dt", dt, 0.0, lo_open=True)
    t_idx, units = np.nonzero(arr)  # row-major: sorted by time
    return SpikeTrains(
        times=t_idx.astype(np.float64) * dt,
        units=units.astype(np.int64),
        n_units=arr.shape[1],
        t_start=0.0,
        t_stop=arr.shape[0] * dt,
    )
