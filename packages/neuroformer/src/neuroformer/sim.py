"""Embedded simulators: a hub network with known directed connectivity, a stimulus-driven population and a
population whose latent state drives running speed.

The paper's hub-network simulator is not in the reference repository; this is the package's own discrete-time
Bernoulli GLM (a multivariate Hawkes-like process on the logit scale).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from neuroformer.data import TimeSeries
from neurotypes import SpikeTrains, Stimulus
from neurotypes.validation import check_float, check_int, check_positive, check_rng

__all__ = ["HubNetwork", "behaviour", "hub_network", "multimodal", "ou_process", "stimulus_driven"]


def _logit(p: float) -> float:
    return float(np.log(p / (1.0 - p)))


def _steps(duration: float, dt: float) -> int:
    duration = check_positive("duration", duration)
    dt = check_positive("dt", dt)
    n = round(duration / dt)
    if n < 2:
        raise ValueError(f"duration ({duration} s) must span at least two bins of dt ({dt} s)")
    if n > 10**8:
        raise ValueError(f"duration / dt must be at most 1e8 bins, got {n}")
    return n


def _rate_probability(name: str, rate: float, dt: float) -> float:
    rate = check_positive(name, rate)
    if rate * dt >= 1.0:
        raise ValueError(f"{name} * dt must be < 1 (a spike probability per bin), got {rate * dt:g}")
    return rate


def ou_process(
    n_steps: int, dt: float, tau: float, sigma: float, rng: np.random.Generator, n: int = 1
) -> NDArray[np.float64]:
    """Stationary Ornstein-Uhlenbeck samples ``[n_steps, n]`` with time constant ``tau`` and s.d. ``sigma``.

    Exact discretisation: ``x[i] = a x[i-1] + sigma sqrt(1 - a^2) eps``, ``a = exp(-dt / tau)``, ``x[0] ~
    N(0, sigma^2)``.

    Parameters
    ----------
    n_steps : int
    dt, tau : float
        Step and time constant in seconds (> 0).
    sigma : float
        Stationary standard deviation (>= 0).
    rng : numpy.random.Generator or int
    n : int
        Independent processes.

    Returns
    -------
    ndarray, shape (n_steps, n)
    """
    n_steps = check_int("n_steps", n_steps, minimum=1)
    dt = check_positive("dt", dt)
    tau = check_positive("tau", tau)
    sigma = check_float("sigma", sigma, minimum=0.0)
    n = check_int("n", n, minimum=1)
    rng = check_rng(rng, "rng")
    a = np.exp(-dt / tau)
    noise = rng.standard_normal((n_steps, n)) * sigma * np.sqrt(1.0 - a * a)
    x = np.empty((n_steps, n))
    x[0] = rng.standard_normal(n) * sigma
    for i in range(1, n_steps):
        x[i] = a * x[i - 1] + noise[i]
    return x


def _spikes_from_raster(raster: NDArray[np.int64], dt: float) -> SpikeTrains:
    units, bins = np.nonzero(raster)
    times = (bins + 0.5) * dt
    order = np.lexsort((units, times))
    return SpikeTrains(
        times=times[order].astype(np.float64),
        units=units[order].astype(np.int64),
        n_units=raster.shape[0],
        t_start=0.0,
        t_stop=raster.shape[1] * dt,
    )


@dataclass(frozen=True)
class HubNetwork:
    """Result of :func:`hub_network`.

    Attributes
    ----------
    spikes : SpikeTrains
        Spikes placed at bin centres (binning at ``dt`` recovers the raster exactly).
    adjacency : ndarray [N, N]
        Signed logit weights, ``adjacency[a, b]`` is the edge a -> b.
    hub_edges : ndarray of bool [N, N]
        The hub -> target edges (the connectivity to recover).
    hubs : ndarray of int
        Hub neuron indices.
    dt : float
        Bin width of the simulation.
    """

    spikes: SpikeTrains
    adjacency: NDArray[np.float64]
    hub_edges: NDArray[np.bool_]
    hubs: NDArray[np.int64]
    dt: float


def hub_network(
    n_neurons: int = 30,
    n_hubs: int = 3,
    n_targets: int = 8,
    duration: float = 600.0,
    dt: float = 0.01,
    base_rate: float = 5.0,
    hub_rate: float = 20.0,
    hub_weight: float = 2.0,
    tau: float = 0.02,
    p_background: float = 0.02,
    background_weight: float = 0.5,
    ou_tau: float = 0.5,
    ou_sigma: float = 0.5,
    seed: int | np.random.Generator | None = 0,
) -> HubNetwork:
    """Simulate the hub network (spec: N=30, 3 hubs x 8 targets, +2.0 logit, lag 1-2 bins, tau = 20 ms).

    Each neuron spikes in bin ``t`` with probability ``sigmoid(u_b + drive_t + sum_a W[a, b] f_a(t - lag_ab))``
    where ``f_a`` is neuron a's spike train filtered by an exponential with time constant ``tau``; hubs have
    base rate ``hub_rate`` plus an OU-modulated drive, others ``base_rate``; background edges are random
    (``p_background``, weights +/- ``background_weight``).

    Returns
    -------
    HubNetwork
    """
    n_neurons = check_int("n_neurons", n_neurons, minimum=2)
    n_hubs = check_int("n_hubs", n_hubs, minimum=1)
    n_targets = check_int("n_targets", n_targets, minimum=1)
    if n_hubs + n_targets > n_neurons:  # targets are drawn among the non-hubs
        raise ValueError(f"n_hubs + n_targets ({n_hubs + n_targets}) must not exceed n_neurons ({n_neurons})")
    n_steps = _steps(duration, dt)
    base_rate = _rate_probability("base_rate", base_rate, dt)
    hub_rate = _rate_probability("hub_rate", hub_rate, dt)
    hub_weight = check_float("hub_weight", hub_weight)
    tau = check_positive("tau", tau)
    p_background = check_float("p_background", p_background, minimum=0.0, maximum=1.0)
    background_weight = check_float("background_weight", background_weight)
    ou_tau = check_positive("ou_tau", ou_tau)
    ou_sigma = check_float("ou_sigma", ou_sigma, minimum=0.0)
    rng = check_rng(seed)
    hubs = np.sort(rng.choice(n_neurons, n_hubs, replace=False)).astype(np.int64)
    w = np.zeros((n_neurons, n_neurons))
    lag = np.ones((n_neurons, n_neurons), dtype=np.int64)
    hub_edges = np.zeros((n_neurons, n_neurons), dtype=bool)
    for h in hubs:
        others = np.setdiff1d(np.arange(n_neurons), hubs)  # hubs drive non-hubs only (no hub loops)
        targets = rng.choice(others, n_targets, replace=False)
        w[h, targets] = hub_weight
        hub_edges[h, targets] = True
        lag[h, targets] = rng.integers(1, 3, n_targets)
    bg = (rng.random((n_neurons, n_neurons)) < p_background) & ~hub_edges
    np.fill_diagonal(bg, False)
    w[bg] = background_weight * rng.choice([-1.0, 1.0], int(bg.sum()))
    lag[bg] = rng.integers(1, 3, int(bg.sum()))
    u = np.full(n_neurons, _logit(base_rate * dt))
    u[hubs] = _logit(hub_rate * dt)
    drive = np.zeros((n_steps, n_neurons))
    drive[:, hubs] = ou_process(n_steps, dt, ou_tau, ou_sigma, rng, n_hubs)
    w1 = np.where(lag == 1, w, 0.0)
    w2 = np.where(lag == 2, w, 0.0)
    decay = np.exp(-dt / tau)
    raster = np.zeros((n_neurons, n_steps), dtype=np.int64)
    f_prev = np.zeros(n_neurons)
    f_prev2 = np.zeros(n_neurons)
    unif = rng.random((n_steps, n_neurons))
    for t in range(n_steps):
        logit = u + drive[t] + f_prev @ w1 + f_prev2 @ w2
        s = unif[t] < 1.0 / (1.0 + np.exp(-logit))
        raster[:, t] = s
        f_prev2 = f_prev
        f_prev = f_prev * decay + s
    return HubNetwork(_spikes_from_raster(raster, dt), w, hub_edges, hubs, dt)


def stimulus_driven(
    n_neurons: int = 30,
    n_driven: int = 15,
    duration: float = 120.0,
    dt: float = 0.01,
    base_rate: float = 8.0,
    gain: float = 1.5,
    stim_tau: float = 0.1,
    seed: int | np.random.Generator | None = 0,
) -> tuple[SpikeTrains, Stimulus]:
    """A 1-D "frame" feature (OU, time constant ``stim_tau``) drives ``n_driven`` neurons' logits.

    Returns
    -------
    spikes : SpikeTrains
    stimulus : Stimulus
        ``frames`` of shape ``[T, 1]`` at rate ``1 / dt``.
    """
    n_neurons = check_int("n_neurons", n_neurons, minimum=1)
    n_driven = check_int("n_driven", n_driven, minimum=0, maximum=n_neurons)
    n_steps = _steps(duration, dt)
    base_rate = _rate_probability("base_rate", base_rate, dt)
    gain = check_float("gain", gain)
    stim_tau = check_positive("stim_tau", stim_tau)
    rng = check_rng(seed)
    s = ou_process(n_steps, dt, stim_tau, 1.0, rng)[:, 0]
    gains = np.zeros(n_neurons)
    driven = rng.choice(n_neurons, n_driven, replace=False)
    gains[driven] = gain * rng.choice([-1.0, 1.0], n_driven)
    logit = _logit(base_rate * dt) + s[:, None] * gains[None, :]
    p = 1.0 / (1.0 + np.exp(-logit))
    raster = (rng.random(p.shape) < p).T.astype(np.int64)
    return _spikes_from_raster(raster, dt), Stimulus(frames=s[:, None].astype(np.float64), rate=1.0 / dt)


def behaviour(
    n_neurons: int = 30,
    n_latents: int = 3,
    duration: float = 120.0,
    dt: float = 0.01,
    base_rate: float = 8.0,
    loading: float = 1.0,
    latent_tau: float = 0.5,
    noise: float = 0.1,
    seed: int | np.random.Generator | None = 0,
) -> tuple[SpikeTrains, TimeSeries]:
    """Latent OU processes drive firing rates; running speed is a linear readout of the latents plus noise.

    Returns
    -------
    spikes : SpikeTrains
    speed : TimeSeries
        ``values [T, 1]`` sampled at every bin centre ``t``.
    """
    noise = check_float("noise", noise, minimum=0.0)
    rng = check_rng(seed)
    z, raster = _latent_population(n_neurons, n_latents, duration, dt, base_rate, loading, latent_tau, rng)
    return _spikes_from_raster(raster, dt), _speed(z, noise, dt, rng)


def _latent_population(
    n_neurons: int,
    n_latents: int,
    duration: float,
    dt: float,
    base_rate: float,
    loading: float,
    latent_tau: float,
    rng: np.random.Generator,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Latent OU processes ``z [T, K]`` and the Bernoulli raster ``[N, T]`` they drive through random loadings."""
    n_neurons = check_int("n_neurons", n_neurons, minimum=1)
    n_latents = check_int("n_latents", n_latents, minimum=1)
    n_steps = _steps(duration, dt)
    base_rate = _rate_probability("base_rate", base_rate, dt)
    loading = check_float("loading", loading)
    latent_tau = check_positive("latent_tau", latent_tau)
    z = ou_process(n_steps, dt, latent_tau, 1.0, rng, n_latents)
    c = rng.standard_normal((n_latents, n_neurons)) * loading / np.sqrt(n_latents)
    p = 1.0 / (1.0 + np.exp(-(_logit(base_rate * dt) + z @ c)))
    raster = (rng.random(p.shape) < p).T.astype(np.int64)
    return z, raster


def _speed(z: NDArray[np.float64], noise: float, dt: float, rng: np.random.Generator) -> TimeSeries:
    """A linear read-out of the latents plus Gaussian noise, at the bin centres."""
    readout = rng.standard_normal(z.shape[1]) / np.sqrt(z.shape[1])
    speed = z @ readout + noise * rng.standard_normal(z.shape[0])
    t = ((np.arange(z.shape[0]) + 0.5) * dt).astype(np.float64)
    return TimeSeries(values=speed[:, None], t=t)


def multimodal(
    n_neurons: int = 30,
    n_latents: int = 3,
    duration: float = 120.0,
    dt: float = 0.01,
    base_rate: float = 8.0,
    loading: float = 1.0,
    latent_tau: float = 0.5,
    stimulus_noise: float = 0.5,
    noise: float = 0.1,
    seed: int | np.random.Generator | None = 0,
) -> tuple[SpikeTrains, Stimulus, TimeSeries]:
    """Spikes, a stimulus and running speed that share latent causes (for the contrastive-decoding ablation).

    Latent OU processes ``z [T, K]`` drive the neurons' logits (as in :func:`behaviour`); the stimulus frame at
    each bin is ``z[:, 0]`` plus Gaussian noise of s.d. ``stimulus_noise`` (a visual feature that follows the
    first latent); speed is a linear read-out of all latents plus noise. Spikes alone, stimulus alone and both
    carry information about speed.

    Parameters
    ----------
    n_neurons, n_latents : int
    duration, dt : float
        Seconds.
    base_rate : float
        Hz at zero drive.
    loading : float
        Scale of the latent-to-logit loadings.
    latent_tau : float
        Time constant of the latents (s).
    stimulus_noise, noise : float
        Noise s.d. of the stimulus and of the speed.
    seed : int, Generator or None

    Returns
    -------
    spikes : SpikeTrains
    stimulus : Stimulus
        ``frames [T, 1]`` at rate ``1 / dt``.
    speed : TimeSeries
        ``values [T, 1]`` at the bin centres.
    """
    stimulus_noise = check_float("stimulus_noise", stimulus_noise, minimum=0.0)
    noise = check_float("noise", noise, minimum=0.0)
    rng = check_rng(seed)
    z, raster = _latent_population(n_neurons, n_latents, duration, dt, base_rate, loading, latent_tau, rng)
    frames = z[:, :1] + stimulus_noise * rng.standard_normal((z.shape[0], 1))
    stimulus = Stimulus(frames=frames.astype(np.float64), rate=1.0 / dt)
    return _spikes_from_raster(raster, dt), stimulus, _speed(z, noise, dt, rng)
