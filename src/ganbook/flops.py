"""Counting compute: the floating-point operations of the matrix products a function runs.

The book compares methods at equal compute (chapter 8: a GAN step against a VAE step;
chapter 9: WGAN-GP rounds against vanilla steps; the benchmark: achieved GFLOP/s), and
counts compute the one way :func:`count_flops` does.
"""

from __future__ import annotations


def count_flops(fn, *args, **kwargs) -> int:
    """The floating-point operations of the matrix products (and convolutions) that
    ``fn(*args, **kwargs)`` runs, forward and backward passes included (double backward too),
    as ``torch.utils.flop_counter`` counts them: ``2 m n k`` for an ``(m, k) x (k, n)``
    product; element-wise work is not counted."""
    from torch.utils.flop_counter import FlopCounterMode

    if not callable(fn):
        raise ValueError(f"count_flops needs a callable, got {type(fn).__name__}")
    counter = FlopCounterMode(display=False)
    with counter:
        fn(*args, **kwargs)
    return int(counter.get_total_flops())
