"""The fast renderer only where it can be trusted, and nothing of it in a student's own figures.

- A matplotlib without one of the private names the fast path calls (or whose test figure comes out other
  than stock matplotlib draws it) gets the public path: every explorer still works, and it says why, once.
- No matplotlib class is patched for the whole process: a student's own pyplot figure, drawn after importing
  every view and rendering every explorer, is pixel for pixel the figure of a process without nnlab.
"""
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

from nnlab.views import EXPLORERS, fastpath
from nnlab.views.plain import PlainRenderer

STUDENT_FIGURE = """
import io, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
fig, ax = plt.subplots(figsize=(4, 3), dpi=80, layout="constrained")
x = np.linspace(0, 6, 200)
ax.plot(x, np.sin(x), label="sin x")
ax.set(title="my own figure", xlabel="x (seconds)", ylabel="value")
ax.text(1, 0.5, "a note,\\nin two lines", rotation=20, ha="left")
ax.legend()
buffer = io.BytesIO()
fig.savefig(buffer, format="rgba")
sys.stdout.buffer.write(buffer.getvalue())
"""

WITH_NNLAB = """
from matplotlib.text import Text
original = Text._get_layout
from nnlab.views import EXPLORERS
for cls in EXPLORERS:
    e = cls()
    e.render_png()
assert Text._get_layout is original, "a matplotlib class is patched after the explorers drew"
"""


def test_a_students_own_figure_is_drawn_as_without_nnlab():
    def run(code):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=300)
        assert out.returncode == 0, out.stderr.decode()[-2000:]
        return out.stdout

    plain = run(STUDENT_FIGURE)
    after = run(textwrap.dedent(WITH_NNLAB) + STUDENT_FIGURE)
    assert len(plain) == 320 * 240 * 4 and plain == after


@pytest.fixture
def recheck(monkeypatch):
    """``fastpath`` checks again (its answer is kept per process), and is put back afterwards."""
    monkeypatch.setattr(fastpath, "_checked", [])
    monkeypatch.delenv("NNLAB_RENDERER", raising=False)
    return monkeypatch


def test_a_missing_private_name_gives_the_public_path_and_says_why(recheck):
    recheck.setattr(fastpath, "PRIVATE", fastpath.PRIVATE + [("matplotlib.axis", "Axis._a_name_from_the_future")])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        e = EXPLORERS and next(iter(EXPLORERS))()
    assert isinstance(e.renderer, PlainRenderer)
    assert any("Axis._a_name_from_the_future" in str(w.message) for w in caught), [str(w.message) for w in caught]
    control = next(c for n, c in e.controls.items() if hasattr(c, "min") and n in e.state)
    before = e.image.value
    control.value = control.max
    assert e.image.value != before and not e.errors


def test_a_fast_frame_unlike_matplotlibs_gives_the_public_path(recheck):
    from nnlab.views.fastpath import render

    real = render.Renderer._draw_blitted
    recheck.setattr(render.Renderer, "_draw_blitted", lambda self: None)  # the blitted line never drawn
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        why = fastpath.why_plain()
    assert why and "differs from matplotlib's" in why, why
    recheck.setattr(render.Renderer, "_draw_blitted", real)


def test_the_public_path_can_be_forced(recheck):
    recheck.setenv("NNLAB_RENDERER", "plain")
    assert fastpath.why_plain() == "NNLAB_RENDERER=plain"
    e = next(iter(EXPLORERS))()
    assert isinstance(e.renderer, PlainRenderer)
    assert np.asarray(e.image.value[:8]).tobytes() == b"\x89PNG\r\n\x1a\n"
