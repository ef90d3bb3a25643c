"""Files that are never left half-written."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Callable

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; concurrent first runs just both compute
    fcntl = None


def atomic_write(path, write: Callable[[BinaryIO], None]) -> Path:
    """Create ``path``'s folder, call ``write(handle)`` on ``path.partial`` and rename it to
    ``path``: a crash or an error never leaves a truncated file under the final name."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        with open(partial, "wb") as handle:
            write(handle)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


@contextmanager
def exclusive(path):
    """Hold an exclusive lock on the file ``path`` (created if missing), so that processes
    that compute the same cache one after the other: the second finds the first's result."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(handle, fcntl.LOCK_UN)
