"""Tests of ganbook.plotting.animation_html: an animation as a self-contained HTML player."""

from __future__ import annotations

import base64
import re

import pytest
from matplotlib import animation
from matplotlib.figure import Figure  # no pyplot: leaves the session's backend alone

from ganbook.plotting import animation_html

FRAME_RE = re.compile(r'frames\[(\d+)\] = "data:image/png;base64,([^"]*)"')
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _animation(frames: int = 3, size=(2.0, 1.5), dpi: int = 40):
    fig = Figure(figsize=size, dpi=dpi)
    ax = fig.subplots()
    (line,) = ax.plot([0, 1], [0, 0])
    ax.set_ylim(0, frames)

    def draw(i):
        line.set_ydata([i, i])
        return (line,)

    return animation.FuncAnimation(fig, draw, frames=frames, interval=100)


def test_no_remote_address_and_every_frame_embedded():
    html = animation_html(_animation(frames=3))
    assert not re.search(r"https?://", html, re.IGNORECASE)
    assert "font-awesome" not in html
    frames = FRAME_RE.findall(html)
    assert [int(i) for i, _ in frames] == [0, 1, 2]
    for _, data in frames:  # each frame is a real PNG image, inlined
        assert base64.b64decode(data.replace("\\\n", "")).startswith(PNG_SIGNATURE)
    # The player itself is still there: its script and its buttons.
    assert "new Animation(" in html and 'class="fa fa-play"' in html


def test_removes_what_matplotlib_links_from_a_cdn():
    raw = _animation(frames=2).to_jshtml()
    if not re.search(r"https?://", raw):
        pytest.skip("this matplotlib's player links nothing remotely")
    html = animation_html(_animation(frames=2))
    assert not re.search(r"https?://", html)
    # Only the link was removed: the rest of the markup is matplotlib's.
    assert html.count("<script") == raw.count("<script")


def test_default_mode_is_passed_on():
    html = animation_html(_animation(frames=2), default_mode="loop")
    assert re.search(r'value="loop"[^>]*checked', html)


def test_frames_over_the_limit_are_an_error_not_dropped():
    big = _animation(frames=4, size=(6.0, 4.0), dpi=100)
    with pytest.raises(ValueError, match="some would be dropped"):
        animation_html(big, embed_limit_mb=0.01)
    assert animation_html(big, embed_limit_mb=5.0).count("data:image/png") == 4


@pytest.mark.parametrize("bad", [0, -1.0, float("nan")])
def test_bad_limit(bad):
    anim = _animation()
    with pytest.raises(ValueError, match="embed_limit_mb"):
        animation_html(anim, embed_limit_mb=bad)
    assert animation_html(anim).count("data:image/png") == 3


def test_not_an_animation():
    with pytest.raises(ValueError, match="Animation"):
        animation_html("<html></html>")
