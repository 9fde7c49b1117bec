"""Defects found by operating the explorers in a browser (issue #13, section 3), each with a test that
would have caught it: against the model, a closed form or an independent computation."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from matplotlib.text import Text

from nnlab import approx, authoring, gradflow
from nnlab.views import (EXPLORERS, ActivationExplorer, GradientFlowExplorer, HiddenUnitsExplorer, OptimizerRace,
                         PerceptronStepper, TowerDesigner, TowerExplorer)
from nnlab.views.base import OKABE_ITO
from nnlab.words import number, plural

ROOT = Path(__file__).resolve().parent.parent
REGIMES = ("vanishing", "exploding", "healthy")


# ------------------------------------------------------------------ 1. gradient flow


def _said(text):
    """The regimes a text names."""
    return {r for r in REGIMES if r in text}


def _longdouble_norm(a):
    """The Frobenius norm in extended precision (exponents to 1e-4951): squares of 1e-200 do not underflow."""
    a = np.asarray(a, dtype=np.longdouble)
    return float(np.sqrt(np.sum(a * a)))


@pytest.mark.skipif(np.finfo(np.longdouble).tiny > np.longdouble("1e-400"),
                    reason="needs an extended-precision long double")
def test_tiny_tanh_weights_vanish_without_underflow_in_title_and_caption():
    """tanh, depth 100, width 256, scale 0.01: every layer multiplies the signal by about 0.01, so the
    gradients are about 1e-200: their squares underflowed, the norms came out 0, the ratio 0/0 and the
    title said "overflowed: exploding" while the caption said "vanishing"."""
    s = dict(depth=100, width=256, activation="tanh", init="xavier", scale=0.01)
    e = GradientFlowExplorer(**s)
    flow = e.result.flow
    net = gradflow.build(100, 256, "tanh", "xavier", 0.01, False, seed=0)
    X, y = gradflow.task(128, 0)
    with np.errstate(all="ignore"):
        Z, A, logits = gradflow.forward(net, X)
        _, grads, _, dAs = gradflow.backward(net, X, y, Z, A, logits)
    np.testing.assert_allclose(flow.grad_W, [_longdouble_norm(g[0]) for g in grads], rtol=1e-9)
    np.testing.assert_allclose(flow.grad_A, [_longdouble_norm(d) for d in dAs[1:]], rtol=1e-9)
    assert np.all(flow.grad_W > 0) and flow.signal_ratio < 1e-100
    assert flow.regime() == "vanishing"
    assert _said(e.verdict.get_text()) == _said(e.describe()) == {"vanishing"}, (e.verdict.get_text(), e.describe())
    assert "overflow" not in e.verdict.get_text()


def test_scaled_he_relu_vanishes_by_the_scale_per_layer_and_the_title_shows_that_number():
    """ReLU, He, scale 0.5, 30 layers: ReLU is positively homogeneous and the biases start at 0, so every
    layer multiplies the back-propagated signal by about the scale (lecture 7, experiment 4): 0.5^29 ~ 2e-9
    over the 29 layers from 30 down to 1. The weight gradients stay balanced (ratio ~0.3, every layer's
    shrinks alike), which the title showed next to the word "vanishing"; the title must show the number
    that decides."""
    e = GradientFlowExplorer(depth=30, width=64, activation="relu", init="he", scale=0.5)
    half, one = e.result.flow, gradflow.gradient_flow(30, 64, "relu", "he", 1.0)
    assert 0.5 ** 29 / 4 < half.signal_ratio / one.signal_ratio < 4 * 0.5 ** 29
    assert 1e-2 < half.ratio < 1e2   # balanced weight gradients
    title, caption = e.verdict.get_text(), e.describe()
    assert _said(title) == _said(caption) == {half.regime()} == {"vanishing"}
    assert f"{half.signal_ratio:.2g}" in title and f"{half.signal_ratio:.2g}" in caption
    # at scale 1 the same network is healthy, and says so in both places
    e.set(scale=1.0)
    assert _said(e.verdict.get_text()) == _said(e.describe()) == {"healthy"}


def test_clearly_exploding_network_says_exploding_in_title_and_caption():
    """ReLU, He, scale 2: each layer doubles the signal, 2^29 ~ 5e8 over 30 layers."""
    e = GradientFlowExplorer(depth=30, width=64, activation="relu", init="he", scale=2.0)
    one = gradflow.gradient_flow(30, 64, "relu", "he", 1.0)
    flow = e.result.flow
    assert 2.0 ** 29 / 4 < flow.signal_ratio / one.signal_ratio < 4 * 2.0 ** 29
    assert _said(e.verdict.get_text()) == _said(e.describe()) == {"exploding"}


@pytest.mark.parametrize("setting", [dict(activation="sigmoid", init="normal", scale=0.125, depth=50),
                                     dict(activation="relu", init="normal", scale=2.0, depth=60, width=32),
                                     dict(activation="linear", init="identity", depth=5),
                                     dict(depth=1), dict(activation="tanh", init="xavier", depth=50)])
def test_title_and_caption_come_from_one_diagnosis(setting):
    e = GradientFlowExplorer(**setting)
    d = e.result.flow.diagnosis()
    assert _said(e.verdict.get_text()) == _said(e.describe()) == ({d.regime} if d.regime in REGIMES else set())


def test_gradient_flow_caption_has_no_plural_after_one():
    """The linear network with identity weights passes the signal back unchanged: ratio exactly 1."""
    e = GradientFlowExplorer(activation="linear", init="identity", depth=5)
    assert e.result.flow.signal_ratio == pytest.approx(1.0, rel=1e-12)
    assert not re.search(r"\b1 times\b", e.describe()), e.describe()
    assert "1 layer of" in GradientFlowExplorer(depth=1).describe()


def _legend_covers(ax, lines):
    """Data points of ``lines`` (in display pixels) that fall inside the axes' legend box."""
    ax.figure.canvas.draw()
    box = ax.get_legend().get_window_extent()
    covered = []
    for line in lines:
        x, y = line.get_data()
        pts = ax.transData.transform(np.c_[x, y])
        inside = (pts[:, 0] > box.x0) & (pts[:, 0] < box.x1) & (pts[:, 1] > box.y0) & (pts[:, 1] < box.y1)
        covered += [line.get_label()] * int(inside.sum())
    return covered


@pytest.mark.parametrize("setting", [dict(depth=6, width=16), dict(depth=12, width=16, activation="sigmoid")])
def test_training_legend_does_not_cover_the_training_curves(setting):
    """A flat loss (the deep sigmoid's plateau) ran along the top, under the legend."""
    e = GradientFlowExplorer(train=True, **setting)
    assert not _legend_covers(e.ax_t, [e.l_train, e.l_ref])


# ------------------------------------------------------------------ 2. tower designer


def test_designer_weights_panel_stays_open_and_shows_the_model_weights():
    d = TowerDesigner(target="abs", n=4)
    panel = d.weights_panel
    panel.selected_index = 0          # the student opens it
    d.controls["h1"].value = 0.5      # and moves a slider
    assert panel.selected_index == 0 and panel.children[0] is d.weights
    assert "<details" not in d.weights.value
    # the table is the model's network, row for row (3 significant digits, -0 printed as 0)
    (W1, b1), (W2, b2) = d.result.net.params
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", d.weights.value)
    rows = np.array(cells, dtype=object).reshape(-1, 5)
    assert len(rows) == W1.shape[1]
    for j, row in enumerate(rows):
        assert [float(c) for c in row[1:3]] == pytest.approx([W1[0, j], b1[j]], rel=5e-3, abs=1e-12)
        assert float(row[4]) == pytest.approx(W2[j, 0], rel=5e-3, abs=1e-12)
    # abs on [-1, 1] with 4 towers has a step at x = 0, where b = -w * 0 = -0.0
    assert np.any(np.signbit(b1) & (b1 == 0))
    assert "-0" not in cells and "−0" not in cells
    # every cell padded and right-aligned, so the w and b columns do not run together
    for td in re.findall(r"<t[dh][^>]*>", d.weights.value):
        assert "padding" in td and "text-align:right" in td, td


def test_number_never_prints_negative_zero():
    assert number(-0.0) == "0" and number(-0.0, ".3g") == "0" and number(-1e-20, ".3g") == "-1e-20"
    assert number(-0.0004, ".2f") == "0.00" and number(-0.5, ".3g") == "-0.5"


# ------------------------------------------------------------------ 3. tower explorer, ReLU on |x|


def test_relu_error_against_n_on_abs_is_drawn_at_a_visible_floor():
    """A ReLU spline with an even number of units has a knot at 0, the kink of |x|: it is exact (error 0 or
    rounding), so those points vanished from the log axis and only n = 1 and 3 were left."""
    from nnlab.views.towers import FLOOR

    e = TowerExplorer(target="abs", units="relu", n=8)
    f, interval = approx.TARGETS["abs"]
    ns, mx, mean = approx.error_against_n(f, interval, "relu")
    even = ns % 2 == 0
    assert np.all(mx[even] < 1e-12)                           # exact: knot at 0
    np.testing.assert_allclose(mx[ns == 1], 1.0, rtol=1e-9)   # n = 1: the chord through (-1, 1) and (1, 1)
    xs, ys = e.n_max.get_data()
    np.testing.assert_array_equal(xs, ns)
    np.testing.assert_allclose(ys, np.maximum(mx, FLOOR))
    lo, hi = e.ax_n.get_ylim()
    for line in (e.n_max, e.n_mean):
        y = line.get_data()[1]
        assert np.all(np.isfinite(y)) and np.all((y > lo) & (y < hi)), line.get_label()  # every point in view
    assert e.floor_note.get_visible() and f"{FLOOR:g}" in e.floor_note.get_text()
    assert "exact up to rounding" in e.describe()
    # the per-x error panel too: the exact fit is drawn at the floor, inside the axes
    err = e.l_err.get_data()[1]
    assert np.all(err >= FLOOR) and e.ax_err.get_ylim()[0] < FLOOR
    # a smooth target needs no floor, and says nothing about one
    assert not TowerExplorer(target="sin").floor_note.get_visible()


def test_tower_legend_names_what_the_checkbox_shows():
    e = TowerExplorer(units="relu")
    texts = [t.get_text() for t in e.legend.get_texts()]
    assert "each unit" in texts and "each tower" not in texts
    assert e.controls["show_towers"].description == "show each unit"
    e.controls["units"].value = "sigmoid"
    texts = [t.get_text() for t in e.legend.get_texts()]
    assert "each tower" in texts and e.controls["show_towers"].description == "show each tower"


@pytest.mark.parametrize("setting", [dict(target="sin"), dict(target="abs", units="relu"),
                                     dict(target="bumpy", steepness=200.0)])
def test_error_against_n_legend_covers_no_point(setting):
    e = TowerExplorer(**setting)
    assert not _legend_covers(e.ax_n, [e.n_max, e.n_mean])


# ------------------------------------------------------------------ 4. optimiser race


def test_race_readouts_tell_the_momentum_and_beta_values_apart():
    """d3's ".4f" and ".3f" print like Python's format specs for these values."""
    e = OptimizerRace()
    for name, values in (("beta2", (0.9, 0.999, 0.9999)), ("rho", (0.9, 0.99, 0.999)),
                         ("beta1", (0.9, 0.99, 0.999))):
        fmt = e.controls[name].readout_format
        shown = [format(v, fmt) for v in values]
        assert len(set(shown)) == len(values), (name, shown)
        for v, text in zip(values, shown):
            assert float(text) == pytest.approx(v, abs=1e-12), (name, text)
        e.controls[name].value = values[-1]
        assert e.state[name] == values[-1]


def test_race_legend_lists_only_the_optimisers_shown():
    e = OptimizerRace()
    names = lambda: [t.get_text() for t in e.legend.get_texts()]  # noqa: E731
    assert names() == ["SGD", "momentum", "Adam", "start", "minimum"]
    e.controls["show_Adam"].value = False
    e.controls["show_AdaGrad"].value = True
    assert names() == ["SGD", "momentum", "AdaGrad", "start", "minimum"]
    for n in ("SGD", "momentum", "AdaGrad"):
        e.controls[f"show_{n}"].value = False
    assert names() == ["start", "minimum"] and "no optimiser selected" in e.describe()


def test_race_colours_are_six_distinct_okabe_ito_colours_of_different_hues():
    """SGD and Adam were Okabe-Ito's blue and sky blue: the same hue, told apart by lightness only."""
    from colorsys import rgb_to_hls

    from matplotlib.colors import to_rgb

    e = OptimizerRace(**{f"show_{n}": True for n in ("Nesterov", "AdaGrad", "RMSProp")})
    colours = [matplotlib.colors.to_hex(e.lines[n].get_color()).upper() for n in e.lines]
    assert len(set(colours)) == 6 and set(colours) <= {c.upper() for c in OKABE_ITO.values()}
    hues = [rgb_to_hls(*to_rgb(c))[0] * 360 for c in colours if rgb_to_hls(*to_rgb(c))[2] > 0.2]  # chromatic
    gaps = [min(abs(a - b), 360 - abs(a - b)) for i, a in enumerate(hues) for b in hues[i + 1:]]
    assert min(gaps) > 10, sorted(gaps)


# ------------------------------------------------------------------ 5. activation explorer at w = 0


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_flat_activation_has_plain_tick_labels(activation):
    """w = 0: the output is the constant g(b) and the slope 0; matplotlib labelled the sliver of y it was
    given with an offset ("+1", "1e-5")."""
    e = ActivationExplorer(activation=activation, w=0.0, b=1.0)
    g = {"sigmoid": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh, "relu": lambda z: max(z, 0.0)}[activation]
    np.testing.assert_allclose(e.line_a.get_data()[1], g(1.0), rtol=1e-12)
    np.testing.assert_allclose(e.line_d.get_data()[1], 0.0, atol=0)
    e.fig.canvas.draw()
    for ax, value in ((e.ax_a, g(1.0)), (e.ax_d, 0.0)):
        lo, hi = ax.get_ylim()
        assert lo < value < hi
        assert ax.yaxis.get_offset_text().get_text() == ""
        labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
        assert labels and not any("e" in t or "+" in t for t in labels), labels


# ------------------------------------------------------------------ 6. text size


def _explorers():
    """(class, settings) of the explorers whose texts are measured: made in the test, not at collection (33
    explorers made while collecting cost every pytest run 15 s)."""
    for cls, example in EXPLORERS.items():
        yield cls, {}
        yield cls, example
    yield HiddenUnitsExplorer, {"inputs": 2}
    yield TowerExplorer, {"target": "abs", "units": "relu"}
    yield GradientFlowExplorer, {"depth": 6, "width": 16, "train": True}


@pytest.mark.parametrize("cls, settings", list(_explorers()), ids=lambda p: getattr(p, "__name__", ""))
def test_every_text_is_at_least_9_points(cls, settings):
    e = cls(**settings)
    """At the explorers' dpi (90) 9 pt is 11 px; titles of 8 pt and legends of 7.5 and 8 pt were too small."""
    e.fig.canvas.draw()
    small = [(t.get_text(), t.get_fontsize()) for t in e.fig.findobj(Text)
             if t.get_visible() and t.get_text().strip() and t.get_fontsize() < 9]
    assert not small, small


@pytest.mark.parametrize("weights", [{}, {"wh1": 30.0, "bh1": -30.0, "wo1": 30.0, "wo2": -30.0, "bo": 30.0},
                                     {"wh2": -30.0, "wo3": -30.0, "bo": -30.0}, {"wh3": 0.1, "wo1": 0.0}])
def test_hidden_units_legends_cover_no_curve(weights):
    e = HiddenUnitsExplorer(**weights)
    assert not _legend_covers(e.ax_h, e.h_lines)
    assert not _legend_covers(e.ax_y, e.c_lines + [e.y_line])


# ------------------------------------------------------------------ 7. words


def test_plural():
    assert plural(1, "epoch") == "1 epoch" and plural(2, "epoch") == "2 epochs" and plural(0, "kink") == "0 kinks"
    assert plural(1.5, "time") == "1.5 times" and plural(3, "axis") == "3 axes"


ONE_PLURAL = re.compile(r"(?<![\d.])1 (?:\w+ )?(mistakes|epochs|towers|units|kinks|layers|blocks|steps|points|"
                        r"times|half-planes)\b")


@pytest.mark.parametrize("cls, settings", [
    (TowerExplorer, {"n": 1}), (TowerExplorer, {"n": 1, "units": "relu"}), (TowerDesigner, {"n": 1}),
    (PerceptronStepper, {"max_epochs": 1, "position": 1}), (PerceptronStepper, {"n": 4, "position": 4}),
    (GradientFlowExplorer, {"depth": 1}), (GradientFlowExplorer, {"depth": 1, "residual": True}),
    (HiddenUnitsExplorer, {"inputs": 2, "wh1": 0.0, "w2_1": 0.0, "wh2": 0.0, "w2_2": 0.0})],
    ids=lambda p: getattr(p, "__name__", ""))
def test_one_is_singular_in_captions_and_titles(cls, settings):
    e = cls(**settings)
    texts = [e.describe()] + [t.get_text() for t in e.fig.findobj(Text)]
    bad = [t for t in texts if ONE_PLURAL.search(t)]
    assert not bad, bad


def test_tower_captions_count_in_the_singular():
    assert TowerExplorer(n=1).describe().startswith("1 sigmoid tower (2 hidden units)")
    assert "1 hidden unit (1 kink)" in TowerExplorer(n=1, units="relu").describe()
    assert TowerDesigner(n=1).describe().startswith("your 1 tower:")
    e = PerceptronStepper(max_epochs=1, position=1)
    assert "1 mistake so far" in e.describe() and "at most 1 epoch" in e.settings_text.get_text()


def test_two_input_caption_with_every_weight_zero_says_the_output_is_constant():
    zero = {k: 0.0 for k in HiddenUnitsExplorer(inputs=2).state if k[0] in "wb"}
    e = HiddenUnitsExplorer(inputs=2, **{**zero, "bo": 1.0})
    y = e.result.y
    np.testing.assert_allclose(y, 1 / (1 + np.exp(-1.0)), rtol=1e-12)   # sigma(bo) everywhere
    text = e.describe()
    assert "three" not in text and "half-planes combine" not in text
    assert "same everywhere" in text and "covering 100%" in text
    # one unit with a boundary that the output uses: one half-plane, named
    e.set(wh2=4.0, wo2=5.0, bo=-2.5)
    assert e.describe().startswith("1 hidden half-plane (unit 2) makes a decision region")


def test_every_character_nnlab_prints_is_in_dejavu_sans():
    """✅ and ❌ showed as empty boxes where no emoji font is installed; matplotlib's DejaVu Sans is."""
    from fontTools.ttLib import TTFont

    cmap = TTFont(os.path.join(matplotlib.get_data_path(), "fonts", "ttf", "DejaVuSans.ttf")).getBestCmap()
    missing = {}
    for path in sorted((ROOT / "nnlab").rglob("*.py")):
        chars = {c for c in path.read_text(encoding="utf-8") if c not in "\n\r\t" and ord(c) not in cmap}
        if chars:
            missing[str(path.relative_to(ROOT))] = sorted(chars)
    assert not missing, missing


def test_env_report_columns_never_run_together():
    from nnlab.env import Item, Report

    items = [Item("python", "3.11.7", True, "3.10 or newer"),
             Item("a_package_with_a_very_long_name", "10.20.30.dev4+local", False, "why")]
    lines = str(Report(items)).splitlines()
    assert lines[1].split()[:3] == ["ok", "python", "3.11.7"]
    assert lines[2].split()[:4] == ["!!", "a_package_with_a_very_long_name", "10.20.30.dev4+local", "why"]
    html = Report(items)._repr_html_()
    assert "✓" in html and "✗" in html and "✅" not in html and "❌" not in html


def test_start_sh_turns_jupyterlab_news_off(tmp_path):
    """start.sh writes the course's JupyterLab settings before it starts JupyterLab; JupyterLab's own
    settings reader (jupyterlab_server) then gives fetchNews "false": no news prompt. Only that line of
    start.sh runs here, into a JupyterLab application directory of the test's own."""
    script = (ROOT / "start.sh").read_text().splitlines()
    line = next(i for i, text in enumerate(script) if "write_lab_settings" in text and not text.startswith("#"))
    setup = next(i for i, text in enumerate(script) if "bash .ci/setup.sh" in text)
    start = next(i for i, text in enumerate(script) if "-m jupyterlab" in text)
    assert setup < line < start
    env = dict(os.environ, NNLAB_VENV=sys.prefix, JUPYTERLAB_DIR=str(tmp_path))
    done = subprocess.run(["bash", "-c", script[line]], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    from jupyterlab.commands import get_app_dir
    from jupyterlab_server.settings_utils import get_settings

    schemas = Path(get_app_dir()) / "schemas"
    plugin = "@jupyterlab/apputils-extension:notification"
    # JupyterLab applies overrides to the schema's defaults; the page composes the user's settings over them
    found, _ = get_settings(str(tmp_path / "settings"), str(schemas), str(tmp_path / "user"), plugin)
    assert found["schema"]["properties"]["fetchNews"]["default"] == "false"
    assert "fetchNews" not in found.get("settings", {})
    untouched, _ = get_settings(str(tmp_path / "none"), str(schemas), str(tmp_path / "user"), plugin)
    assert untouched["schema"]["properties"]["fetchNews"]["default"] == "none"  # the prompt, without the file
    # the user's own overrides.json is left alone
    assert not (tmp_path / "settings" / "overrides.json").exists()
    assert json.loads((tmp_path / "settings" / "overrides.d" / "nnlab.json").read_text())[plugin] == {
        "fetchNews": "false"}


# ------------------------------------------------------------------ 8. lecture sources


MAX_CODE_LINE = 88


@pytest.mark.parametrize("path", sorted(authoring.LECTURES.iterdir(), key=str)
                         + sorted(authoring.EXERCISES.iterdir(), key=str), ids=lambda p: p.name)
def test_no_code_line_is_longer_than_88_characters(path):
    """Longer lines are cut off in a notebook at a 1280-px window."""
    if not path.name.endswith(".py"):
        pytest.skip("not a source")
    long = [line for kind, source in authoring.parse_percent(path.read_text(encoding="utf-8")) if kind == "code"
            for line in source.splitlines() if len(line) > MAX_CODE_LINE]
    assert not long, "\n".join(long)
