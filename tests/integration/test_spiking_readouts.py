"""Pipeline 3: snn-vpr's encoded place images as SpikeTrains, read out by elm-neuron and by astrosnn AM-SUs.

snn-vpr turns each patch-normalised place image into Poisson spike trains (one unit per pixel). The same
``neurotypes.SpikeTrains`` are binned by elm-neuron's ``to_raster`` and classified by an ELM neuron and by a layer
of astrosnn's astrocyte-modulated spiking units with a linear readout, both trained on the two reference
traverses; snn-vpr's own Diehl & Cook module with neuron-assignment readout is the comparison. Settings were fixed
before the first run; chance is 1/10.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

import neurotypes as nt
from astrosnn import AMSU
from elm_neuron import ELM
from elm_neuron.data import to_raster
from elm_neuron.train import ELMClassifier, fit_classifier
from snn_vpr import DiehlCookParams, ModularSNN, synthetic_traverses
from snn_vpr.encode import poisson_rates, poisson_spike_trains
from snn_vpr.metrics import recall_at_n
from snn_vpr.preprocess import process_images

PLACES, DURATION, BIN = 10, 0.1, 0.005


def _encode(images: np.ndarray, draws: int, seed: int) -> tuple[list[nt.SpikeTrains], int]:
    rng = np.random.default_rng(seed)
    trains = [
        poisson_spike_trains(poisson_rates(img), DURATION, seed=rng) for img in images for _ in range(draws)
    ]
    return trains, draws


class AstroReadout(nn.Module):
    def __init__(self, n_in: int, n_hidden: int = 64, n_out: int = PLACES) -> None:
        super().__init__()
        self.amsu = AMSU(n_in, n_hidden, mod="gain")
        self.readout = nn.Linear(n_hidden, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x [B, T, n_in]
        spikes, _ = self.amsu(x.transpose(0, 1))
        return self.readout(spikes.mean(dim=0))


def test_spiking_readouts_of_snn_vpr_encodings():
    torch.manual_seed(0)
    data = synthetic_traverses(PLACES, 64, seed=1)
    ref, query = data.select("ref_a", "ref_b"), data.select("query")
    x_ref, x_q = process_images(ref.images), process_images(query.images)
    train_trains, k = _encode(x_ref, draws=8, seed=0)
    test_trains, k_q = _encode(x_q, draws=4, seed=1)
    assert isinstance(train_trains[0], nt.SpikeTrains) and train_trains[0].n_units == 28 * 28
    y_train = np.repeat(np.asarray(ref.place_id), k)
    y_test = np.repeat(np.asarray(query.place_id), k_q)
    n_bins = round(DURATION / BIN)
    r_train = to_raster(train_trains, BIN, n_bins=n_bins)
    r_test = to_raster(test_trains, BIN, n_bins=n_bins)

    elm = ELMClassifier(ELM(num_input=28 * 28, num_output=PLACES, num_memory=20))
    fit_classifier(elm, r_train, torch.as_tensor(y_train), steps=150, batch_size=32, seed=0)
    with torch.no_grad():
        elm_acc = float((elm(r_test).argmax(-1).numpy() == y_test).mean())

    astro = AstroReadout(28 * 28)
    opt = torch.optim.Adam(astro.parameters(), lr=1e-2)
    gen = torch.Generator().manual_seed(0)
    for _ in range(150):
        idx = torch.randint(0, len(y_train), (32,), generator=gen)
        loss = nn.functional.cross_entropy(astro(r_train[idx]), torch.as_tensor(y_train)[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        astro_acc = float((astro(r_test).argmax(-1).numpy() == y_test).mean())

    snn = ModularSNN(PLACES, 50, 1, DiehlCookParams(t_present=100.0), seed=0).fit(x_ref, ref.place_id)
    scores = snn.predict_scores(x_q)
    snn_r1 = recall_at_n(scores, snn.place_index(query.place_id), ns=(1,))[1]

    print(
        f"\nR@1 / accuracy: elm-neuron {elm_acc:.3f}, astrosnn {astro_acc:.3f}, snn-vpr assignment {snn_r1:.3f}"
    )
    assert elm_acc >= 0.3  # at least 3x chance
    assert astro_acc >= 0.3
    assert max(elm_acc, astro_acc) >= snn_r1
