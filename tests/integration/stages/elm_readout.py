"""elm-neuron stage: an ELM neuron trained to name the place from a spiking module's output spikes (files of
vpr_train.py); accuracy on the query traverse's spikes.

usage: elm_readout.py FOLDER STEPS SEED
"""

import sys
from pathlib import Path

import numpy as np
import torch
from _readout_data import load
from _stage import report

from elm_neuron import ELM
from elm_neuron.train import ELMClassifier, fit_classifier

folder, steps, seed = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
x_ref, y_ref = load(folder, "ref")
x_q, y_q = load(folder, "query")
classes = np.unique(y_ref)
to_class = {int(p): i for i, p in enumerate(classes)}
y_train = torch.as_tensor([to_class[int(p)] for p in y_ref])
torch.manual_seed(seed)
model = ELMClassifier(ELM(num_input=x_ref.shape[-1], num_output=classes.size, num_memory=20))
fit_classifier(model, torch.as_tensor(x_ref), y_train, steps=steps, batch_size=32, seed=seed)
with torch.no_grad():
    pred = model(torch.as_tensor(x_q)).argmax(-1).numpy()
report(accuracy=float(np.mean(classes[pred] == y_q)), n_train=len(y_ref), n_test=len(y_q))
