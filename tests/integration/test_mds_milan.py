"""Pipeline 10: mds-cluster's most discriminative stimuli (MDS) clusters described in words by milan. Three stages,
two package-only environments, files between them.

A planted population of 40 cells (4 types x 10) is written by the test as plain arrays. Each type responds to one
feature that milan's shipped shapes-world describer has words for: red, green or yellow regions, or horizontal
stripes. The cells' digital twin (built by the mds-cluster stage from that file) is a CNN-style model with a fixed
core of four rectified feature maps (red = relu(R - max(G, B)), green = relu(G - max(R, B)), yellow =
relu(min(R, G) - B), stripes = relu of a vertical [-1, 2, -1] filter on the luminance) and a factorised readout
per cell: a Gaussian receptive field (sigma 6 px, centre uniform in [8, 24]^2) and feature weights (one-hot on its
type plus N(0, 0.1) on every channel), ``r = softplus(g * drive + b)``, g ~ U(6, 10), b ~ U(-2, -1).

1. milan stage: 600 shapes-world probe images (no glyphs, stripe patches in half of them), ``images`` .npz.
2. mds-cluster stage: ``MDSClustering(twin, (3, 32, 32), n_clusters_init=8, merge=True)`` (package defaults
   otherwise: Adam on the L2 sphere of radius 5, tau 1.6, split step) clusters the cells; writes the K MDS
   (neurotypes Stimulus), the cells' clusters (neurotypes Partition) and each cluster's response map on every
   probe image: relu of its members' mean per-position drive, ``activations`` [600, K, 32, 32].
3. milan stage: ``milan-neurons run cluster_maps.npz --images probe.npz`` (the shipped describer, lambda 0.2,
   beam 50, 15 exemplars, 0.99-quantile masks) describes each cluster as one unit; CSV.

MILAN describes units from their top-activating regions of natural (here: shapes-world) images, not a single
synthetic image, so "each cluster's MDS described" is the cluster the MDS was optimised for, described by the
probe regions that drive it.

Choice made before the first run, from milan's shipped describer on its own planted ground-truth units (4 probe
draws x 3 units per concept, ``milan.data.planted_activations``): it names yellow (12/12), stripes (12/12), green
(10/12) and red (10/12) units, but calls every planted blue unit "objects" (0/12), so blue is not a planted type
here (a weakness of the describer, reported to its package, not something this pipeline could test).

Expectations, stated before the first run (population and probe seeds 0 and 1):
- mds-cluster recovers the planted types: K = 4 and ARI >= 0.9 with the planted types, each seed;
- each cluster's description names the planted feature of the cluster's majority type ("red", "green",
  "yellow"; "stripes", "striped" or "lines" for stripes) and no other planted feature, each cluster of each seed;
- clusters whose majority types differ get different descriptions (each seed).

Measured on the first run (machine shared, load about 20): neither expectation holds, and the two tests that state
them are strict xfails (they turn into failures if the pipeline ever meets them):
- mds-cluster finds K = 17 (seed 0) and 19 (seed 1) clusters, ARI 0.33 / 0.26. Every cluster is pure (all its
  cells share one planted type): the split step keeps splitting each type by receptive-field position, since a
  stimulus at one place drives the cells whose fields are there and not the others of their type.
- the describer names the planted feature for 2 of 17 clusters (seed 0; both red) and 5 of 19 (seed 1: red 3/6,
  yellow 2/5, green 0/5, stripes 0/3), calls one stripes cluster "bars colored green" (seed 1) and every other
  cluster "objects", although the exemplar regions it is given are the planted feature (mean RGB of the masked
  pixels is the shapes world's red, green or yellow, or the grey of the stripes, in every cluster of seed 0).
  Clusters of different types then share the description "objects".

Second twin, added after the first run and its expectation stated before its own first run: the same cells with
full-field readouts (every cell reads its feature evenly over the whole image, so a type is one function and
location plays no part), the same seeds, stages and settings. Expectation: K = 4 and ARI >= 0.9, each cluster's
description names its planted feature and no other, and the clusters of different types get different
descriptions, each seed. Measured: the clustering part holds (K = 4, ARI 1.000 in both seeds, asserted by
``test_full_field_twin_clusters_are_the_planted_types``); the description part does not (strict xfail): all four
clusters of seed 0 are "objects", and in seed 1 three are "objects" and the stripes cluster is "bars colored green
bars", although the pixels under the exemplar masks are the cluster's planted feature. Looked at after that run
(not asserted): the masks cover only about 30 % of the feature's pixels in the exemplar images and 22-34 % of the
masked pixels have no masked neighbour. A cluster map is flat over a feature region (the feature value plus the
shapes world's pixel noise), so milan's 0.99-quantile threshold over all positions cuts each region by its pixel
noise into speckle (likely the cause: the describer's training units, ``planted_activations``, carry a random gain
per image, so there whole regions of the top images pass the threshold). Smoother response maps (spatial pooling in the cells)
would likely change this; not tried here, because that change would be made after seeing the numbers.

What holds, asserted by ``test_clusters_are_pure_and_their_exemplars_are_the_planted_feature`` (criteria set after
the first run, from what it showed; stated here as such): every cluster is pure, and in every cluster more than
half of the pixels under its exemplar masks (``milan-neurons run --exemplars``) have the cluster's planted feature
as the largest of the four feature values (computed here with numpy from the same definitions).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pytest

import neurotypes as nt

SEEDS = (0, 1)
TYPES = ("red", "green", "yellow", "stripes")
WORDS = {"red": {"red"}, "green": {"green"}, "yellow": {"yellow"}, "stripes": {"stripes", "striped", "lines"}}
PER_TYPE, SIZE, N_PROBE, STRIPE_PROB = 10, 32, 600, 0.5


def write_population(path: Path, seed: int, full_field: bool = False) -> np.ndarray:
    """The planted cells as plain arrays; returns their types. ``full_field``: every cell reads the whole image."""
    rng = np.random.default_rng(seed)
    types = np.repeat(np.arange(len(TYPES)), PER_TYPE)
    n = types.size
    features = np.eye(len(TYPES))[types] + rng.normal(0.0, 0.1, size=(n, len(TYPES)))
    centres = rng.uniform(8.0, 24.0, size=(n, 2))
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(float)
    masks = np.exp(
        -((yy[None] - centres[:, 0, None, None]) ** 2 + (xx[None] - centres[:, 1, None, None]) ** 2)
        / (2 * 6.0**2)
    )
    if full_field:
        masks = np.ones_like(masks)
    masks /= masks.sum(axis=(1, 2), keepdims=True)
    np.savez(
        path,
        features=features,
        masks=masks,
        gains=rng.uniform(6.0, 10.0, size=n),
        biases=rng.uniform(-2.0, -1.0, size=n),
    )
    return types


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def _pipeline(tmp_path_factory, make_stages, full_field: bool) -> dict:
    out = {}
    for seed in SEEDS:
        folder = tmp_path_factory.mktemp(f"mds_milan{'_full' if full_field else ''}{seed}")
        stages = make_stages(folder)
        types = write_population(folder / "population.npz", seed, full_field)
        stages.run("milan-neurons", "milan_probe.py", folder / "probe.npz", N_PROBE, 100 + seed, STRIPE_PROB)
        mds = stages.run(
            "mds-cluster",
            "mds_planted_twin.py",
            folder / "population.npz",
            folder / "probe.npz",
            seed,
            folder,
        )
        stages.run(
            "milan-neurons",
            "run_cli.py",
            "milan",
            "run",
            folder / "cluster_maps.npz",
            "--images",
            folder / "probe.npz",
            "--layer",
            "mds_clusters",
            "--threads",
            1,
            "--exemplars",
            folder / "exemplars.npz",
            "--out",
            folder / "descriptions.csv",
            "-q",
        )
        with open(folder / "descriptions.csv", newline="") as f:
            texts = [row["description"] for row in csv.DictReader(f)]
        clusters = nt.Partition.load(folder / "clusters.npz")
        labels = clusters.labels
        majority = [_majority(types, labels, k) for k in range(clusters.n_clusters)]
        purity = [float(np.mean(types[labels == k] == TYPES.index(m))) for k, m in enumerate(majority)]
        with np.load(folder / "exemplars.npz", allow_pickle=False) as ex:
            on_feature = [
                _on_feature(ex["images"][k], ex["masks"][k], TYPES.index(m)) for k, m in enumerate(majority)
            ]
        named = [bool(_words(t) & WORDS[m]) for t, m in zip(texts, majority, strict=True)]
        wrong = [
            bool(_words(t) & set().union(*(WORDS[o] for o in TYPES if o != m)))
            for t, m in zip(texts, majority, strict=True)
        ]
        out[seed] = {
            "types": types,
            "clusters": clusters,
            "mds": nt.Stimulus.load(folder / "mds.npz"),
            "texts": texts,
            "majority": majority,
            "ari": clusters.adjusted_rand_index(nt.Partition(types)),
            "purity": purity,
            "on_feature": on_feature,
            "named": named,
            "wrong": wrong,
            "report": mds,
        }
        r = out[seed]
        print(
            f"\n{'full-field' if full_field else 'receptive fields'}, seed {seed}: K = {clusters.n_clusters}, ARI {r['ari']:.3f}, purity min {min(purity):.2f}, "
            f"exemplar pixels on the planted feature min {min(on_feature):.2f}, named {sum(named)}/{len(named)}, "
            f"wrong feature {sum(wrong)}\n  {list(zip(majority, texts, strict=True))}\n  {mds}"
        )
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory, make_stages):
    return _pipeline(tmp_path_factory, make_stages, full_field=False)


@pytest.fixture(scope="module")
def runs_full(tmp_path_factory, make_stages):
    return _pipeline(tmp_path_factory, make_stages, full_field=True)


def _majority(types: np.ndarray, labels: np.ndarray, k: int) -> str:
    return TYPES[int(np.bincount(types[labels == k], minlength=len(TYPES)).argmax())]


def _features(images: np.ndarray) -> np.ndarray:
    """The twin's four planted feature maps [n, 4, H, W] of RGB images [n, 3, H, W] (numpy, same definitions)."""
    r, g, b = images[:, 0], images[:, 1], images[:, 2]
    lum = images.mean(axis=1)
    pad = np.pad(lum, ((0, 0), (1, 1), (0, 0)))
    stripes = np.maximum(2 * lum - pad[:, :-2] - pad[:, 2:], 0)
    return np.stack(
        [
            np.maximum(r - np.maximum(g, b), 0),
            np.maximum(g - np.maximum(r, b), 0),
            np.maximum(np.minimum(r, g) - b, 0),
            stripes,
        ],
        axis=1,
    )


def _on_feature(images: np.ndarray, masks: np.ndarray, feature: int) -> float:
    """Fraction of the exemplar-mask pixels whose largest planted feature is ``feature``."""
    best = _features(images).argmax(axis=1)
    return float(np.mean(best[masks.astype(bool)] == feature))


@pytest.mark.xfail(strict=True, raises=AssertionError, reason="first run: K = 17 / 19, ARI 0.33 / 0.26")
def test_stated_expectation_mds_clusters_are_the_planted_types(runs):
    for seed, r in runs.items():
        assert r["mds"].n_frames == r["clusters"].n_clusters
        assert r["mds"].frame_shape == (3, SIZE, SIZE)
        assert r["clusters"].n_clusters == len(TYPES), seed
        assert r["ari"] >= 0.9, (seed, r["ari"])


@pytest.mark.xfail(
    strict=True, raises=AssertionError, reason='first run: 2/17 and 5/19 clusters named, the rest "objects"'
)
def test_stated_expectation_each_cluster_is_described_by_its_planted_feature(runs):
    for seed, r in runs.items():
        assert len(r["texts"]) == len(r["majority"])
        assert all(r["named"]) and not any(r["wrong"]), (
            seed,
            list(zip(r["majority"], r["texts"], strict=True)),
        )
        for a in range(len(r["majority"])):
            for b in range(a + 1, len(r["majority"])):
                if r["majority"][a] != r["majority"][b]:
                    assert r["texts"][a] != r["texts"][b], (seed, r["majority"], r["texts"])


def test_clusters_are_pure_and_their_exemplars_are_the_planted_feature(runs):
    for seed, r in runs.items():
        assert r["mds"].n_frames == r["clusters"].n_clusters
        assert r["mds"].frame_shape == (3, SIZE, SIZE)
        assert len(r["texts"]) == r["clusters"].n_clusters
        assert min(r["purity"]) == 1.0, (seed, r["purity"])
        assert min(r["on_feature"]) > 0.5, (seed, r["on_feature"])


def test_full_field_twin_clusters_are_the_planted_types(runs_full):
    for seed, r in runs_full.items():
        assert r["mds"].n_frames == r["clusters"].n_clusters
        assert r["clusters"].n_clusters == len(TYPES), seed
        assert r["ari"] >= 0.9, (seed, r["ari"])


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason='first run: 0/4 clusters named in each seed ("objects"; one "bars colored green bars" for stripes)',
)
def test_stated_expectation_full_field_clusters_are_described_by_their_feature(runs_full):
    for seed, r in runs_full.items():
        assert all(r["named"]) and not any(r["wrong"]), (
            seed,
            list(zip(r["majority"], r["texts"], strict=True)),
        )
        assert len(set(r["texts"])) == len(set(r["majority"])), (seed, r["majority"], r["texts"])
