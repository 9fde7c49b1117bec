"""AutodiffTrace: what it shows is what torch.autograd and the curriculum say."""
import math

import pytest
import torch

from nnlab import autodiff as ad
from nnlab.views import AutodiffTrace

pytestmark = pytest.mark.usefixtures("float64_tensors")


def _box(e, name):
    return e.boxes[name].get_text()


def test_stepping_the_lecture_sweep_by_button_ends_at_the_curriculum_gradient():
    e = AutodiffTrace()
    n = e.length
    assert n == 7 + 8 and "nothing computed yet" in e.describe()
    for _ in range(n):
        e.controls["step"].click()
    assert e.state["position"] == n and e.controls["step"].disabled
    assert "∂y/∂x1 = 5.5, ∂y/∂x2 = 1.716" in e.describe()
    assert "= 11.65" in _box(e, "y") and "= 5.5" in _box(e, "x1") and "= 1.716" in _box(e, "x2")
    e.controls["back"].click()
    assert e.state["position"] == n - 1 and "= 5.5" not in _box(e, "x1")  # x1's second contribution undone
    e.controls["reset"].click()
    assert e.state["position"] == 0 and "=" not in _box(e, "v1").replace("v1 = ln", "")


def test_the_plus_equals_steps_are_the_second_uses():
    e = AutodiffTrace()
    said = []
    for p in range(8, e.length + 1):
        e.set(position=p)
        said.append(e.describe())
    plus = [s.split(":")[1].split("+=")[0].strip() for s in said if "+=" in s]
    assert plus == ["adjoint of x2", "adjoint of x1"]  # x1 and x2 are each used twice in f


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_the_network_shows_torch_autograd_s_gradient(mode):
    values = (1.3, -0.4, 0.7, 2.0)
    e = AutodiffTrace(expression="network", in1=values[0], in2=values[1], in3=values[2], in4=values[3], mode=mode,
                      wrt="w2")
    e.set(position=e.length)
    p = torch.tensor(values, requires_grad=True)
    loss = (p[2] * torch.relu(p[0] * 1.0 + p[1]) + p[3] - 1.0) ** 2
    loss.backward()
    grads = dict(zip(("w1", "b1", "w2", "b2"), p.grad.tolist()))
    if mode == "reverse":
        for name, g in grads.items():
            assert f"∂L/∂{name} = {g + 0.0:.4g}" in e.describe()
    else:
        assert f"∂L/∂w2 = {grads['w2']:.4g}" in e.describe()


def test_changing_inputs_keeps_the_step_and_a_new_expression_starts_over():
    e = AutodiffTrace(position=10)
    e.controls["in1"].value = 2.5
    assert e.state["position"] == 10 and "x1 = an input" not in e.describe()
    e.controls["expression"].value = "reuse"
    assert e.state["position"] == 0 and e.state["in1"] == 3.0  # a: the reuse example's own default
    assert e.controls["in1"].description == "a" and e.controls["in2"].layout.display == "none"
    e.set(position=e.length)
    assert "∂c/∂a = 24" in e.describe()  # c = (a + a)², dc/da = 8a


def test_every_expression_after_every_other_draws():
    """Switching back and forth between expressions rebuilds the graph cleanly (a value used twice once
    left an arrow behind that broke the next drawing)."""
    e = AutodiffTrace()
    names = ["lecture", "network", "neuron", "reuse"]
    for a in names:
        for b in names:
            e.controls["expression"].value = a
            e.controls["expression"].value = b
            e.set(position=e.length)
    assert e.errors == []
    boxes = [t for t in e.ax.texts if t.get_text()]
    arrows = [t for t in e.ax.texts if not t.get_text()]  # annotations without text
    assert len(boxes) == len(e.result.trace.nodes) and len(arrows) == len(e.arrows) == 2  # a -> b, b -> c


def test_your_own_function_is_traced_and_agrees_with_torch():
    def f(p, q):
        return ad.tanh(p * q) + ad.exp(p) / q

    e = AutodiffTrace(f=f, inputs=(0.5, 2.0))
    assert e.state["expression"] == "custom" and e.controls["in1"].description == "p"
    e.set(position=e.length)
    t = torch.tensor([0.5, 2.0], requires_grad=True)
    (torch.tanh(t[0] * t[1]) + torch.exp(t[0]) / t[1]).backward()
    dp, dq = t.grad.tolist()
    assert f"∂y/∂p = {dp:.4g}, ∂y/∂q = {dq:.4g}" in e.describe()
    assert math.isclose(dp, math.cosh(1.0) ** -2 * 2 + math.exp(0.5) / 2)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="^in1: "):
        AutodiffTrace(in1=0.0)  # x1 must be > 0 (ln x1): the slider's range starts at 0.1
    with pytest.raises(ValueError, match="^inputs: "):
        AutodiffTrace(f=lambda a, b: a * b, inputs=(1.0,))
    with pytest.raises(ValueError, match="^wrt: "):
        AutodiffTrace(mode="forward", wrt="v2")
