"""Shared pytest configuration."""

import pytest
import torch
from hypothesis import settings

# Property-based tests must give the same verdict on every CI run: derandomize them.
settings.register_profile("ganbook", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("ganbook")


@pytest.fixture
def one_thread():
    """Tiny models run fastest on one thread (and do not fight other processes for cores)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def pytest_collection_modifyitems(items):
    """nbval waits only 5 s (hard-coded) for a cell's output messages after it finishes; a long
    training cell with a live progress bar can leave a longer backlog of widget updates, so give
    every notebook cell a minute."""
    for item in items:
        if hasattr(item, "output_timeout"):
            item.output_timeout = 60
