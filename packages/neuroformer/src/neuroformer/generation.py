"""Spike generation window by window (the reference's ``simulation.generate_spikes``)."""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import NDArray
from tqdm.auto import tqdm

from neuroformer.model import Neuroformer
from neuroformer.tokenizer import SpikeTokenizer, as_raster
from neurotypes.validation import check_array, check_bool, check_int

__all__ = ["generate_spikes"]


def generate_spikes(
    model: Neuroformer,
    tokenizer: SpikeTokenizer,
    spikes: object,
    anchors: NDArray[np.float64] | list[float],
    true_past: bool = True,
    top_k: int | None = None,
    top_p: float | None = None,
    temperature: float = 1.0,
    seed: int = 0,
    progress: bool = False,
) -> NDArray[np.int64]:
    """Generate the current window at each anchor and write the spikes into a raster.

    Parameters
    ----------
    model : Neuroformer
    tokenizer : SpikeTokenizer
    spikes : raster, SpikeTrains or SpikeCounts
        The recorded data (the past windows come from here when ``true_past``).
    anchors : sequence of float
        Window anchors in increasing order (use stride ``window`` for a continuous simulation).
    true_past : bool
        ``False``: the model's own generated spikes are fed back as the past window.
    top_k, top_p, temperature : sampling settings
    seed : int
        Window ``i`` is sampled with seed ``seed + i``.
    progress : bool
        Show a progress bar over the windows.

    Returns
    -------
    ndarray of int64 [N, bins]
        Generated counts inside the generated windows (and, when ``true_past=False``, the recorded data
        before the first generated window).
    """
    if not isinstance(model, Neuroformer):
        raise TypeError(f"model must be a Neuroformer, got {type(model).__name__}")
    if not isinstance(tokenizer, SpikeTokenizer):
        raise TypeError(f"tokenizer must be a SpikeTokenizer, got {type(tokenizer).__name__}")
    if (
        model.config.id_vocab_size != tokenizer.id_vocab_size
        or model.config.dt_vocab_size != tokenizer.dt_vocab_size
    ):
        raise ValueError("model and tokenizer disagree on the vocabulary sizes")
    check_bool("true_past", true_past)
    check_bool("progress", progress)
    seed = check_int("seed", seed, minimum=0)
    raster, _ = as_raster(spikes, tokenizer.dt, tokenizer.n_neurons)
    ts = check_array("anchors", anchors, ndim=1, min_size=1, minimum=0.0)
    if np.any(np.diff(ts) <= 0):
        raise ValueError("anchors must be strictly increasing")
    out = np.zeros_like(raster)
    if not true_past:
        first = tokenizer.window_bins(float(ts[0]))[1]
        out[:, :first] = raster[:, :first]
    source = raster if true_past else out
    for i, t in enumerate(tqdm(ts, disable=not progress, desc="generate")):
        win = tokenizer._encode_raster(source, float(t))
        ctx = {
            "x_id_prev": torch.from_numpy(win.x_id_prev[None]),
            "x_dt_prev": torch.from_numpy(win.x_dt_prev[None]),
        }
        ids, dts = model.generate(
            ctx,
            tokenizer.id_block_size - 1,
            top_k=top_k,
            top_p=top_p,
            temperature=temperature,
            seed=seed + i,
            sos_id=tokenizer.sos_id,
            eos_id=tokenizer.eos_id,
            n_dt_grid=tokenizer.n_dt_grid,
        )
        _i_p0, i_a, i_c1, _, s_a = tokenizer.window_bins(float(t))
        base = i_a if s_a > 0 else 0
        bins = np.clip(base + dts.numpy(), i_a, max(i_c1 - 1, i_a))
        np.add.at(out, (ids.numpy(), bins), 1)
    return out
