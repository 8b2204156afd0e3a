"""Shared by the readout stages: the spike-train files of vpr_train.py as input tensors [samples, time, units]
(elm-neuron's binning is not used here, so that the astrosnn stage needs only its own package)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import neurotypes as nt

BIN = 0.005  # 5-ms bins


def load(folder: Path, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Binned spikes of every enc_<kind>_*.npz file and their place labels."""
    files = sorted(folder.glob(f"enc_{kind}_*.npz"))
    labels = np.asarray(json.loads((folder / "labels.json").read_text())[kind])
    counts = [nt.SpikeTrains.load(f).bin(BIN) for f in files]
    n_bins = min(c.n_bins for c in counts)
    x = np.stack([c.counts[:, :n_bins].T for c in counts]).astype(np.float32)
    return x, labels
