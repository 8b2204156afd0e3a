"""Homeostatic learning-rate regulation as a torch optimizer that works with any ``nn.Module`` classifier.

Needs the ``torch`` extra (``pip install homeonet[torch]``). The regulator is the same
:class:`~homeonet.regulation.HomeostaticSGD` the numpy learner uses; this module adds the look-ahead for an
arbitrary model (via :func:`torch.func.functional_call`, no parameter is mutated) and plain SGD steps.

Example
-------
>>> import torch  # doctest: +SKIP
>>> opt = TorchHomeostaticSGD(model.parameters(), eta0=0.05, mode="lrh", batch_size=10)  # doctest: +SKIP
>>> for i, (xb, yb) in enumerate(loader):  # doctest: +SKIP
...     opt.zero_grad()
...     torch.nn.functional.cross_entropy(model(xb), yb).backward()   # mean over the batch
...     opt.regulate(model, xb[:1], yb[:1], memory_x, memory_y)        # offer a decision
...     opt.step()                                                     # p -= eta * grad
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch.func import functional_call

from .regulation import HomeostaticSGD, Valence, default_valence
from .shift import LabelSwapStream

__all__ = ["TorchHomeostaticSGD", "train_torch"]


class TorchHomeostaticSGD(torch.optim.Optimizer):
    """SGD whose learning rate is a homeostatically regulated internal variable.

    Parameters
    ----------
    params : iterable of tensors or parameter groups
        The model's parameters (one group; its ``lr`` is kept equal to the regulator's ``eta``).
    eta0, delta, interval, n_memo, valence, mode, rng
        As :class:`~homeonet.regulation.HomeostaticSGD`.
    batch_size : int
        ``m``; the look-ahead simulates ``theta - (eta / m) * g`` with ``g`` the summed cross-entropy gradient
        of the offered samples, matching a step on a batch-mean loss.

    Attributes
    ----------
    regulator : HomeostaticSGD
    """

    def __init__(
        self,
        params: Iterable[torch.Tensor] | Iterable[dict[str, Any]],
        eta0: float = 0.05,
        delta: float | None = None,
        interval: int = 10,
        n_memo: int = 20,
        valence: Valence = default_valence,
        mode: str = "lrh",
        rng: np.random.Generator | int | None = 0,
        batch_size: int = 10,
    ) -> None:
        self.regulator = HomeostaticSGD(eta0, delta, interval, n_memo, valence, mode, rng)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
        self.batch_size = batch_size
        super().__init__(params, {"lr": self.regulator.eta})

    @property
    def eta(self) -> float:
        """Current learning rate."""
        return self.regulator.eta

    def _sync_lr(self) -> None:
        for g in self.param_groups:
            g["lr"] = self.regulator.eta

    @torch.no_grad()
    def _accuracy(
        self, model: torch.nn.Module, params: dict[str, torch.Tensor], x: torch.Tensor, y: torch.Tensor
    ) -> float:
        out = functional_call(model, params, (x,))
        return float((out.argmax(dim=1) == y).double().mean())

    def regulate(
        self,
        model: torch.nn.Module,
        x: torch.Tensor,
        y: torch.Tensor,
        memory_x: torch.Tensor | None = None,
        memory_y: torch.Tensor | None = None,
    ) -> bool:
        """Offer the samples ``(x, y)`` (the decision is about the last one) to the regulator.

        ``lrc``: nothing happens. ``lrr``: a coin flip. ``lrh``: the look-ahead "leave it" vs "take it" with
        the gradient of the summed cross-entropy on ``(x, y)``, scored on ``(memory_x, memory_y)``; ``eta``
        then follows the true label of the last sample. ``.grad`` fields are not touched.

        Returns
        -------
        bool
            Whether ``eta`` changed hands (the sample was taken).
        """
        reg = self.regulator
        if y.ndim != 1 or y.numel() < 1 or x.shape[0] != y.shape[0]:
            raise ValueError("x and y must hold the same positive number of samples (y 1-D)")
        true = int(y[-1])
        if reg.mode == "lrc":
            return False
        if reg.mode == "lrr":
            taken = reg.decide_lrr(true)
            self._sync_lr()
            return taken
        if memory_x is None or memory_y is None or memory_y.numel() < 1:
            raise ValueError("mode 'lrh' needs memory_x and memory_y (the recently seen samples)")
        named: dict[str, torch.Tensor] = {n: p for n, p in model.named_parameters() if p.requires_grad}
        with torch.enable_grad():
            logits = functional_call(model, named, (x,))
            loss = torch.nn.functional.cross_entropy(logits, y, reduction="sum")
            grads = torch.autograd.grad(loss, list(named.values()))
        predicted = int(logits[-1].argmax())
        accs = []
        for lr in reg.candidates(predicted):
            sim = {
                n: p.detach() - (lr / self.batch_size) * g
                for (n, p), g in zip(named.items(), grads, strict=True)
            }
            accs.append(self._accuracy(model, sim, memory_x, memory_y))
        taken = reg.decide_lrh(accs[0], accs[1], true)
        self._sync_lr()
        return taken

    @torch.no_grad()
    def step(self, closure: Any = None) -> Any:
        """Plain SGD: ``p -= eta * p.grad``."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.add_(p.grad, alpha=-group["lr"])
        return loss


def train_torch(
    model: torch.nn.Module,
    stream: LabelSwapStream,
    optimizer: TorchHomeostaticSGD,
    X_val: NDArray[np.float64],
    y_val: NDArray[np.int64],
    epochs: int,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float64,
) -> dict[str, Any]:
    """The paper's training protocol (see :mod:`homeonet.train`) for any torch classifier.

    Returns ``online_acc``, ``val_acc`` and ``eta_trace`` like :func:`homeonet.train.train`.
    """
    reg = optimizer.regulator
    reg.bind(stream.n_classes)
    m = stream.batch_size
    if optimizer.batch_size != m:
        raise ValueError(
            f"optimizer.batch_size ({optimizer.batch_size}) must equal the stream's batch_size ({m})"
        )
    Xall = torch.as_tensor(stream.X, dtype=dtype, device=device)
    Xv = torch.as_tensor(np.asarray(X_val), dtype=dtype, device=device)
    online, val, trace = np.zeros(epochs), np.zeros(epochs), []
    for e in range(epochs):
        correct = seen = 0
        for batch in stream.epoch():
            xb = Xall[torch.as_tensor(batch.idx, device=device)]
            yb = torch.as_tensor(batch.y, device=device)
            optimizer.zero_grad()
            logits = model(xb)
            loss = torch.nn.functional.cross_entropy(logits, yb, reduction="sum") / m
            loss.backward()  # type: ignore[no-untyped-call]
            correct += int((logits.argmax(dim=1) == yb).sum())
            seen += m
            for r in range(m):
                i = batch.start + r
                if not reg.is_decision_time(i):
                    continue
                memo = stream.order_[max(i - reg.n_memo, 0) : i]
                mx = Xall[torch.as_tensor(memo, device=device)]
                my = torch.as_tensor(stream.labels(memo), device=device)
                optimizer.regulate(model, xb[: r + 1], yb[: r + 1], mx, my)
            optimizer.step()
            trace.append(optimizer.eta)
        online[e] = correct / seen
        with torch.no_grad():
            pv = model(Xv).argmax(dim=1).cpu().numpy()
        val[e] = float(np.mean(pv == stream.map_labels(y_val)))
    return {"online_acc": online, "val_acc": val, "eta_trace": np.asarray(trace)}
