"""The torch optimizer wrapper reproduces the numpy learner exactly (same weights, same stream, float64)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from homeonet import HomeostaticSGD, LabelSwapStream, MLPClassifier  # noqa: E402
from homeonet.data import digits  # noqa: E402
from homeonet.torch_optim import TorchHomeostaticSGD, train_torch  # noqa: E402
from homeonet.train import train  # noqa: E402


@pytest.fixture(autouse=True)
def _one_thread():
    # tiny matrices: thread hand-offs cost more than they save on a shared 2-core machine
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _torch_twin(clf: MLPClassifier) -> "torch.nn.Module":
    net = torch.nn.Sequential(
        torch.nn.Linear(64, 80),
        torch.nn.ELU(),
        torch.nn.Linear(80, 60),
        torch.nn.ELU(),
        torch.nn.Linear(60, 10),
    ).double()
    with torch.no_grad():
        for lin, W, b in zip([net[0], net[2], net[4]], clf.params_.W, clf.params_.b, strict=True):
            lin.weight.copy_(torch.from_numpy(W))
            lin.bias.copy_(torch.from_numpy(b))
    return net


@pytest.mark.parametrize("mode", ["lrh", "lrr"])
def test_torch_wrapper_matches_numpy_learner(mode):
    Xtr, ytr, Xva, yva = digits()
    Xtr, ytr = Xtr[:400], ytr[:400]
    clf = MLPClassifier(seed=3).initialize(64, 10)
    net = _torch_twin(clf)
    a = train(
        clf,
        LabelSwapStream(Xtr, ytr, swaps_per_epoch=4, rng=4),
        HomeostaticSGD(0.05, mode=mode, rng=5),
        Xva,
        yva,
        2,
    )
    opt = TorchHomeostaticSGD(net.parameters(), 0.05, mode=mode, rng=5)
    b = train_torch(net, LabelSwapStream(Xtr, ytr, swaps_per_epoch=4, rng=4), opt, Xva, yva, 2)
    np.testing.assert_array_equal(a["eta_trace"], b["eta_trace"])
    np.testing.assert_array_equal(a["online_acc"], b["online_acc"])
    np.testing.assert_array_equal(a["val_acc"], b["val_acc"])
    np.testing.assert_allclose(net[4].weight.detach().numpy(), clf.params_.W[2], atol=1e-10)
    assert len(set(a["eta_trace"].tolist())) > 1  # eta actually moved


def test_regulate_does_not_touch_parameters_or_grads():
    net = torch.nn.Linear(4, 10).double()
    opt = TorchHomeostaticSGD(net.parameters(), 0.1, mode="lrh", batch_size=1)
    opt.regulator.is_decision_time(30)
    w0 = net.weight.detach().clone()
    x = torch.randn(1, 4, dtype=torch.float64)
    mx = torch.randn(20, 4, dtype=torch.float64)
    opt.regulate(net, x, torch.tensor([7]), mx, torch.randint(0, 10, (20,)))
    assert torch.equal(net.weight, w0)
    assert net.weight.grad is None
    assert opt.param_groups[0]["lr"] == opt.eta


def test_torch_wrapper_bad_input():
    net = torch.nn.Linear(4, 10).double()
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        TorchHomeostaticSGD(net.parameters(), batch_size=0)
    with pytest.raises(ValueError, match="eta0 must be finite and > 0"):
        TorchHomeostaticSGD(net.parameters(), eta0=-1)
    opt = TorchHomeostaticSGD(net.parameters(), mode="lrh")
    with pytest.raises(ValueError, match="needs memory_x and memory_y"):
        opt.regulate(net, torch.zeros(1, 4, dtype=torch.float64), torch.tensor([1]))
    with pytest.raises(ValueError, match="same positive number of samples"):
        opt.regulate(net, torch.zeros(2, 4, dtype=torch.float64), torch.tensor([1]))
