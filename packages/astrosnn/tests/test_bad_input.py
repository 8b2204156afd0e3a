"""Bad input gets a clear error naming the argument and the rule."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from astrosnn import AMSU, AMSUCell, AstroSNNLM, LMConfig, data, spike
from astrosnn.train import SequenceDataset, WindowDataset, fit


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"beta": 1.5}, r"beta must lie in \[0.0, 1.0\]"),
        ({"beta": -0.1}, "beta must lie"),
        ({"alpha": 1.0}, r"alpha must lie in \[0.0, 1.0\)"),
        ({"gamma": -1.0}, "gamma must lie"),
        ({"threshold": 0.0}, "threshold must lie"),
        ({"beta": float("nan")}, "beta must be finite"),
        ({"mod": "sideways"}, "mod must be one of"),
        ({"surrogate": "relu"}, "surrogate must be one of"),
        ({"astro_input": "voltage"}, "astro_input must be one of"),
    ],
)
def test_invalid_cell_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        AMSUCell(2, 3, **kwargs)


def test_invalid_types_and_shapes():
    with pytest.raises(TypeError, match="n_in must be an int"):
        AMSUCell(2.5, 3)
    with pytest.raises(ValueError, match="n_hidden must be >= 1"):
        AMSUCell(2, 0)
    with pytest.raises(TypeError, match="beta must be a real number"):
        AMSUCell(2, 3, beta="0.5")
    with pytest.raises(ValueError, match=r"x_t must have shape \[B, 2\]"):
        AMSUCell(2, 3)(torch.zeros(4, 5))
    with pytest.raises(ValueError, match=r"x must have shape \[T, B, 2\]"):
        AMSU(2, 3)(torch.zeros(4, 2))
    with pytest.raises(ValueError, match="surrogate param must be > 0"):
        spike(torch.zeros(2), "atan", -1.0)


def test_lm_rejects_bad_sequences():
    lm = AstroSNNLM(10, d_model=8, n_layers=1, max_len=16)
    with pytest.raises(ValueError, match="exceeds the model's max_len 16"):
        lm(torch.zeros(1, 17, dtype=torch.long))
    with pytest.raises(ValueError, match="exceeds the model's max_len"):
        lm.generate(torch.zeros(10, dtype=torch.long), 7)
    with pytest.raises(ValueError, match=r"tokens must lie in \[0, vocab_size=10\)"):
        lm(torch.full((1, 3), 10))
    with pytest.raises(TypeError, match="tokens must be an integer tensor"):
        lm(torch.zeros(1, 3))
    with pytest.raises(ValueError, match=r"tokens must have shape \[B, T\]"):
        lm(torch.zeros(1, 0, dtype=torch.long))
    with pytest.raises(ValueError, match="n must be >= 0"):
        lm.generate(torch.zeros(3, dtype=torch.long), -1)
    with pytest.raises(ValueError, match="temperature must lie"):
        lm.generate(torch.zeros(3, dtype=torch.long), 2, temperature=-1.0)
    with pytest.raises(ValueError, match="alpha must lie"):
        LMConfig(10, cell_kwargs={"alpha": 1.2})


def test_empty_corpora():
    with pytest.raises(ValueError, match="text must be non-empty"):
        data.CharTokenizer("")
    with pytest.raises(ValueError, match="too short for one window"):
        WindowDataset(np.array([1, 2, 3]), seq_len=8)
    with pytest.raises(ValueError, match="tokens must be 1-D"):
        WindowDataset(np.zeros((2, 20), dtype=np.int64), seq_len=4)
    with pytest.raises(ValueError, match="n_tokens must be >= 1"):
        data.markov_corpus(n_tokens=0)
    with pytest.raises(ValueError, match="target_mask must have shape"):
        SequenceDataset(np.zeros((3, 5), dtype=np.int64), np.zeros((3, 5), dtype=bool))
    with pytest.raises(ValueError, match="outside the vocabulary"):
        data.CharTokenizer("ab").encode("abc")
    with pytest.raises(ValueError, match="steps must be an int >= 1"):
        fit(AstroSNNLM(4, d_model=4, n_layers=1), WindowDataset(np.arange(20) % 4, 4), steps=0)
