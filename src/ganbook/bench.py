"""Chapter 8 counts FLOPs with :func:`count_flops`, which lives with the benchmark in
:mod:`booktools.bench`; this name stays importable from here."""

from booktools.bench import count_flops

__all__ = ["count_flops"]
