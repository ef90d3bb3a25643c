"""Shared pytest configuration."""

import os

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


def pytest_configure(config):
    """With two pytest-xdist workers, two processes each run torch on two threads on the two
    cores. OpenMP's default busy-waiting then makes each of them several times slower; passive
    waiting (set before the workers start, so they and their kernels inherit it) keeps them
    about as fast together as one after the other, or faster. It changes no result."""
    workers = getattr(config.option, "numprocesses", None)
    if workers and workers != 1:
        os.environ.setdefault("OMP_WAIT_POLICY", "passive")


# pytest-xdist (`--dist loadscope`) runs each file on one worker, so each notebook's cells run
# in order in one kernel. Files go out longest first; chapters 7 and 9, which use the run that
# chapter 6 trains, go last (were they earlier, they would wait for that run:
# ganbook.train.load_or_train_default holds a lock while the run is being trained).
FIRST = ("08_gan_failures.ipynb", "06_mnist_gan.ipynb")
LAST = ("09_wasserstein_gan.ipynb", "07_evaluating_gans.ipynb")


def _order(item) -> int:
    name = item.path.name
    return FIRST.index(name) if name in FIRST else len(FIRST) + (name in LAST)


def pytest_collection_modifyitems(items):
    """The longest files first, chapter 7 last (a stable sort keeps every other order).

    Also: nbval waits only 5 s (hard-coded) for a cell's output messages after it finishes;
    a long training cell with a live progress bar can leave a longer backlog of widget
    updates, so give every notebook cell a minute."""
    for item in items:
        if hasattr(item, "output_timeout"):
            item.output_timeout = 60
    items.sort(key=_order)
