"""astrosnn stage: a layer of astrocyte-modulated spiking units (AM-SU) with a linear readout of their mean
output, trained to name the place from a spiking module's output spikes (files of vpr_train.py); accuracy on the
query traverse's spikes.

usage: astro_readout.py FOLDER STEPS SEED
"""

import sys
from pathlib import Path

import numpy as np
import torch
from _readout_data import load
from _stage import report
from torch import nn

from astrosnn import AMSU

folder, steps, seed = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
x_ref, y_ref = load(folder, "ref")
x_q, y_q = load(folder, "query")
classes = np.unique(y_ref)
to_class = {int(p): i for i, p in enumerate(classes)}
y_train = torch.as_tensor([to_class[int(p)] for p in y_ref])


class Readout(nn.Module):
    def __init__(self, n_in: int, n_out: int, n_hidden: int = 64) -> None:
        super().__init__()
        self.amsu = AMSU(n_in, n_hidden, mod="gain")
        self.linear = nn.Linear(n_hidden, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x [B, T, n_in]
        spikes, _ = self.amsu(x.transpose(0, 1))
        return self.linear(spikes.mean(dim=0))


torch.manual_seed(seed)
model = Readout(x_ref.shape[-1], classes.size)
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
gen = torch.Generator().manual_seed(seed)
xr = torch.as_tensor(x_ref)
for _ in range(steps):
    idx = torch.randint(0, len(y_train), (32,), generator=gen)
    loss = nn.functional.cross_entropy(model(xr[idx]), y_train[idx])
    opt.zero_grad()
    loss.backward()
    opt.step()
with torch.no_grad():
    pred = model(torch.as_tensor(x_q)).argmax(-1).numpy()
report(accuracy=float(np.mean(classes[pred] == y_q)), n_train=len(y_ref), n_test=len(y_q))
