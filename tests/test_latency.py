"""What makes explorer updates cheap without changing what they show (issue #13, section 4):
axis limits that stay put while a setting moves the data a little, and the pictures still hold
every curve. The speed itself is measured in benchmarks/bench_foundation.py, not here."""
import numpy as np
import pytest

from nnlab.views import OptimizerRace
from nnlab.views.base import round_up


@pytest.mark.parametrize("value, log, expected", [
    (1.0, False, 1.0), (1.2, False, 2.0), (2.0, False, 2.0), (3.2, False, 5.0), (7.0, False, 10.0),
    (0.0123, False, 0.02), (480.0, False, 500.0), (5e-7, False, 5e-7),
    (1.0, True, 1.0), (1.2, True, 10.0), (0.03, True, 0.1), (1e4, True, 1e4), (2e5, True, 1e6),
])
def test_round_up_goes_to_the_next_one_two_five_or_decade(value, log, expected):
    got = round_up(value, log=log)
    assert got == pytest.approx(expected, rel=1e-12) and got >= value * (1 - 1e-9)


def test_race_start_moved_within_its_window_keeps_the_contours_and_the_axes():
    e = OptimizerRace(x0=1.5, y0=1.0)
    contours, limits = e.contours, [ax.get_ylim() for ax in (e.ax_l, e.ax_e)]
    e.controls["x0"].value = 1.6
    assert e.contours is contours
    assert [ax.get_ylim() for ax in (e.ax_l, e.ax_e)] == limits
    e.controls["x0"].value = 3.99  # outside the surface's window: the window grows
    assert e.contours is not contours and e.ax.get_xlim()[1] >= 3.99 + 0.25 - 1e-12


@pytest.mark.parametrize("x0, y0", [(1.0, 1.0), (-3.3, 0.4), (0.05, -0.02), (4.0, -4.0)])
def test_race_axes_hold_every_start_and_loss(x0, y0):
    """The rounded ranges never cut the data: each loss curve starts below the top of the loss
    axis, and each error along an eigenvector starts below the top of its axis."""
    e = OptimizerRace(x0=x0, y0=y0)
    r = e.result
    for name in r.shown:
        run = r.runs[name]
        assert run.loss[0] - r.floor <= e.ax_l.get_ylim()[1]
        assert np.abs(run.path[0]).max() <= e.ax_e.get_ylim()[1]


def test_inner_ticks_are_matplotlibs_but_the_ones_at_the_ends():
    """``InnerTicks`` keeps MaxNLocator's ticks (the oracle) but those within its margin of an end."""
    from matplotlib.ticker import MaxNLocator

    from nnlab.axes import InnerTicks

    for lo, hi in [(0.0, 1.0), (-1.0, 1.0), (0.0, 0.37), (-3.2, 7.9), (2.0, -2.0)]:
        theirs = MaxNLocator(nbins=5).tick_values(lo, hi)
        pad = 0.1 * abs(hi - lo) * (1 - 1e-6)
        expected = [t for t in theirs if min(lo, hi) + pad <= t <= max(lo, hi) - pad]
        assert list(InnerTicks(nbins=5).tick_values(lo, hi)) == expected and len(expected) >= 2
    # a symmetric range keeps symmetric ticks (the one at the margin, -0.8 as much as 0.8)
    assert list(InnerTicks(nbins=5).tick_values(-1.0, 1.0)) == pytest.approx([-0.8, -0.4, 0.0, 0.4, 0.8])


@pytest.mark.fast_renderer
@pytest.mark.parametrize("cls, control", [("TowerExplorer", "target"), ("GradientFlowExplorer", "activation")])
def test_a_dropdown_that_changes_every_range_does_not_move_the_panels(cls, control):
    """Its end labels stay inside the axes (a margin, ``InnerTicks``) and the error axis's labels have
    one width, so the layout does not move: the panels are drawn again in place, not the figure."""
    import nnlab.views as views

    e = getattr(views, cls)()
    positions = [tuple(ax.get_position().bounds) for ax in e.fig.axes]
    full = e.renderer.n_full
    for option in list(e.controls[control].options) * 2:
        e.controls[control].value = option[1] if isinstance(option, tuple) else option
        np.testing.assert_allclose([tuple(ax.get_position().bounds) for ax in e.fig.axes], positions, atol=1e-9)
    assert e.renderer.n_full == full


@pytest.mark.fast_renderer
def test_gradient_flow_in_random_use_keeps_its_panels_where_they_are():
    """Depth 1 to 100, scales whose gradients span 1e-300 to 1e+300, activations of 1e137: the tick labels on
    the left are all of one width (``axes.fixed_width``), the layer axis has no tick at its ends and the
    activations' power of ten is in the axis label. Over seeded random use of every control and button no frame
    moves a panel, so none is drawn whole (before: 16 full draws in 120 actions, each 4-8 times a plain draw)."""
    from nnlab.views import GradientFlowExplorer
    from nnlab.views.testing import random_use

    e = GradientFlowExplorer()
    positions = [tuple(ax.get_position().bounds) for ax in e.fig.axes]
    full = e.renderer.n_full
    done = list(random_use(e, np.random.default_rng(1), 30))
    assert any(what.startswith("depth") for what in done) and any(what.startswith("scale") for what in done)
    np.testing.assert_allclose([tuple(ax.get_position().bounds) for ax in e.fig.axes], positions, atol=1e-9)
    assert e.renderer.n_full == full


def test_fixed_width_labels_are_as_wide_as_the_widest():
    """Figure spaces are digits' width, and the minus is as wide as the plus: labels of any value take the same
    room."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from nnlab.axes import fixed_width

    fig = Figure()
    FigureCanvasAgg(fig)
    form = fixed_width(".0e", 6)
    texts = [fig.text(0.5, 0.1 * i, form(v, i)) for i, v in enumerate([1e-5, 1e-300, 1e300, 1.0, 0.1, 1e140])]
    fig.canvas.draw()
    widths = {t.get_window_extent().width for t in texts}
    assert len(widths) == 1 and form(1e-5, 0) == "\u20071e\u221205"
