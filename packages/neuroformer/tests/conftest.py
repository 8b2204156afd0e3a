"""Small models and matrices run fastest on one thread, and threaded BLAS pools stall on a shared 2-core
machine: the tests use one torch thread and one BLAS thread."""

import pytest
import torch
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(1):
        yield
    torch.set_num_threads(before)
