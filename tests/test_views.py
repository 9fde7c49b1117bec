"""View tests in plain Python: every control of every explorer changes state and image."""
import json

import ipywidgets as widgets
import numpy as np
import pytest

from nnlab import neuron
from nnlab.views import EXPLORERS, ActivationExplorer, Explorer
from nnlab.views.logslider import LogSlider
from nnlab.views.pad import DrawingPad
from nnlab.views.testing import is_active, other_value, stock_pixels, valued_controls


def heavy_ones_slow(params):
    """The parameters, those of the two explorers that train as they draw marked slow (pytest --all runs them)."""
    return [pytest.param(*(p if isinstance(p, tuple) else (p,)), marks=pytest.mark.slow)
            if (p[0] if isinstance(p, tuple) else p).__name__ in ("TrainingPlayground", "OptimizerRace") else p
            for p in params]


@pytest.mark.parametrize("cls", heavy_ones_slow(EXPLORERS), ids=lambda c: c.__name__)
def test_every_control_updates_state_and_image(cls):
    e = cls()
    assert e.n_renders == 1 and e.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    for name, control in valued_controls(e):
        if not is_active(control):  # disabled or hidden in this state: a person cannot use it either
            continue
        before_png, before_n = e.image.value, e.n_renders
        new = other_value(control)
        control.value = new
        declared = {s.name: s for s in e.declared(e.state)}
        expected = declared[name].validate(new) if name in declared else new  # e.g. a log value to 6 digits
        assert e.state[name] == expected and control.value == expected, name
        assert abs(expected - new) <= 1e-5 * abs(new) if isinstance(new, float) else expected == new, name
        assert e.n_renders == before_n + 1, name
        assert e.image.value != before_png, f"{name}: image did not change"
        assert e.caption.value and e.describe(), name
        # an updated (blitted) figure is pixel for pixel a fresh one laid out the same way
        assert _same_as_fresh(e), f"{name}: stale pixels after the update"
        assert not _clipped_text(e), f"{name}: text outside the figure: {_clipped_text(e)}"


@pytest.mark.parametrize("cls", list(EXPLORERS), ids=lambda c: c.__name__)
def test_random_walk_of_controls_renders_like_a_fresh_explorer(cls):
    e = cls()
    for name, new in _random_moves(e, np.random.default_rng(0), 25):
        e.controls[name].value = new
    assert _same_as_fresh(e)
    assert not _clipped_text(e)


@pytest.mark.fast_renderer
@pytest.mark.parametrize("cls", list(EXPLORERS), ids=lambda c: c.__name__)
def test_texts_drawn_from_kept_glyphs_are_matplotlibs_own_pixels(cls):
    """The renderer stamps the glyph bitmaps it kept for a text drawn before at the same place,
    tells matplotlib's text layout the font heights it looked up once and keeps the layouts of
    texts; the frames must be those of matplotlib's RendererAgg, which lays out and rasterises
    every text anew (the same controls moved in a twin explorer that keeps none of them)."""
    import types

    from matplotlib.backends.backend_agg import RendererAgg

    e, plain = cls(), cls()
    renderer = plain.fig.canvas.get_renderer()
    renderer.draw_text = types.MethodType(RendererAgg.draw_text, renderer)
    renderer._get_font_height_metrics = lambda prop: (None, None, None)  # matplotlib reads the tables
    renderer._layouts = None  # matplotlib lays out every text anew
    renderer._glyphs = None   # and renders every glyph anew
    for name, new in _random_moves(e, np.random.default_rng(1), 20):
        e.controls[name].value = new
        plain.controls[name].value = new
        assert e.image.value == plain.image.value, f"{name} = {new!r}: the kept glyphs drew other pixels"
    kept = e.fig.canvas.get_renderer()._texts
    assert kept and all(stamps for stamps in kept.values()) and e.fig.canvas.get_renderer()._layouts


@pytest.mark.fast_renderer
@pytest.mark.parametrize("cls", list(EXPLORERS), ids=lambda c: c.__name__)
def test_a_layout_put_back_is_the_layout_engines(cls):
    """Going back to an option puts back the layout made for it: every axes where constrained
    layout, run again now, puts it (to a pixel)."""
    e = cls()
    renderer, engine = e.renderer, e.renderer._layout_engine
    calls = []
    lay_out, execute = renderer._lay_out, engine.execute
    renderer._lay_out = lambda key: (calls.append("layout"), lay_out(key))
    engine.execute = lambda fig: (calls.append("engine"), execute(fig))[1]
    put_back = 0
    width, height = e.fig.bbox.size
    for name, control in valued_controls(e):
        if not isinstance(control, (widgets.Dropdown, widgets.ToggleButtons)) or not is_active(control):
            continue
        options = [o[1] if isinstance(o, tuple) else o for o in control.options]
        for value in options + options[::-1]:
            calls.clear()
            control.value = value
            if calls != ["layout"]:
                continue  # laid out by the engine, or not at all
            put_back += 1
            shown = [ax.get_position(original=True).frozen() for ax in e.fig.axes]
            execute(e.fig)
            for ax, box in zip(e.fig.axes, shown):
                now = ax.get_position(original=True)
                assert np.allclose(box.extents * ([width, height] * 2), now.extents * ([width, height] * 2),
                                   atol=1.0), f"{name} = {value!r}: {ax.get_title()!r} laid out elsewhere"


def _random_moves(e, rng, n):
    """``n`` draws of a control of ``e`` and a new value for it (a slider anywhere in its range),
    the inactive ones skipped: (name, value) pairs, each drawn when the previous one is applied."""
    controls = valued_controls(e)
    for _ in range(n):
        name, control = controls[rng.integers(len(controls))]
        if not is_active(control):
            continue
        new = other_value(control)
        if isinstance(new, (int, float)) and not isinstance(new, bool) and hasattr(control, "min"):
            new = type(new)(control.min + rng.uniform() * (control.max - control.min))
        yield name, new


def _same_as_stock(e):
    """The explorer's frame is the one stock matplotlib draws of the same figure (``testing.stock_pixels``)."""
    return np.array_equal(_pixels(e.image.value), stock_pixels(e.fig))


def _same_as_fresh(e):
    fresh = type(e)(**e.state)
    return np.array_equal(_pixels(e.image.value), _pixels(fresh.render_like(e)))


def _clipped_text(e):
    """Drawn, non-empty texts (labels, tick labels, titles, legends) that stick out of the figure."""
    fig = e.fig
    renderer = fig.canvas.get_renderer()
    texts = list(fig.texts) + [t for lg in fig.legends for t in lg.get_texts()]
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        texts += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label,
                  ax.xaxis.get_offset_text(), ax.yaxis.get_offset_text(), *ax.texts]
        for axis in (ax.xaxis, ax.yaxis) if ax.axison else ():  # the ticks matplotlib draws
            texts += [tick.label1 for tick in axis._update_ticks()]
        if ax.get_legend() is not None:
            texts += ax.get_legend().get_texts()
    W, H = fig.bbox.width, fig.bbox.height
    out = []
    for t in texts:
        if not t.get_visible() or not t.get_text().strip():
            continue
        bb = t.get_window_extent(renderer)
        if bb.x0 < -1 or bb.y0 < -1 or bb.x1 > W + 1 or bb.y1 > H + 1:
            out.append(t.get_text())
    return out


def _pixels(png):
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)))


@pytest.mark.parametrize("cls, example", heavy_ones_slow(EXPLORERS.items()), ids=lambda c: getattr(c, "__name__", ""))
def test_each_control_alone_from_a_state_where_it_is_active(cls, example):
    """Every control is usable in the defaults or the registered example, and works there."""
    names = [n for n, _ in valued_controls(cls())]
    for name in names:
        for start in ({}, example):
            e = cls(**start)
            control = e.controls[name]
            if is_active(control):
                break
        else:
            pytest.fail(f"{name} is disabled or hidden both in the defaults and in the example {example}")
        before = e.image.value
        control.value = other_value(control)
        assert e.image.value != before and e.state[name] == control.value, name
        assert _same_as_fresh(e), name


@pytest.mark.parametrize("cls, example", list(EXPLORERS.items()), ids=lambda c: getattr(c, "__name__", ""))
def test_state_round_trips(cls, example, tmp_path):
    e = cls(**example)
    for k, val in example.items():
        assert e.state[k] == val
        assert e.controls[k].value == val if k in e.controls else True
    again = cls(**json.loads(e.to_json()))
    assert again.state == e.state and again.image.value == e.image.value
    e.save(tmp_path / "s.json")
    assert cls.load(tmp_path / "s.json").state == e.state
    assert repr(e).startswith(cls.__name__ + "(")


@pytest.mark.parametrize("cls", list(EXPLORERS), ids=lambda c: c.__name__)
def test_saved_notebook_gets_a_static_image(cls):
    bundle = cls()._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["image/png"].startswith("iVBORw0KGgo")  # base64 of the PNG signature
    assert bundle["text/plain"].startswith(cls.__name__)
    # opened without a kernel, JupyterLab shows the HTML image (preferred to image/png): with words
    assert f'alt="{cls.__name__}: ' in bundle["text/html"] and bundle["image/png"] in bundle["text/html"]


@pytest.mark.parametrize("cls", list(EXPLORERS), ids=lambda c: c.__name__)
def test_unknown_setting_is_named(cls):
    with pytest.raises(ValueError, match="unknown setting.*'colour'"):
        cls(colour="red")


@pytest.mark.parametrize("cls", list(EXPLORERS), ids=lambda c: c.__name__)
def test_controls_are_labelled(cls):
    for name, control in cls().controls.items():
        assert getattr(control, "description", "") , f"{name} has no visible label"


# ------------------------------------------------------------- ActivationExplorer


def test_activation_explorer_draws_the_model_curve():
    e = ActivationExplorer(activation="sigmoid", w=10.0, b=-5.0)
    x, a = e.line_a.get_data()
    np.testing.assert_allclose(a, 1 / (1 + np.exp(-(10 * x - 5))), rtol=1e-12)
    _, d = e.line_d.get_data()
    np.testing.assert_allclose(d, 10 * a * (1 - a), rtol=1e-9, atol=1e-300)
    assert e.step_lines[0].get_xdata()[0] == pytest.approx(0.5)
    assert "s = -b/w = 0.5" in e.describe() and "largest slope 2.5" in e.describe()


def test_sigmoid_becomes_a_step_as_w_grows():
    widths = []
    for w in (1.0, 5.0, 30.0):
        e = ActivationExplorer(w=w, b=0.0)
        widths.append(e.result.width)
    assert widths[0] > widths[1] > widths[2]
    assert widths[2] == pytest.approx(2 * np.log(9) / 30)
    # the closed form: sigmoid(w x) passes 10 % and 90 % at x = -+ln 9 / w
    a, _ = neuron.response(np.array([-np.log(9) / 30, np.log(9) / 30]), 30.0, 0.0)
    np.testing.assert_allclose(a, [0.1, 0.9])


def test_relu_kink_and_w_zero():
    e = ActivationExplorer(activation="relu", w=2.0, b=1.0)
    assert "kink at s = -b/w = -0.5" in e.describe()
    e.controls["w"].value = 0.0
    assert "constant" in e.describe() and not e.step_lines[0].get_visible()


def test_activation_explorer_rejects_bad_settings():
    with pytest.raises(ValueError, match="w: expected a number <= 30"):
        ActivationExplorer(w=100)
    with pytest.raises(ValueError, match="activation: expected one of 'sigmoid', 'tanh', 'relu', got 'gelu'"):
        ActivationExplorer(activation="gelu")


def test_set_changes_several_settings_with_one_redraw():
    e = ActivationExplorer()
    e.set(w=3.0, b=1.5, activation="tanh")
    assert e.n_renders == 2 and e.controls["w"].value == 3.0 and e.controls["activation"].value == "tanh"


# -------------------------------------------------------------- PerceptronStepper

from nnlab import data  # noqa: E402
from nnlab.perceptron import train_perceptron  # noqa: E402
from nnlab.views import PerceptronStepper  # noqa: E402


def test_stepper_buttons_walk_the_recorded_run():
    e = PerceptronStepper(dataset="blobs", n=20, seed=1)
    run = e.run
    e.controls["step_button"].click()
    assert e.state["position"] == 1 and "epoch 1, point 0 misclassified" in e.describe()  # w = 0: a mistake
    e.controls["next_mistake"].click()
    p = e.state["position"]
    assert run.steps[p - 1].mistake and not any(s.mistake for s in run.steps[1:p - 1])
    e.controls["epoch_button"].click()
    assert e.state["position"] == 20  # end of epoch 1
    e.controls["epoch_button"].click()
    assert e.state["position"] == 40
    e.controls["reset"].click()
    assert e.state["position"] == 0 and "start, w = 0" in e.describe() and e.controls["reset"].disabled
    # the figure shows the model's weights at every position
    e.controls["position"].value = len(run)
    X, y = data.blobs(20, margin=0.5, seed=1)
    res = train_perceptron(X, data.to_pm1(y), max_epochs=20)
    (x0, x1), (y0, y1) = e.line.get_data()
    w, b = res.w, res.b
    assert w @ [x0, y0] + b == pytest.approx(0, abs=1e-9) and w @ [x1, y1] + b == pytest.approx(0, abs=1e-9)
    assert f"{res.mistakes} mistakes so far" in e.describe() and "converged" in e.describe()
    assert e.controls["position"].max == len(run) and e.play.max == len(run)
    c = e.controls
    assert c["step_button"].disabled and c["next_mistake"].disabled and not c["reset"].disabled


def test_stepper_on_xor_says_it_is_not_separable():
    e = PerceptronStepper(dataset="xor", n=24, max_epochs=10)
    e.controls["position"].value = len(e.run)
    assert "not converged after 10 epochs" in e.describe() and "not be linearly separable" in e.describe()
    assert "no bound" in e.describe() and not e.m_bound.get_visible()


def test_stepper_bound_is_drawn_and_holds():
    e = PerceptronStepper(dataset="blobs", n=40, margin=0.2, seed=5)
    run = e.run
    assert run.result.converged and e.m_bound.get_visible()
    assert e.m_bound.get_ydata()[0] == pytest.approx(run.bound.bound)
    assert run.bound.bound >= run.result.mistakes
    assert "bound" in e.legend.get_texts()[-1].get_text()


def test_stepper_changing_the_data_restarts_the_run():
    e = PerceptronStepper(position=10)
    e.controls["seed"].value = 7
    assert e.state["position"] == 0 and e.controls["position"].value == 0
    e.controls["dataset"].value = "circle"
    assert e.controls["margin"].disabled and "circle problem" in e.settings_text.get_text()


def test_stepper_accepts_user_points_and_rejects_01_labels():
    X = np.array([[0.0, 1.0], [1.0, 2.0], [3.0, -1.0], [4.0, 0.0]])
    y = np.array([1, 1, -1, -1])
    e = PerceptronStepper(X=X, y=y, dataset="custom")
    e.set(position=len(e.run))
    assert "converged" in e.describe() and e.controls["n"].disabled
    again = PerceptronStepper(**json.loads(e.to_json()))
    assert again.state == e.state
    with pytest.raises(ValueError, match=r"y: the perceptron expects labels -1 and \+1, got labels 0 and 1"):
        PerceptronStepper(X=X, y=[1, 1, 0, 0])
    with pytest.raises(ValueError, match=r"X: expected shape \(any, 2\)"):
        PerceptronStepper(X=np.zeros((4, 3)), y=y)
    with pytest.raises(ValueError, match=r"dataset: expected one of 'blobs', 'xor', 'circle', got 'custom'"):
        PerceptronStepper(dataset="custom")
    with pytest.raises(ValueError, match=r"position: expected an integer in \[0, 120\], got 500"):
        PerceptronStepper(position=500)


def test_a_control_change_that_fails_is_shown_and_reverted():
    e = ActivationExplorer()
    dropdown = e.controls["activation"]
    dropdown.options = ["sigmoid", "tanh", "relu", "gelu"]  # offer a choice the model does not know
    dropdown.value = "gelu"
    assert dropdown.value == "sigmoid" and e.state["activation"] == "sigmoid"
    assert "nnlab-error" in e.caption.value and "activation: expected one of" in e.caption.value
    assert len(e.errors) == 1 and "gelu" in e.errors[0]


@pytest.mark.fast_renderer
def test_the_clipping_and_staleness_checks_can_fail():
    e = ActivationExplorer()
    e.ax_a.set_title("a title far too long to fit into this figure " * 3)
    assert _clipped_text(e)
    s = PerceptronStepper()
    s.image.value = s.render_png()  # settled: the next frame redraws only what it is shown to have changed
    s.settings_text.set_color("red")  # change the picture behind the renderer's back
    for artist in s.fig.findobj():
        artist._stale = False
    s.image.value = s.render_png()
    assert not _same_as_stock(s)


# ------------------------------------------------------------- towers and hidden units

from nnlab import approx  # noqa: E402
from nnlab.views import HiddenUnitsExplorer, TowerDesigner, TowerExplorer  # noqa: E402


def test_tower_explorer_draws_the_constructed_network():
    e = TowerExplorer(target="bumpy", n=12, steepness=8.0)
    x, y = e.l_net.get_data()
    import torch

    model = approx.tower_network(approx.bumpy, 12, (0, 1), steepness=8.0).to_torch()
    np.testing.assert_allclose(y, model(torch.tensor(x[:, None])).detach().numpy()[:, 0], rtol=1e-10)
    assert len(e.parts.get_segments()) == 12  # one curve per tower
    err = np.abs(y - approx.bumpy(x))
    assert f"max error {err.max():.3g}" in e.describe() and "24 hidden units" in e.describe()
    e.controls["units"].value = "relu"
    assert e.controls["steepness"].disabled and "ReLU spline with 12 hidden units" in e.describe()
    _, y = e.l_net.get_data()
    knots = np.linspace(0, 1, 13)
    np.testing.assert_allclose(y, np.interp(x, knots, approx.bumpy(knots)), atol=1e-12)


def test_tower_explorer_error_panel_falls_with_n():
    e = TowerExplorer(target="sin")
    ns, mx = e.n_max.get_data()
    assert ns[0] == 1 and ns[-1] == 100 and mx[-1] < mx[np.searchsorted(ns, 8)] / 4


def test_tower_explorer_takes_a_user_function():
    e = TowerExplorer(f=lambda x: x**2, interval=(-1, 1), n=20)
    assert "custom" in e.describe() and e.state["interval"] == [-1.0, 1.0]
    with pytest.raises(ValueError, match="f: expected a function"):
        TowerExplorer(f=3)
    with pytest.raises(ValueError, match="f: calling it on an array of x values failed"):
        TowerExplorer(f=lambda x: undefined_name)  # noqa: F821


def test_designer_scores_and_shows_the_weights():
    d = TowerDesigner(target="bumpy", n=5)
    assert "keep going" in d.describe()
    heights = approx.bumpy(approx.tower_centres(5, (0, 1)))
    d.set(**{f"h{i}": round(float(h), 2) for i, h in enumerate(heights)})
    assert abs(d.result.score - d.result.to_beat) < 0.01
    # the score by its definition: the sum of towers written out, against f, on the explorer's grid
    x = np.linspace(0, 1, 1001)
    h, n, w = d.heights(), 5, 10.0 * 5
    edges = np.linspace(0, 1, n + 1)
    edges[0], edges[-1] = -0.1, 1.1               # outer steps half a tower width outside
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    towers = sum(hi * (sig(w * (x - l)) - sig(w * (x - r))) for hi, l, r in zip(h, edges[:-1], edges[1:]))
    f = 0.2 + 0.4 * x**2 + 0.3 * x * np.sin(15 * x) + 0.05 * np.cos(50 * x)
    assert d.result.score == pytest.approx(np.mean(np.abs(towers - f)), rel=1e-10)
    assert "step at −b/w" in d.weights.value and d.weights.value.count("<tr>") == 1 + 10
    assert d.controls["h5"].layout.display == "none" and d.controls["h4"].layout.display is None


def test_hidden_units_default_is_the_curriculum_exercise():
    e = HiddenUnitsExplorer()
    x = np.array([-4.0, -1.0, 0.0, 2.0, 5.0, 8.0])
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    expected = 1 * sig(x) - 2 * sig(x - 2) + 0.5 * sig(x - 4) + 0.1
    xs, y = e.y_line.get_data()
    np.testing.assert_allclose(np.interp(x, xs, y), expected, atol=2e-3)  # the plotted curve, on its grid
    np.testing.assert_allclose(e.network().forward(x[:, None])[:, 0], expected, rtol=1e-12)
    assert "step at x = 0, x = 2, x = 4" in e.describe()
    e.controls["wh2"].value = 0.0
    assert "nowhere (w = 0)" in e.describe()


def test_hidden_units_two_inputs_make_a_triangle():
    e = HiddenUnitsExplorer(inputs=2)
    net = e.network()
    inside, above, left_out = net.forward(np.array([[0.0, 0.0], [0.0, 1.8], [-1.5, -1.0]]))[:, 0]
    assert inside > 0.9 and above < 0.1 and left_out < 0.1
    # the drawn line of unit 1 is where w1 x1 + w2 x2 + b = 0
    xs, ys = e.own_lines[0].get_data()
    np.testing.assert_allclose(8 * xs + 4 * ys + 4, 0, atol=1e-12)
    with pytest.raises(ValueError, match="inputs: expected an integer in \\[1, 2\\], got 3"):
        HiddenUnitsExplorer(inputs=3)


# -------------------------------------------------------------- GradientFlowExplorer

from nnlab import gradflow  # noqa: E402
from nnlab.views import GradientFlowExplorer  # noqa: E402


def test_gradient_flow_explorer_plots_the_model_and_says_the_verdict():
    e = GradientFlowExplorer(depth=50, width=64, activation="sigmoid", init="normal", scale=0.125)
    flow = gradflow.gradient_flow(50, 64, "sigmoid", "normal", 0.125)
    np.testing.assert_allclose(e.l_w.get_data()[1], flow.grad_W, rtol=1e-12)
    np.testing.assert_allclose(e.l_a.get_data()[1], flow.grad_A, rtol=1e-12)
    assert "vanishing" in e.describe() and "vanishing" in e.verdict.get_text()
    e.set(activation="relu", init="he", scale=1.0)
    assert "healthy" in e.describe() and "dead" in e.describe()


def test_gradient_flow_resample_and_training():
    e = GradientFlowExplorer(depth=6, width=16)
    e.controls["resample"].click()
    assert e.state["seed"] == 1
    assert e.hint.get_visible() and "training" not in e.describe()
    e.controls["train"].value = True
    mine, ref = e.result.curves
    assert not e.hint.get_visible() and len(e.l_train.get_data()[1]) == len(mine.loss) > 100
    assert "training: loss" in e.describe()
    expected = gradflow.train(6, 16, "sigmoid", "xavier", 1.0, False, steps=150, seed=1)
    from nnlab.views.gradflow import train_steps

    assert train_steps(6, 16, 128) == 150 and train_steps(100, 256, 128) == 10
    np.testing.assert_allclose(mine.loss, expected.loss, rtol=1e-12)


# ------------------------------------------------------------------- OptimizerRace

from nnlab import optim, surfaces  # noqa: E402
from nnlab.views import OptimizerRace  # noqa: E402


def test_race_draws_the_model_trajectories_and_scrubs_them():
    e = OptimizerRace(kappa=50.0, theta=20.0, lr=0.02, steps=100)
    bowl = surfaces.quadratic(50.0, np.deg2rad(20.0))
    tr = surfaces.trajectory(optim.sgd(lr=0.02, momentum=0.9), bowl, (e.state["x0"], e.state["y0"]), 100)
    x, y = e.lines["momentum"].get_data()
    np.testing.assert_allclose(np.c_[x, y], tr.path, rtol=1e-12)
    e.controls["frame"].value = 10
    assert len(e.lines["momentum"].get_data()[0]) == 11
    assert e.n_renders == 2 and _same_as_fresh(e)


def test_race_eigenvector_view_follows_the_closed_form_of_gradient_descent():
    """On the bowl, plain GD shrinks the error along eigenvector i by |1 - lr lambda_i| per step (lambda = 1 and
    kappa): the dotted and solid lines of the eigenvector view must follow that closed form."""
    kappa, theta, lr, steps = 50.0, np.deg2rad(20.0), 0.015, 60
    e = OptimizerRace(kappa=kappa, theta=20.0, lr=lr, steps=steps)
    c, s = np.cos(theta), np.sin(theta)
    start = np.array([e.state["x0"], e.state["y0"]])
    e0 = np.abs([c * start[0] + s * start[1], -s * start[0] + c * start[1]])  # start along (c, s) and (-s, c)
    t = np.arange(steps + 1)
    for line, e_start, lam in ((e.e1["SGD"], e0[0], 1.0), (e.e2["SGD"], e0[1], kappa)):
        np.testing.assert_allclose(line.get_data()[1], np.maximum(e_start * np.abs(1 - lr * lam) ** t, 1e-16),
                                   rtol=1e-9, atol=1e-14)  # rounding in the other direction: ~1e-16


def test_race_reports_divergence_and_steps_to_tolerance():
    e = OptimizerRace(kappa=100.0, lr=0.03, steps=300)   # lr > 2 / 100: plain GD must diverge
    assert "SGD: diverged at step" in e.describe()
    e.set(lr=0.015)
    assert "SGD: final f − min" in e.describe() and "reached f − min ≤ 1e-6 at step" in e.describe()


def test_race_surface_change_moves_the_start_and_disables_kappa():
    e = OptimizerRace()
    e.controls["surface"].value = "beale"
    assert (e.state["x0"], e.state["y0"]) == (0.5, 1.5)
    assert e.controls["kappa"].disabled and "eigenvector view" in e.note.get_text()


def test_updates_from_several_threads_are_serialised(monkeypatch):
    """ipykernel 7 can run widget callbacks on more than one thread; renders must not overlap
    (FreeType is not thread-safe: overlapping renders crashed the kernel in a browser run)."""
    import threading
    import time

    from nnlab.views.base import Explorer

    active, most = [0], [0]
    render = Explorer.render_png

    def watched(self):
        active[0] += 1
        most[0] = max(most[0], active[0])
        time.sleep(0.002)  # lets another thread in, if nothing stops it
        try:
            return render(self)
        finally:
            active[0] -= 1

    monkeypatch.setattr(Explorer, "render_png", watched)
    e = PerceptronStepper(dataset="xor", n=24, max_epochs=10)
    a = ActivationExplorer()
    failures = []

    def hammer(k):
        try:
            for i in range(25):
                e.controls["position"].value = (7 * i + k) % len(e.run)
                a.controls["w"].value = float((i % 20) - 10 + k)
        except Exception as exc:  # noqa: BLE001
            failures.append(repr(exc))

    threads = [threading.Thread(target=hammer, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures and not e.errors and not a.errors
    assert most[0] == 1, f"{most[0]} renders ran at the same time"


@pytest.mark.parametrize("cls", [c for c in EXPLORERS if c.on_click is not Explorer.on_click], ids=lambda c: c.__name__)
def test_clicks_on_the_figure_change_state_like_controls(cls):
    """A click at the centre of each axes either is ignored or changes the state; then the image is
    new and equals a fresh explorer's. A click outside every axes does nothing."""
    e = cls()
    assert e._clicks is not None and "nnlab-clickable" in e.image._dom_classes
    assert e.click(1, 1) is None
    for ax in e.fig.axes:
        before, image = e.state, e.image.value
        bbox = ax.bbox
        changes = e.click((bbox.x0 + bbox.x1) / 2, e.fig.bbox.height - (bbox.y0 + bbox.y1) / 2)
        if changes:
            assert e.state != before and e.image.value != image and _same_as_fresh(e)
            assert all(e.controls[k].value == v for k, v in changes.items() if k in e.controls)
        else:
            assert e.state == before


def test_race_click_puts_the_start_star_under_the_pointer():
    """The oracle is the picture: after a click the black start marker is drawn where the click was."""
    from nnlab.views import OptimizerRace

    r = OptimizerRace(show_SGD=False, show_momentum=False, show_Adam=False)
    bbox = r.ax.bbox
    px, py = bbox.x0 + 0.3 * bbox.width, r.fig.bbox.height - (bbox.y0 + 0.7 * bbox.height)
    changes = r.click(px, py)
    assert set(changes) == {"x0", "y0"} and r.controls["x0"].value == r.state["x0"]
    rgb = _pixels(r.image.value)[..., :3].astype(int)
    black = np.argwhere(rgb.sum(-1) < 60)
    near = black[(np.abs(black[:, 0] - py) < 8) & (np.abs(black[:, 1] - px) < 8)]
    assert len(near) > 10, "no start marker at the clicked pixel"
    cy, cx = near.mean(0)
    assert abs(cx - px) < 2.5 and abs(cy - py) < 2.5, (cx, cy, px, py)


# ------------------------------------------------------------- declared settings

@pytest.mark.parametrize("cls", [c for c in EXPLORERS if c.settings], ids=lambda c: c.__name__)
def test_controls_and_checks_are_the_declared_settings(cls):
    """The oracle is the declaration: each control shows exactly what its Setting declares, every
    default passes the check, and a value outside a declared range or options is refused by name."""
    import re

    e = cls()
    for s in e.declared(e.state):
        assert s.validate(s.default) == s.default or s.default is None, s.name
        if s.label is not None:
            c = e.controls[s.name]
            assert c.description == s.label, s.name
            if s.options:
                assert tuple(c.options) == tuple(s.options), s.name
                assert isinstance(c, widgets.ToggleButtons if s.buttons else widgets.Dropdown), s.name
            elif isinstance(s.default, bool):
                assert isinstance(c, widgets.Checkbox), s.name
            elif s.pad:
                assert isinstance(c, DrawingPad) and c.side == s.pad and c.value == s.default, s.name
            else:
                kind = widgets.IntSlider if s.integer else LogSlider if s.log else widgets.FloatSlider
                assert type(c) is kind or (s.log and isinstance(c, LogSlider)), s.name  # anywidget subclasses it
                if s.log:  # typed values anywhere in [low, high]; a drag stops less than a step from either end
                    assert (c.low, c.high) == (s.low, s.high) and c.grid == list(s.grid), s.name
                    assert s.low <= c.grid[0] < s.low * 10 ** s.step and s.high / 10 ** s.step < c.grid[-1] <= s.high
                else:
                    assert (c.min, c.max) == (s.low, s.high) and c.step == (s.step or 1), s.name
                assert c.continuous_update is not s.expensive, s.name
        bad = ["no such option"] if s.options else [v for v in (
            None if s.low is None else s.low - (s.step or 1), None if s.high is None else s.high + (s.step or 1),
            None if s.optional or isinstance(s.default, bool) else "text") if v is not None]
        for value in bad:
            with pytest.raises(ValueError, match=rf"^{re.escape(s.name)}: "):
                cls(**{s.name: value})


@pytest.mark.parametrize("cls", [c for c in EXPLORERS if c.settings], ids=lambda c: c.__name__)
def test_log_sliders_reach_round_values_exactly(cls):
    """A dragged log slider stops at round values (two significant digits, about ``step`` apart in log10), the
    powers of ten in its range among them, and each is accepted as it is (the steepness slider used to send
    9.98 for 10); a typed or default value is kept exactly (the learning rate 0.03 used to become 0.0316228)."""
    e = cls()
    logs = [s for s in e.declared(e.state) if s.log and s.label is not None]
    for s in logs:
        c = e.controls[s.name]
        assert c.value == e.state[s.name] == s.default, s.name
        assert all(s.validate(v) == v == float(f"{v:.2g}") for v in c.grid), s.name
        steps = np.diff(np.log10(c.grid))
        assert steps.max() < 1.6 * s.step and steps.min() > 0.4 * s.step, (s.name, steps.min(), steps.max())
        powers = [10.0 ** p for p in range(-12, 6) if s.low <= 10.0 ** p <= s.high]
        assert powers and all(p in c.grid for p in powers), (s.name, powers, c.grid)
        typed = float(f"{np.sqrt(s.low * s.high) * 1.234567:.4g}")
        c.value = typed
        assert e.state[s.name] == typed, s.name


def test_gradient_flow_trains_a_big_network_after_showing_its_flow(monkeypatch):
    """Deep and wide with training: the flow is on screen before the training starts (it says the
    curves follow), the controls work meanwhile, this network's curve comes in a second frame and the
    reference's in a third."""
    import threading

    from nnlab.views import base

    monkeypatch.setattr(base.Explorer, "background", True)
    e = GradientFlowExplorer(depth=40, width=64, scale=0.9)  # a flow in the frame
    gate = threading.Semaphore(0)  # one training let through per release
    train = gradflow.train
    monkeypatch.setattr(gradflow, "train", _held(train, gate))
    before = e.n_renders
    e.controls["train"].value = True
    assert e.slow(e.state) and e.n_renders == before + 1 and e.result.curves == (None, None)  # the flow, at once
    assert e.hint.get_visible() and "training this network" in e.hint.get_text()
    assert "training both networks in the background" in e.describe()
    np.testing.assert_allclose(e.l_w.get_data()[1], gradflow.gradient_flow(40, 64, "sigmoid", "xavier", 0.9).grad_W,
                               rtol=1e-12)
    assert not e.pending.done()
    gate.release()
    e.pending.result(timeout=120)
    mine, ref = e.result.curves
    assert ref is None and e.n_renders == before + 2 and not e.hint.get_visible()
    assert len(e.l_train.get_data()[1]) == len(mine.loss) and not len(e.l_ref.get_data()[1])
    assert e.ax_t.get_legend().get_texts()[1].get_text().endswith("training…")
    assert "reference: training in the background" in e.describe()
    gate.release()
    e.settle(timeout=120)
    mine, ref = e.result.curves
    assert e.n_renders == before + 3 and len(e.l_ref.get_data()[1]) == len(ref.loss)
    assert "training: loss" in e.describe() and "background" not in e.describe()
    assert e.ax_t.get_legend().get_texts()[1].get_text() == "ReLU + He, residual"
    from nnlab.views.gradflow import train_steps

    assert len(mine.loss) == train_steps(40, 64, 128) == len(e.l_train.get_data()[1])
    # big networks train in float32 (the oracle: tests/test_gradflow.py), the same run as the model's
    expected = train(40, 64, "sigmoid", "xavier", 0.9, False, steps=len(mine.loss), dtype="float32")
    np.testing.assert_allclose(mine.loss, expected.loss, rtol=1e-12)
    # moving on while the training runs: the old job's frame is not drawn over the new state
    e.controls["scale"].value = 1.1
    job = e.pending
    e.controls["train"].value = False
    gate.release()
    job.result(timeout=120)
    assert e.result.curves is None and e.hint.get_text().startswith("tick") and e.state["scale"] == 1.1


def _held(fn, gate):
    def held(*args, **kwargs):
        assert gate.acquire(timeout=120)
        return fn(*args, **kwargs)
    return held


@pytest.mark.fast_renderer
def test_a_kept_text_layout_is_matplotlibs_for_every_property_that_decides_it():
    """Texts with the same string that differ in one property each (alignment, angle, size, line
    spacing, font, multi-line alignment) get matplotlib's own layout, whatever was kept before."""
    from matplotlib.figure import Figure

    from nnlab.views.fastpath import canvas

    fig = Figure(figsize=(4, 3), dpi=90)
    canvas.Canvas(fig)
    renderer = fig.canvas.get_renderer()
    assert renderer._layouts is not None
    variants = [{}, {"ha": "right"}, {"ha": "center"}, {"va": "top"}, {"va": "baseline"}, {"rotation": 90},
                {"rotation": 30, "rotation_mode": "anchor"}, {"fontsize": 14}, {"linespacing": 2.0},
                {"family": "monospace"}, {"weight": "bold"}, {"multialignment": "right"}, {"style": "italic"}]
    for string in ("0.25", "two\nlines of text", "$x_1$ = 3"):
        for props in variants + variants[::-1]:  # each met twice, the second time from what was kept
            text = fig.text(0.3, 0.4, string, **props)
            kept = canvas._kept_layout(text, renderer)
            own = canvas._text_layout(text, renderer)
            assert kept[0].bounds == own[0].bounds and kept[1] == own[1] and kept[2] == own[2], (string, props)
            text.remove()


@pytest.mark.parametrize("cls", [c for c in EXPLORERS if c.resample is not None], ids=lambda c: c.__name__)
def test_a_declared_resample_button_draws_anew_with_the_next_seed(cls):
    """``resample`` (label, tooltip) gives a button that sets seed + 1 and draws a new picture."""
    e = cls()
    before, seed = e.image.value, e.state["seed"]
    e.controls["resample"].click()
    e.settle()
    assert e.state["seed"] == seed + 1 and e.controls["resample"].description == cls.resample[0]
    assert e.image.value != before
