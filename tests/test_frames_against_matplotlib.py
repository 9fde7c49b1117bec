"""Every frame right: explorers used at random, each frame compared with stock matplotlib.

For every explorer, seeded random sequences of actions (every value control at its ends and in between,
every option, every button, Play then Pause, clicks on the figure; background work settled after each)
are applied, and after every action the explorer's frame must be pixel for pixel what an unmodified
``FigureCanvasAgg`` draws of the same figure in full, every artist un-animated (``testing.stock_pixels``:
no nnlab renderer, no kept glyphs or layouts). At the end, ``type(e)(**e.state)`` must draw the same
picture: ``state`` is the whole truth of what is shown (for the playground, whose training progress is not a
setting, after Reset).

Before this test the renderer drew the artists a view declared "animated" over everything (PerceptronStepper,
TowerExplorer, OptimizerRace showed markers over what covers them) and missed a change to an annotation's
arrow (AutodiffTrace's grey arrows after Step): 14 of 30 such sequences ended on a frame matplotlib would
not draw.
"""
import io
import warnings

import numpy as np
import pytest
from PIL import Image

from nnlab.views import EXPLORERS
from nnlab.views.testing import random_use, stock_pixels

SEEDS = tuple(range(int(__import__("os").environ.get("NNLAB_FRAME_SEEDS", 2))))
STEPS = {"GradientFlowExplorer": 10}  # its heavy settings train networks: fewer steps keep the suite fast
DEFAULT_STEPS = 16


def pixels(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def differing(a, b):
    if a.shape != b.shape:
        return -1
    return int((a != b).any(axis=2).sum())


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("cls", list(EXPLORERS), ids=lambda c: c.__name__)
def test_random_use_draws_what_matplotlib_draws(cls, seed):
    e = cls()
    rng = np.random.default_rng(seed)
    done = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # divergence is a result to report, not a flood of warnings
        for what in random_use(e, rng, STEPS.get(cls.__name__, DEFAULT_STEPS)):
            done.append(what)
            n = differing(pixels(e.image.value), stock_pixels(e.fig))
            assert n == 0, f"{cls.__name__}: after {'; '.join(done)}: {n} pixels differ from matplotlib's"
            assert not e.errors, f"{cls.__name__}: after {'; '.join(done)}: {e.errors}"
    if hasattr(e, "trainer"):  # training progress is not a setting: Reset goes back to what the state says
        e.controls["reset"].click()
        e.settle(timeout=60)
        done.append("press reset")
        assert differing(pixels(e.image.value), stock_pixels(e.fig)) == 0, f"{cls.__name__}: after {done}"
    fresh = cls(**e.state)
    assert np.array_equal(pixels(e.image.value), pixels(fresh.render_like(e))), \
        f"{cls.__name__}: after {'; '.join(done)}: a new explorer with the same state draws another picture"


@pytest.mark.fast_renderer
def test_the_oracle_sees_a_frame_that_is_not_matplotlibs():
    """The comparison can fail: a change the renderer is not told about leaves a frame matplotlib would not
    draw, and the figure is left as it was (its canvas and flags) by drawing it the stock way."""
    from nnlab.views import ActivationExplorer

    e = ActivationExplorer()
    canvas = e.fig.canvas
    e.ax_a.title.set_color("red")
    for artist in e.fig.findobj():
        artist._stale = False
    e.image.value = e.render_png()
    assert differing(pixels(e.image.value), stock_pixels(e.fig)) > 0
    assert e.fig.canvas is canvas and not any(a._stale for a in e.fig.findobj())
