"""Property-based bad input over the public API: every draw must raise TypeError or ValueError (naming the
argument), never return a plausible result or fail deep inside torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import milan
from milan import (
    Captioner,
    LanguageModel,
    MaskedPyramidEncoder,
    Milan,
    ShapesBackbone,
    TargetCNN,
    Vocabulary,
    ablate_units,
    annotator_agreement,
    beam_search,
    bleu,
    compute_exemplars,
    exemplars_from_activations,
    inter_annotator_agreement,
    pmi_select,
    read_activations,
    read_images,
    token_f1,
)
from milan.data import annotate, concept_masks, planted_activations, shapes_world
from milan.editing import accuracy, editing_experiment
from milan.exemplars import label_units_by_iou, quantile_from_top, upsample_masks
from milan.plots import plot_bars_by_seed, plot_exemplars
from milan.reproduce import reproduce
from milan.train import (
    build_annotations,
    caption_loss,
    train_captioner,
    train_classifier,
    train_language_model,
)

SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

not_an_int = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=3),
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
)
non_positive = st.integers(max_value=0)
negative = st.integers(max_value=-1)
bad_int = st.one_of(not_an_int, non_positive)
bad_seed = st.one_of(negative, st.floats(allow_nan=True), st.text(max_size=2), st.booleans())
bad_prob = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).filter(lambda x: not 0 <= x <= 1),
    st.text(max_size=2),
    st.none(),
)
bad_float = st.one_of(st.just(float("nan")), st.just(float("inf")), st.text(max_size=2), st.none())
bad_array_value = st.sampled_from([float("nan"), float("inf"), -float("inf")])

WORLD = shapes_world(20, seed=0, glyph_prob=0.3)
ACTS = np.random.default_rng(0).random((20, 2, 4, 4)).astype(np.float32)
EX = exemplars_from_activations(ACTS, WORLD.images[:, :, :32, :32], k=3)
VOCAB = Vocabulary.from_texts(["red circles", "objects"])
CAP = Captioner(6, len(VOCAB), 4, 8, 4)
LM = LanguageModel(len(VOCAB), 4, 8)
NET = TargetCNN(width=8)


def _raises(fn, *args, **kwargs):
    with pytest.raises((TypeError, ValueError)):
        fn(*args, **kwargs)


def _with_bad_entry(arr: np.ndarray, value: float, index: int) -> np.ndarray:
    out = np.array(arr, dtype=np.float64, copy=True)
    out.flat[index % out.size] = value
    return out


@SETTINGS
@given(n=bad_int, size=st.one_of(not_an_int, st.integers(max_value=15)), p=bad_prob, which=st.integers(0, 4))
def test_shapes_world(n, size, p, which):
    if which == 0:
        _raises(shapes_world, n)
    elif which == 1:
        _raises(shapes_world, 3, size)
    elif which == 2:
        _raises(shapes_world, 3, glyph_prob=p)
    elif which == 3:
        _raises(shapes_world, 3, stripe_prob=p)
    else:
        _raises(shapes_world, 3, max_objects=4)
        _raises(shapes_world, 3, max_objects=0)


@SETTINGS
@given(
    concept=st.one_of(
        st.text(max_size=8).filter(lambda c: c not in milan.data.CONCEPTS), st.none(), st.integers()
    )
)
def test_concepts(concept):
    _raises(concept_masks, WORLD, concept)
    _raises(annotate, concept)
    _raises(planted_activations, WORLD, [concept])


@SETTINGS
@given(
    pool=st.one_of(bad_int, st.just(3), st.just(5)),
    noise=st.one_of(bad_float, st.floats(max_value=-1e-3)),
    n=bad_int,
    p=bad_prob,
)
def test_planted_and_annotate(pool, noise, n, p):
    _raises(planted_activations, WORLD, ["red"], pool=pool)
    _raises(planted_activations, WORLD, ["red"], noise=noise)
    _raises(annotate, "red", 0, n=n)
    _raises(annotate, "red", 0, p_generic=p)
    _raises(concept_masks, "not a world", "red")


@SETTINGS
@given(
    value=bad_array_value,
    index=st.integers(0, 10_000),
    k=bad_int,
    q=st.one_of(bad_float, st.floats(min_value=1.0), st.floats(max_value=-1e-6)),
)
def test_exemplars_from_activations(value, index, k, q):
    _raises(exemplars_from_activations, _with_bad_entry(ACTS, value, index), image_size=(8, 8), k=2)
    _raises(exemplars_from_activations, ACTS, image_size=(8, 8), k=k)
    _raises(exemplars_from_activations, ACTS, image_size=(8, 8), k=2, quantile=q)
    _raises(exemplars_from_activations, ACTS[0], image_size=(8, 8), k=2)  # 3-D
    _raises(exemplars_from_activations, ACTS, WORLD.images[:5], k=2)  # mismatched lengths
    _raises(exemplars_from_activations, ACTS, k=2)  # no mask size
    _raises(exemplars_from_activations, ACTS, image_size=(0, 8), k=2)


@SETTINGS
@given(
    value=bad_array_value,
    index=st.integers(0, 10_000),
    k=bad_int,
    batch=bad_int,
    layer=st.one_of(st.text(max_size=5), st.none(), st.integers()),
)
def test_compute_exemplars(value, index, k, batch, layer):
    images = WORLD.images[:10]
    _raises(compute_exemplars, NET, "features.relu3", _with_bad_entry(images, value, index), k=2)
    _raises(compute_exemplars, NET, "features.relu3", images, k=k)
    _raises(compute_exemplars, NET, "features.relu3", images, k=2, batch_size=batch)
    if layer not in {n for n, _ in NET.named_modules() if n}:
        _raises(compute_exemplars, NET, layer, images, k=2)
    _raises(compute_exemplars, NET, "features.relu3", images[:, :2], k=2)  # wrong channels
    _raises(compute_exemplars, NET, "features.relu3", images, k=2, device="tpu")
    _raises(compute_exemplars, "net", "features.relu3", images, k=2)


@SETTINGS
@given(
    units=st.one_of(
        st.lists(negative, min_size=1, max_size=3),
        st.just("0"),
        st.lists(st.floats(allow_nan=True), min_size=1, max_size=2),
        st.none(),
    )
)
def test_ablate_units(units):
    with pytest.raises((TypeError, ValueError)), ablate_units(NET, "features.relu3", units):
        pass
    with pytest.raises(ValueError), torch.no_grad(), ablate_units(NET, "features.relu3", [8]):
        NET(torch.as_tensor(WORLD.images[:2]))


@SETTINGS
@given(
    n=bad_int,
    q=st.one_of(bad_float, st.floats(min_value=1.001), st.floats(max_value=-1e-6)),
    min_iou=st.one_of(bad_float, st.floats(min_value=1.001)),
)
def test_quantile_upsample_and_labels(n, q, min_iou):
    top = torch.rand(2, 5).sort(descending=True).values
    _raises(quantile_from_top, top, n, 0.5)
    _raises(quantile_from_top, top, 5, q)
    _raises(quantile_from_top, top, 1000, 0.5)  # needs more than 5 values per row
    _raises(upsample_masks, torch.rand(2, 3, 4, 4), torch.zeros(3), (8, 8))
    _raises(upsample_masks, torch.rand(2, 3, 4, 4), torch.zeros(2), (n, 8))
    _raises(label_units_by_iou, EX, WORLD, min_iou=min_iou)
    _raises(label_units_by_iou, "ex", WORLD)


@SETTINGS
@given(n=bad_int, beam=bad_int, max_len=bad_int, lam=st.one_of(bad_float, st.floats(max_value=-1e-6)))
def test_beam_search_and_pmi(n, beam, max_len, lam):
    def step(prefix, _problem):
        return torch.log_softmax(torch.zeros(prefix.shape[0], 5), -1)

    _raises(beam_search, step, n, 2, 3, 1, 2)
    _raises(beam_search, step, 1, beam, 3, 1, 2)
    _raises(beam_search, step, 1, 2, max_len, 1, 2)
    _raises(beam_search, step, 1, 2, 3, 1, 1)  # bos == eos
    _raises(beam_search, lambda p, q: torch.full((p.shape[0], 5), float("nan")), 1, 2, 3, 1, 2)
    _raises(beam_search, "step", 1, 2, 3, 1, 2)
    a = torch.log(torch.tensor([0.5, 0.5]))
    _raises(pmi_select, a, a, lam)
    _raises(pmi_select, a, a[:1], 0.2)
    _raises(pmi_select, torch.tensor([float("nan"), -1.0]), a, 0.2)
    _raises(pmi_select, torch.tensor([0.5, -1.0]), a, 0.2)  # not a log-probability


@SETTINGS
@given(
    lam=st.one_of(bad_float, st.floats(max_value=-1e-6)),
    beam=bad_int,
    strategy=st.one_of(st.text(max_size=6), st.none()),
    value=bad_array_value,
)
def test_milan(lam, beam, strategy, value):
    _raises(Milan, CAP, LM, VOCAB, lam=lam)
    _raises(Milan, CAP, LM, VOCAB, beam=beam)
    if strategy not in ("rerank", "mi"):
        _raises(Milan, CAP, LM, VOCAB, strategy=strategy)
    _raises(Milan, "cap", LM, VOCAB)
    _raises(Milan, CAP, LanguageModel(len(VOCAB) + 1, 4, 8), VOCAB)
    m = Milan(CAP, LM, VOCAB, beam=2)
    feats = torch.randn(2, 3, 6)
    feats[0, 0, 0] = value
    _raises(m.describe_features, feats)
    _raises(m.describe_features, torch.randn(2, 3, 7))
    _raises(m.describe, EX)  # no encoder


@SETTINGS
@given(
    size=bad_int,
    dim=bad_int,
    dropout=st.one_of(bad_float, st.floats(min_value=1.001), st.floats(max_value=-1e-6)),
)
def test_model_constructors(size, dim, dropout):
    _raises(Captioner, dim, 10)
    _raises(Captioner, 6, size)
    _raises(Captioner, 6, 10, dropout=dropout)
    _raises(LanguageModel, size)
    _raises(LanguageModel, 10, hidden_dim=dim)
    _raises(LanguageModel, 10, dropout=dropout)
    _raises(ShapesBackbone, width=dim)
    _raises(TargetCNN, width=dim)
    _raises(MaskedPyramidEncoder, ShapesBackbone(width=4), [])
    _raises(MaskedPyramidEncoder, ShapesBackbone(width=4), ["nope"])
    _raises(Vocabulary, "red circles")
    _raises(Vocabulary, ["two words"])


@SETTINGS
@given(
    hyps=st.one_of(st.text(max_size=5), st.lists(st.integers(), min_size=1, max_size=2), st.just([])),
    max_order=bad_int,
)
def test_metrics(hyps, max_order):
    _raises(bleu, hyps, [["a"]])
    _raises(token_f1, hyps, [["a"]])
    _raises(bleu, ["a"], [["a"]], max_order=max_order)
    _raises(bleu, ["a", "b"], [["a"]])
    _raises(bleu, ["a"], [[]])
    _raises(inter_annotator_agreement, [["a"]])
    _raises(annotator_agreement, ["a"], [["a", "b"], ["c", "d"]])


@SETTINGS
@given(epochs=bad_int, lr=st.one_of(bad_float, st.floats(max_value=0.0)), value=bad_array_value)
def test_training(epochs, lr, value):
    feats = torch.randn(4, 3, 6)
    desc = [["red circles"]] * 4
    _raises(train_captioner, feats, desc, VOCAB, epochs=epochs)
    _raises(train_captioner, feats, desc, VOCAB, lr=lr)
    bad = feats.clone()
    bad[1, 1, 1] = value
    _raises(train_captioner, bad, desc, VOCAB, epochs=1)
    _raises(train_captioner, feats, desc[:3], VOCAB, epochs=1)
    _raises(train_captioner, feats, [[""]] * 4, VOCAB, epochs=1)
    _raises(train_language_model, [], VOCAB)
    _raises(train_language_model, ["red"], VOCAB, epochs=epochs)
    _raises(train_classifier, NET, _with_bad_entry(WORLD.images[:4], value, 7), np.zeros(4, int), epochs=1)
    _raises(train_classifier, NET, WORLD.images[:4], np.array([0, 1, -1, 0]), epochs=1)
    _raises(train_classifier, NET, WORLD.images[:4], np.zeros(3, int), epochs=1)
    _raises(build_annotations, WORLD, 0)
    _raises(caption_loss, torch.randn(2, 3, 5), torch.rand(2, 3, 4), torch.zeros(2, 4, dtype=torch.long))


@SETTINGS
@given(n=bad_int, value=bad_array_value)
def test_editing_plots_and_reproduce(n, value, tmp_path):
    _raises(accuracy, NET, _with_bad_entry(WORLD.images, value, 11), WORLD.labels)
    _raises(accuracy, NET, WORLD.images, WORLD.labels[:3])
    _raises(accuracy, NET, WORLD.images, WORLD.labels, batch_size=n)
    _raises(editing_experiment, "milan")
    _raises(editing_experiment, Milan(CAP, LM, VOCAB), epochs=n)
    _raises(plot_exemplars, WORLD.images[:3], WORLD.glyph_mask[:2])
    _raises(plot_bars_by_seed, {})
    _raises(reproduce, tmp_path, quick="yes")
    _raises(reproduce, tmp_path, seed=-1)
    _raises(reproduce, tmp_path, threads=0)
    _raises(reproduce, tmp_path, threads="2")
    _raises(reproduce, tmp_path, device="tpu")


def test_files(tmp_path):
    (tmp_path / "x.npz").write_bytes(b"\x00 not a zip")
    for fn in (read_activations, read_images, Milan.load, milan.Exemplars.load):
        _raises(fn, tmp_path / "x.npz")
        with pytest.raises(FileNotFoundError):
            fn(tmp_path / "missing.npz")
    (tmp_path / "x.csv").write_text("1,2\n")
    _raises(read_activations, tmp_path / "x.csv")
    _raises(read_images, tmp_path / "x.csv")
    _raises(read_images, tmp_path)  # a folder without images
