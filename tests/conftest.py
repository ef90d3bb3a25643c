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


# Chapter 7 evaluates the default run that chapter 6 trains, so one pytest-xdist worker runs
# them in order; every other file is a group of its own, so that each notebook's cells run in
# order in one kernel (chapter 8 loads the default run too, and waits while it is trained:
# ganbook.train.load_or_train_default). The longest groups go first.
CHAPTER_CHAIN = ("06_mnist_gan.ipynb", "07_evaluating_gans.ipynb")
FIRST = ("08_gan_failures.ipynb", *CHAPTER_CHAIN)


def pytest_collection_modifyitems(items):
    """Group the tests for pytest-xdist (``--dist loadgroup``), the longest first.

    Also: nbval waits only 5 s (hard-coded) for a cell's output messages after it finishes;
    a long training cell with a live progress bar can leave a longer backlog of widget
    updates, so give every notebook cell a minute."""
    for item in items:
        if hasattr(item, "output_timeout"):
            item.output_timeout = 60
        in_chain = item.path.name in CHAPTER_CHAIN
        item.add_marker(pytest.mark.xdist_group("chapters-6-7" if in_chain else str(item.path)))
    items.sort(key=lambda item: FIRST.index(item.path.name) if item.path.name in FIRST
               else len(FIRST))  # a stable sort: files keep their order otherwise
