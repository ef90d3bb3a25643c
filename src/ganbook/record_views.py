"""Reading run records (:mod:`ganbook.records`) in chapter 8 and the reproducibility appendix:
a one-line description of an evaluation, and the three curves that show memorisation
(held-out Fréchet distance, the discriminator on training and held-out digits, the rarest
digit class) for several records side by side."""

from __future__ import annotations

import numpy as np


def _evaluation(record: dict, step: int | None):
    evaluations = record["evaluations"]
    if step is None:
        return evaluations[-1]
    for e in evaluations:
        if e.step == step:
            return e
    raise ValueError(f"the record has no evaluation at step {step}; it has "
                     f"{[e.step for e in evaluations]}")


def describe(record: dict, step: int | None = None) -> str:
    """The evaluation of ``record`` at ``step`` (default: the last) in one line: Fréchet
    distance, most and least frequent digit class, confidence, and the discriminator's
    mean output on training and on held-out digits."""
    e = _evaluation(record, step)
    top, rare = int(np.argmax(e.class_fractions)), int(np.argmin(e.class_fractions))
    return (f"step {e.step:6,}: FD {e.fd:6.1f}, "
            f"digit {top} {100 * e.class_fractions[top]:.0f}%, "
            f"digit {rare} {100 * e.class_fractions[rare]:.1f}%, "
            f"confidence {e.confidence:.3f}, "
            f"D on training / held-out digits {e.d_train:.2f} / {e.d_held_out:.2f}")


def compare_records(*runs, figsize=(13, 3.8)):
    """Held-out FD (log scale), D on training (solid) and held-out (dashed) digits, and the
    rarest class against steps, for ``(record, label, colour)`` triples. Returns the figure."""
    import matplotlib.pyplot as plt

    if not runs:
        raise ValueError("compare_records needs at least one (record, label, colour) triple")
    fig, (ax_fd, ax_d, ax_class) = plt.subplots(1, 3, figsize=figsize, layout="constrained")
    for record, label, color in runs:
        evals = record["evaluations"]
        steps = [e.step for e in evals]
        ax_fd.plot(steps, [e.fd for e in evals], "o-", ms=2, color=color, label=label)
        ax_d.plot(steps, [e.d_train for e in evals], "-", color=color,
                  label=f"{label}: training digits")
        ax_d.plot(steps, [e.d_held_out for e in evals], "--", color=color,
                  label=f"{label}: held-out digits")
        ax_class.plot(steps, [100 * e.smallest_class for e in evals], "o-", ms=2,
                      color=color, label=label)
    ax_fd.set(yscale="log", xlabel="step", ylabel="held-out FD (log scale)",
              title="Fréchet distance to test digits")
    ax_d.set(xlabel="step", ylabel="mean D(x)", title="Discriminator on real digits")
    ax_class.set(xlabel="step", ylabel="share of generated digits (%)", ylim=(0, 10.5),
                 title="Rarest digit class")
    ax_class.axhline(10, color="gray", ls=":", lw=1, label="fair share")
    for ax in (ax_fd, ax_d, ax_class):
        ax.legend(fontsize=7)
    return fig
