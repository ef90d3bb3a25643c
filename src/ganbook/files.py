"""Files that are never left half-written."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Callable


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
