"""View tests in plain Python: every control of every explorer changes state and image."""
import json

import numpy as np
import pytest

from nnlab import neuron
from nnlab.views import EXPLORERS, ActivationExplorer
from nnlab.views.testing import other_value, valued_controls


@pytest.mark.parametrize("cls", list(EXPLORERS), ids=lambda c: c.__name__)
def test_every_control_updates_state_and_image(cls):
    e = cls()
    assert e.n_renders == 1 and e.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    for name, control in valued_controls(e):
        before_png, before_n, before_text = e.image.value, e.n_renders, e.describe()
        new = other_value(control)
        control.value = new
        assert e.state[name] == new, name
        assert e.n_renders == before_n + 1, name
        assert e.image.value != before_png, f"{name}: image did not change"
        assert e.caption.value and e.describe() != before_text, name


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
