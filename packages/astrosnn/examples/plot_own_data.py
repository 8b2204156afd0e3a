"""
Use it on your own data: a text file in, a model file and NWB spike trains out
==============================================================================

Train a character-level AstroSNN on a plain UTF-8 text file (here a slice of the Python documentation written
to disk; a local WikiText, PTB or enwik8 raw file works the same way), save it as a safe model file (arrays and
JSON metadata, no pickle), read it back, score new text, and write the first layer's AM-SU spikes as an NWB
Units table that pynwb and other NWB tools read (a neurotypes ``.npz`` when pynwb is not installed).

The same steps from a shell::

    astrosnn fit corpus.txt --out model.npz --steps 300
    astrosnn run model.npz new_text.txt --out spikes.nwb
"""

# %%
# Your corpus: any UTF-8 text file.
import tempfile
from pathlib import Path

import torch

import neurotypes
from astrosnn import AstroSNNLM, LMConfig, data, load_model, save_model, to_spike_trains
from astrosnn.train import WindowDataset, evaluate, fit

torch.set_num_threads(1)
folder = Path(tempfile.mkdtemp())
corpus = folder / "corpus.txt"
corpus.write_text(data.pydoc_corpus()[:30_000], encoding="utf-8")

# %%
# Read, tokenise, train briefly, save.
text = data.load_text_file(corpus)
tok = data.CharTokenizer(text)
ids = tok.encode(text)
split = int(0.9 * len(ids))
model = AstroSNNLM(LMConfig(tok.vocab_size, d_model=32, n_layers=1), seed=0)
fit(model, WindowDataset(ids[:split], 32), steps=30, batch_size=32, seed=0)
path = save_model(model, folder / "model.npz", tokenizer=tok)
print(f"held-out loss {evaluate(model, WindowDataset(ids[split:], 32))[0]:.3f} nats/char; saved {path.name}")

# %%
# Load the model (nothing is unpickled) and record its first layer's spikes over new text.
model, tok = load_model(path)
new = tok.encode(text[-1_000:])
spikes = model.layer_spikes(torch.as_tensor(new[None, :]))[0]
trains = to_spike_trains(spikes, dt=1e-3)
try:
    import pynwb  # noqa: F401

    out = trains.to_nwb(folder / "spikes.nwb", description="AstroSNN layer-0 AM-SU spikes", overwrite=True)
except ImportError:
    out = trains.save(folder / "spikes.npz")
back = neurotypes.io.read_spike_trains(out)
print(f"{back.times.size} spikes of {back.n_units} units read back from {out.name}")
