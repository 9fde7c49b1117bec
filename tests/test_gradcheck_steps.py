"""Finite differences against the step h: the truncation error from Taylor's theorem, and the V shape
whose bottom sits near ε^(1/2) (one-sided) and ε^(1/3) (central), ε the machine epsilon (L04)."""
import numpy as np
import pytest

from nnlab.gradcheck import best_step, difference_quotient, error_against_h

HS = np.logspace(-1, -12, 45)


@pytest.mark.parametrize("kind, power, coefficient",
                         [("forward", 1, -np.sin(1.0) / 2), ("central", 2, -np.cos(1.0) / 6)])
def test_the_truncation_error_is_the_taylor_term(kind, power, coefficient):
    """sin at x = 1: forward (f(x+h) - f(x))/h - f' ≈ f''/2 h; central ≈ f'''/6 h² (f'' = -sin, f''' = -cos)."""
    for h in (1e-2, 3e-3, 1e-3):
        signed = float(difference_quotient(np.sin, np.float64(1.0), h, kind)) - np.cos(1.0)
        assert signed == pytest.approx(coefficient * h**power, rel=0.02)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind, root", [("forward", 2), ("central", 3)])
def test_the_best_step_is_near_a_root_of_machine_epsilon(dtype, kind, root):
    errors = error_against_h(np.sin, np.cos, 1.0, HS, dtype, kind)
    best = HS[int(np.argmin(errors))]
    eps = np.finfo(dtype).eps
    assert eps ** (1 / root) / 10 < best < eps ** (1 / root) * 10
    assert errors[0] > 10 * errors.min() and errors[-1] > 10 * errors.min()  # both arms of the V


def test_float64_central_differences_reach_relative_error_1e_7_or_better():
    errors = error_against_h(np.exp, np.exp, 0.3, [1e-5], np.float64, "central")
    assert errors[0] / np.exp(0.3) < 1e-7


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="^kind: "):
        difference_quotient(np.sin, 1.0, 1e-3, "backward")
    with pytest.raises(ValueError, match="^dtype: "):
        error_against_h(np.sin, np.cos, 1.0, HS, np.float16)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind, root", [("forward", 2), ("central", 3)])
def test_the_best_step_of_a_fine_grid_ignores_lucky_single_steps(dtype, kind, root):
    hs = np.logspace(-1, -12, 111)
    errors = error_against_h(np.sin, np.cos, 1.0, hs, dtype, kind)
    eps = np.finfo(dtype).eps
    assert eps ** (1 / root) / 10 < best_step(hs, errors) < eps ** (1 / root) * 10
