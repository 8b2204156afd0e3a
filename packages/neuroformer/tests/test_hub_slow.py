"""Spec test 8: connectivity from attention on a longer hub simulation (slow, a few minutes)."""

from __future__ import annotations

import pytest
import torch

from neuroformer.reproduce import _claim_hub, _settings


@pytest.mark.slow
def test_hub_connectivity_from_attention(tmp_path):
    s = _settings(quick=True)
    s.update(hub_duration=240.0, hub_epochs=3, n_generate=5)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        claims, _ = _claim_hub(tmp_path, s)
    finally:
        torch.set_num_threads(threads)
    m = claims[1].measured
    assert isinstance(m, dict)
    assert m["auroc"] >= 0.85
    assert m["direction_accuracy"] >= 0.8
    assert m["shuffled_control_auroc"] <= 0.6
