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
    assert e.flow_is_slow({**e.state, "depth": 100, "width": 256})  # the flow alone takes 0.2-0.6 s: background
    assert not e.flow_is_slow({**e.state, "depth": 50, "width": 64})   # a flow of 15 ms: in the frame
    assert not e.training_is_slow({**e.state, "train": False, "depth": 100, "width": 256})  # nothing trained


def _pixels(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def test_a_heavy_gradient_flow_is_computed_in_the_background_and_says_so(monkeypatch):
    """Issue 27: a new scale at depth 80 x width 205 held the kernel 220-390 ms with no "computing…". Now the
    frame comes at once, with empty gradient panels that say the flow is being computed (never the last
    network's flow), and the flow's frame follows: what a fresh explorer draws, and what matplotlib draws."""
    from nnlab.views import GradientFlowExplorer, base
    from nnlab.views.testing import stock_pixels

    monkeypatch.setattr(base.Explorer, "background", True)
    e = GradientFlowExplorer(depth=80, width=205)
    e.settle(60)
    said = []
    e.caption.observe(lambda change: said.append(change["new"]), names="value")
    e.controls["scale"].value = 1.5
    assert e.result.flow is None and "computing its gradient flow in the background" in said[0], said
    assert "computing the gradient flow" in e.verdict.get_text()
    assert not len(e.l_w.get_xdata()) and not len(e.l_a.get_xdata())      # not the flow of scale 1
    assert np.array_equal(_pixels(e.image.value), stock_pixels(e.fig))
    e.settle(60)
    assert e.result.flow is not None and "computing" not in said[-1], said
    assert np.array_equal(_pixels(e.image.value), stock_pixels(e.fig))
    monkeypatch.setattr(base.Explorer, "background", False)
    fresh = GradientFlowExplorer(**e.state)     # drawn with e's axes positions (the layout engine's last digits)
    assert np.array_equal(_pixels(e.image.value), _pixels(fresh.render_like(e)))


def _luminance(rgb):
    c = np.asarray(rgb[:3], dtype=float)
    c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2])


def contrast(a, b):
    """WCAG 2's contrast ratio of two colours (RGB in 0..1)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _texts(fig):
    """Every visible, non-empty text of a figure: axes titles, labels, tick labels, texts, legends, figure texts."""
    found = list(fig.texts) + [t for lg in fig.legends for t in [*lg.get_texts(), lg.get_title()]]
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        found += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label, *ax.texts]
        found += [t for axis in (ax.xaxis, ax.yaxis) for t in axis.get_ticklabels()]
        if ax.get_legend() is not None:
            found += [*ax.get_legend().get_texts(), ax.get_legend().get_title()]
    return [t for t in found if t.get_visible() and t.get_text().strip()]


def _background(text):
    """What a text is read against: its own box's face where it has an opaque one, else the axes' face (for a
    text in axes coordinates or data) or the figure's."""
    from matplotlib.colors import to_rgba

    patch = text.get_bbox_patch()
    if patch is not None and to_rgba(patch.get_facecolor())[3] >= 0.8:
        return to_rgba(patch.get_facecolor())
    ax = text.axes
    inside = ax is not None and text in ax.texts
    for image in ax.images if inside else ():  # a label on an image's cell (a confusion matrix): that cell
        x, y = text.get_position()
        left, right, bottom, top = image.get_extent()
        data = np.asarray(image.get_array())
        first = top if image.origin == "upper" else bottom  # where row 0 is drawn
        last = bottom if image.origin == "upper" else top
        u, v = (x - left) / (right - left), (y - first) / (last - first)
        if data.ndim == 2 and 0 <= u <= 1 and 0 <= v <= 1:
            row, col = min(int(v * data.shape[0]), data.shape[0] - 1), min(int(u * data.shape[1]), data.shape[1] - 1)
            return image.to_rgba(data[row, col])
    return to_rgba(ax.patch.get_facecolor() if inside else text.get_figure(root=True).patch.get_facecolor())


@pytest.mark.parametrize("cls", list(EXPLORERS), ids=lambda c: c.__name__)
def test_every_text_has_a_contrast_of_at_least_4_5_at_every_step_of_random_use(cls):
    """WCAG 2 (AA) asks 4.5:1 for text. Checked on every text of the figure, after every action of seeded
    random use (the colours a view sets depend on its state: a step done, a point marked, a verdict)."""
    from matplotlib.colors import to_rgba

    from nnlab.views.testing import random_use

    e = cls()
    low = {}
    for what in ["start", *random_use(e, np.random.default_rng(0), 8)]:
        for text in _texts(e.fig):
            colour = to_rgba(text.get_color())
            if colour[3] < 1:  # a translucent text over its background
                bg = _background(text)
                colour = tuple(colour[3] * c + (1 - colour[3]) * b for c, b in zip(colour[:3], bg[:3])) + (1,)
            ratio = contrast(colour, _background(text))
            if ratio < 4.5:
                low.setdefault(text.get_text()[:40], (round(ratio, 2), what))
    assert not low, f"{cls.__name__}: texts below 4.5:1 (ratio, after): {low}"
