import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    # tiny networks: one intra-op thread is fastest and robust on a loaded 2-core machine
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)
