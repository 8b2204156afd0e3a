"""Small networks used by the reproduction: an MLP and a CNN for 8x8 digits, with ``nn.ReLU`` modules."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch
from torch import nn

from neurotypes.validation import check_int, check_seed

__all__ = ["MLP", "SmallCNN"]


class MLP(nn.Sequential):
    """Fully connected ReLU network ``sizes[0] - sizes[1] - ... - sizes[-1]`` (no ReLU after the output).

    The independent prototype of the spec uses ``MLP((64, 128, 128, 10))``. Weights use PyTorch's default
    initialisation, seeded by ``seed``.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, input first; at least two entries, all positive.
    seed : int, optional
        Seed for the initial weights (a private generator; the global RNG is untouched).
    """

    def __init__(self, sizes: Sequence[int] = (64, 128, 128, 10), seed: int | None = 0) -> None:
        if isinstance(sizes, str) or not isinstance(sizes, Sequence):
            raise TypeError(f"sizes must be a sequence of layer widths, got {type(sizes).__name__}")
        sizes = tuple(check_int(f"sizes[{i}]", s, minimum=1) for i, s in enumerate(sizes))
        if len(sizes) < 2:
            raise ValueError(f"sizes must hold at least two widths (input and output), got {sizes}")
        if seed is not None:
            seed = check_seed("seed", seed)
        layers: list[nn.Module] = []
        with _seeded(seed):
            for i, (a, b) in enumerate(itertools.pairwise(sizes)):
                layers.append(nn.Linear(a, b))
                if i < len(sizes) - 2:
                    layers.append(nn.ReLU())
        super().__init__(*layers)
        self.sizes = sizes

    def unit_map(self) -> dict[str, str]:
        """``{relu module name: name of the Linear layer feeding it}`` (for structural-death accounting)."""
        return {str(2 * i + 1): str(2 * i) for i in range(len(self.sizes) - 2)}


class SmallCNN(nn.Module):
    """Two 3x3 convolutions (16, 32 channels, ReLU), 2x2 max-pooling and a linear read-out, for 1x8x8 digits.

    Parameters
    ----------
    n_classes : int
        Number of outputs.
    in_channels : int
        Input channels.
    seed : int, optional
        Seed for the initial weights.
    """

    def __init__(self, n_classes: int = 10, in_channels: int = 1, seed: int | None = 0) -> None:
        super().__init__()
        n_classes = check_int("n_classes", n_classes, minimum=1)
        in_channels = check_int("in_channels", in_channels, minimum=1)
        if seed is not None:
            seed = check_seed("seed", seed)
        with _seeded(seed):
            self.conv1 = nn.Conv2d(in_channels, 16, 3, padding=1)
            self.relu1 = nn.ReLU()
            self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
            self.relu2 = nn.ReLU()
            self.pool = nn.AdaptiveMaxPool2d(4)
            self.fc = nn.Linear(32 * 16, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits for a batch ``[B, C, H, W]``."""
        h = self.relu2(self.conv2(self.relu1(self.conv1(x))))
        out: torch.Tensor = self.fc(torch.flatten(self.pool(h), 1))
        return out

    def unit_map(self) -> dict[str, str]:
        """``{relu module name: conv layer feeding it}``."""
        return {"relu1": "conv1", "relu2": "conv2"}


@contextmanager
def _seeded(seed: int | None) -> Iterator[None]:
    """Fork the torch RNG and seed it, so module init is reproducible without touching the global state."""
    if seed is None:
        yield
        return
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        yield
