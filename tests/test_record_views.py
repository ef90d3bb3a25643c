"""ganbook.record_views on a committed record."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from ganbook import record_views, records  # noqa: E402

RECORD = Path(__file__).resolve().parents[1] / "book" / "records" / "before_5min_seed0.npz"


def test_describe_and_compare():
    record = records.load_record(RECORD)
    best = record["best"]
    line = record_views.describe(record, best.step)
    assert line.startswith(f"step {best.step:6,}: FD {best.fd:6.1f}")
    assert f"{record['evaluations'][-1].step:6,}" in record_views.describe(record)
    with pytest.raises(ValueError, match="no evaluation at step 7"):
        record_views.describe(record, 7)
    fig = record_views.compare_records((record, "run", "C0"))
    assert len(fig.axes) == 3 and fig.axes[0].get_yscale() == "log"
    assert len(fig.axes[1].lines) == 2  # training and held-out digits
    plt.close(fig)
    with pytest.raises(ValueError, match="at least one"):
        record_views.compare_records()
