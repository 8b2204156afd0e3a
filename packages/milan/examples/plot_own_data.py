"""
Your own images and activations
===============================

Describe the units of *your* model on *your* probe images. Two routes:

* in Python, give :func:`milan.compute_exemplars` any ``torch.nn.Module``, the name of a layer and the images;
* from any framework, save the layer's activation maps for the probe images to an ``.npz`` file and run
  ``milan-neurons run activations.npz --images FOLDER --describer describer.npz``.

Probe images come as a folder of PNG/JPEG files (read in name order) or an ``.npz`` array. A trained describer is
saved as one ``.npz`` file (arrays plus JSON metadata, no pickle) and loaded back anywhere.
"""

# %%
# A folder of PNG images (here written from the shapes world; use your own folder instead).
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from milan import Milan, TargetCNN, read_images, shapes_world
from milan.cli import main

work = Path(tempfile.mkdtemp())
folder = work / "probe"
folder.mkdir()
for i, image in enumerate(shapes_world(300, seed=5, glyph_prob=0.2).images):
    pixels = np.round(image.transpose(1, 2, 0) * 255).astype(np.uint8)
    Image.fromarray(pixels).save(folder / f"image_{i:04d}.png")
images = read_images(folder)  # float32 [N, 3, H, W] in [0, 1]
print(images.shape)

# %%
# A describer: the one that ships with the package, saved to a file and read back as a user's own trained
# describer would be (``milan-neurons fit --out describer.npz`` trains one).
path = Milan.pretrained().save(work / "describer.npz")
describer = Milan.load(path)

# %%
# Route 1, in Python: your model, a layer name, the images.
from milan import compute_exemplars  # noqa: E402

torch.manual_seed(0)
model = TargetCNN().eval()  # your torch.nn.Module (untrained here: its units respond to colours and edges)
exemplars = compute_exemplars(model, "features.relu2", images, k=15)
print(describer.describe(exemplars).texts[:8])
exemplars.save(work / "exemplars.npz")  # top-k ids, thresholds, masks and images as plain arrays

# %%
# Route 2, from any framework: the layer's activations [N, units, h, w] in an ``.npz`` file, then the command
# line (here called in-process), which writes one description per unit as CSV.
with torch.no_grad():
    activations = model.features[:5](torch.from_numpy(images)).numpy()  # the output of features.relu2
np.savez(work / "relu2.npz", activations=activations)
main(
    [
        "run",
        str(work / "relu2.npz"),
        "--images",
        str(folder),
        "--describer",
        str(path),
        "--layer",
        "relu2",
        "--out",
        str(work / "descriptions.csv"),
        "--quiet",
    ]
)
print((work / "descriptions.csv").read_text().splitlines()[:4])
