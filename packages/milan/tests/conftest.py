import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    # tiny models: one intra-op thread avoids oversubscription on a shared 2-core machine
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)
