"""The reference's pretrained NeuronIO neurons, shipped with the package (MIT; see ``checkpoints/LICENSE``).

Fifteen Branch-ELM (version 1 equations) neurons fitted to NeuronIO by Spieler et al.: ``num_memory`` 1 ... 100
(ReLU) and ``"best"`` (``d_m = 100``, SiLU, 100 epochs). Copied unchanged from AaronSpieler/elmneuron (commit
52e68a6); provenance in ``checkpoints/SOURCE.md``.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import torch

from .model import ELM

__all__ = ["PRETRAINED_SIZES", "pretrained", "pretrained_info"]

#: Memory sizes ``d_m`` of the shipped NeuronIO neurons (plus ``"best"``).
PRETRAINED_SIZES: tuple[int, ...] = (1, 2, 3, 5, 7, 10, 15, 20, 25, 30, 40, 50, 75, 100)


def _folder(num_memory: int | str) -> Any:
    if num_memory == "best":
        name = "best_elm_neuron"
    elif isinstance(num_memory, int) and not isinstance(num_memory, bool) and num_memory in PRETRAINED_SIZES:
        name = f"num_memory_{num_memory}"
    else:
        raise ValueError(f"num_memory must be one of {PRETRAINED_SIZES} or 'best', got {num_memory!r}")
    return resources.files("elm_neuron").joinpath("checkpoints", name)


def pretrained_info(num_memory: int | str = 10) -> dict[str, Any]:
    """Configuration, training settings, parameter count and NeuronIO results of a shipped neuron.

    Returns
    -------
    dict
        ``{"model_config", "train_config", "model_stats", "eval_results"}`` as stored by the reference
        (``model_stats`` is absent for ``"best"``, whose count is the ``d_m = 100`` one).
    """
    folder = _folder(num_memory)
    out: dict[str, Any] = {}
    for key in ("model_config", "train_config", "model_stats", "eval_results"):
        item = folder.joinpath(f"{key}.json")
        if item.is_file():
            out[key] = json.loads(item.read_text())
    return out


def pretrained(
    task: str = "neuronio",
    num_memory: int | str = 10,
    device: torch.device | str = "cpu",
    require_binary_input: bool = True,
) -> ELM:
    """A pretrained ELM neuron, in eval mode, expecting binary input spikes ``[B, T, 1278]`` at 1 ms.

    Parameters
    ----------
    task
        Only ``"neuronio"`` is shipped.
    num_memory
        One of :data:`PRETRAINED_SIZES` or ``"best"``.
    device
        Where to put the neuron.
    require_binary_input
        Reject inputs other than 0/1 spikes (NeuronIO inputs are spikes); ``False`` accepts any finite input,
        like the reference.

    Returns
    -------
    ELM
        Output 0 is the spike logit (``sigmoid`` gives the probability), output 1 the soma voltage in units of
        10 mV above -67.7 mV; :meth:`ELM.neuronio_eval_forward` applies both conversions.

    Examples
    --------
    >>> import elm_neuron
    >>> neuron = elm_neuron.pretrained("neuronio", num_memory=10)
    >>> neuron.num_trainable_parameters()
    5852
    """
    if task != "neuronio":
        raise ValueError(f"task must be 'neuronio' (the only shipped pretrained neurons), got {task!r}")
    folder = _folder(num_memory)
    config = json.loads(folder.joinpath("model_config.json").read_text())
    model = ELM.from_reference_config(config, version=1, require_binary_input=require_binary_input)
    with resources.as_file(folder.joinpath("neuronio_best_model_state.pt")) as path:
        state = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(state, strict=True)
    return model.to(device).eval()
