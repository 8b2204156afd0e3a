"""Poisson rate coding of processed images (Diehl & Cook 2015; Hussaini et al. 2023)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from neurotypes import SpikeTrains
from neurotypes.validation import check_array, check_float

__all__ = ["poisson_rates", "poisson_spike_trains"]


def poisson_rates(x: ArrayLike, intensity: float = 4.0) -> NDArray[np.float64]:
    """Firing rate (Hz) of each input neuron: ``pixel / intensity`` (at most 255 / 4 = 63.75 Hz).

    The reference divides by ``intensity``; its retry rule (``intensity += 1`` when the excitatory layer is
    silent) would therefore *lower* the input rate, and is switched off there (``repeat_no_spikes = False``).
    Our retry raises the rate instead (see ``DiehlCookParams.max_retries``).

    Parameters
    ----------
    x : array_like
        Pixel values in [0, 255] (output of :func:`snn_vpr.preprocess.process_image`), any shape.
    intensity : float
        Divisor, > 0.
    """
    arr = check_array("x", x, finite=False, allow_nan=True)
    if isinstance(intensity, bool) or not isinstance(intensity, int | float | np.number):
        raise TypeError(f"intensity must be a number, got {type(intensity).__name__}")
    if not np.isfinite(intensity) or intensity <= 0:
        raise ValueError(f"intensity must be a positive finite number, got {intensity!r}")
    if arr.size and (not np.all(np.isfinite(arr)) or arr.min() < 0 or arr.max() > 255):
        raise ValueError("x must hold pixel values in [0, 255]")
    return arr / float(intensity)


def poisson_spike_trains(
    rates: ArrayLike, duration: float, dt: float = 5e-4, seed: int | np.random.Generator | None = 0
) -> SpikeTrains:
    """Bernoulli-per-step Poisson spike trains for input rates (Hz), flattened to ``n_units = rates.size``.

    Each time step of ``dt`` seconds a unit fires with probability ``rate * dt`` (the discretisation the
    simulator uses); spike times are the step starts.
    """
    r = check_array("rates", rates, nonnegative=True, min_size=1).ravel()
    duration = check_float("duration", duration, minimum=0.0, allow_inf=False)
    dt = check_float("dt", dt, minimum=0.0, allow_inf=False)
    if not duration > 0 or not dt > 0 or dt > duration:
        raise ValueError(f"need 0 < dt <= duration, got dt={dt!r}, duration={duration!r}")
    if duration / dt > 1e8:
        raise ValueError(f"duration / dt must be at most 1e8 steps, got {duration / dt:.3g}")
    if np.any(r * dt > 1):
        raise ValueError("rates * dt must be <= 1 (lower dt)")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    n_steps = round(duration / dt)
    fired = rng.random((n_steps, r.size)) < r * dt
    steps, units = np.nonzero(fired)
    return SpikeTrains(steps * dt, units.astype(np.int64), n_units=r.size, t_start=0.0, t_stop=n_steps * dt)
