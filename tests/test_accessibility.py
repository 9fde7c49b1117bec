"""What the explorers and static figures give assistive technology, checked in the kernel (the browser
tests check the same in JupyterLab and Notebook 7: tests/browser/)."""
import base64
import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from nnlab.views import EXPLORERS, ActivationExplorer, show  # noqa: E402
from nnlab.views.testing import other_value, valued_controls  # noqa: E402


@pytest.mark.parametrize("cls", list(EXPLORERS), ids=lambda c: c.__name__)
def test_the_shell_says_what_the_figure_shows_after_every_change(cls):
    e = cls()
    assert e.shell in e.widget.children and e.shell.description == e.describe()
    for name, control in valued_controls(e)[:4]:
        control.value = other_value(control)
        assert e.shell.description == e.describe(), name
        assert e.shell.alert == ""


def test_a_failed_change_is_announced_once_and_cleared_by_the_next_good_one():
    e = ActivationExplorer()
    dropdown = e.controls["activation"]
    dropdown.options = ["sigmoid", "tanh", "relu", "gelu"]  # offer a choice the model does not know
    dropdown.value = "gelu"  # refused, said in the caption
    assert e.shell.alert.startswith("Could not set activation to 'gelu'")
    e.controls["w"].value = 3.0
    assert e.shell.alert == "" and "w = 3" in e.shell.description


def test_show_gives_a_static_figure_its_words():
    fig, ax = plt.subplots(figsize=(4, 2), dpi=50)
    ax.plot([0, 1], [0, 1])
    out = show(fig, 'A rising line from (0, 0) to (1, 1) & "more"')
    assert fig.number not in plt.get_fignums()  # closed: the inline backend will not show it again
    bundle = out._repr_mimebundle_()
    assert bundle["text/plain"] == 'A rising line from (0, 0) to (1, 1) & "more"'
    assert 'alt="A rising line from (0, 0) to (1, 1) &amp; &quot;more&quot;"' in bundle["text/html"]
    png = base64.b64decode(bundle["image/png"])
    assert bundle["image/png"] in bundle["text/html"]
    w, h = Image.open(io.BytesIO(png)).size
    assert 150 <= w <= 210 and 60 <= h <= 110  # 4 x 2 inches at 50 dpi, trimmed to the drawing
    assert np.asarray(Image.open(io.BytesIO(png))).std() > 0


def test_show_refuses_a_figure_without_words():
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="^alt: "):
        show(fig, "  ")


def test_a_slow_setting_says_computing_before_the_model_runs():
    """The caption says "computing…" before compute starts (widget messages go out as they are set),
    then the result; a fast setting goes straight to the result."""

    class Slow(ActivationExplorer):
        def slow(self, state):
            return state["w"] > 5

        def compute(self, state):
            seen.append(("compute", self.caption.value))
            return super().compute(state)

    seen = []
    e = Slow()
    seen.clear()
    e.caption.observe(lambda change: seen.append(("caption", change["new"])), names="value")
    e.controls["w"].value = 8.0
    assert "computing…" in seen[0][1] and seen[1][0] == "compute" and "computing…" in seen[1][1]
    assert "w = 8" in seen[-1][1]
    seen.clear()
    e.controls["w"].value = 2.0
    assert not any("computing" in text for _, text in seen)


def test_deep_wide_training_says_computing_at_once():
    from nnlab.views import GradientFlowExplorer

    e = GradientFlowExplorer(depth=6, width=16)
    assert not e.slow(e.state) and not e.slow({**e.state, "train": True})  # small: no note
    assert e.slow({**e.state, "train": True, "depth": 100, "width": 256})
    assert not e.slow({**e.state, "train": False, "depth": 100, "width": 256})  # no training: fast enough
