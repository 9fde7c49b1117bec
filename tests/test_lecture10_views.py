"""Lecture 10's explorers (RNNUnroller, RotationProjection) show what the models compute: each panel against
``nnlab.rnn`` and ``nnlab.rotations`` called directly, and against independent oracles (PyTorch's autograd
through an unrolled torch.nn.RNN, matrix powers, scipy's Rotation.align_vectors and orthogonal_procrustes,
NumPy's det and norms)."""
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
from scipy.linalg import orthogonal_procrustes
from scipy.spatial.transform import Rotation

from nnlab import rnn
from nnlab.views import RNNUnroller, RotationProjection
from nnlab.views import rotation as rotation_view
from nnlab.views import unroller
from nnlab.views.testing import random_use

# ------------------------------------------------------------------ RNNUnroller


def parameters(H, rho, kind, seed):
    """The explorer's network as its docstring says: torch-like random weights, W_hh of spectral radius rho."""
    p = rnn.init_params(1, H, 1, seed=seed)
    return p._replace(W_hh=rnn.recurrent_matrix(H, rho, seed=seed, kind=kind))


def sequence(pattern, T, seed):
    t = np.arange(1, T + 1)
    return {"pulse": (t == 1) * 1.0, "step": np.ones(T), "sine": np.sin(2 * np.pi * t / 12),
            "noise": np.random.default_rng((seed, 1)).standard_normal(T)}[pattern]


def shown(line):
    """A line's y values with the gaps (nan) as 0: what was not drawn on the log scale."""
    return np.nan_to_num(np.asarray(line.get_ydata(), float), nan=0.0)


@pytest.mark.parametrize("settings", [{}, dict(activation="relu", rho=1.4, pattern="sine", T=45, hidden=8, seed=3),
                                      dict(activation="linear", rho=0.7, pattern="noise", kind="orthogonal", seed=5)])
def test_the_heat_map_is_the_hidden_states_of_the_model(settings):
    e = RNNUnroller(**settings)
    s = e.state
    p = parameters(s["hidden"], s["rho"], s["kind"], s["seed"])
    assert np.max(np.abs(np.linalg.eigvals(p.W_hh))) == pytest.approx(s["rho"], rel=1e-12)
    x = sequence(s["pattern"], s["T"], s["seed"])
    fw = rnn.forward(p, x[:, None], nonlinearity=s["activation"])
    np.testing.assert_array_equal(e.heat.get_array(), fw.h.T)                  # units x time, h_0 included
    assert e.heat.get_extent() == [-0.5, s["T"] + 0.5, 0.5, s["hidden"] + 0.5]
    np.testing.assert_array_equal(e.l_x.get_data(), [np.arange(1, s["T"] + 1), x])
    # the colour scale holds every state, symmetric about 0 (white)
    lo, hi = e.heat.get_clim()
    assert lo == -hi and np.abs(fw.h).max() <= hi < 2.5 * np.abs(fw.h).max()


def torch_norms(p, x, nonlinearity):
    """‖dL/dh_t‖ for t = 0..T by PyTorch's autograd through torch.nn.RNNCell, unrolled, L = y^_T."""
    import torch

    H = p.W_hh.shape[0]
    cell = torch.nn.RNNCell(1, H, nonlinearity=nonlinearity, dtype=torch.float64)
    with torch.no_grad():
        cell.weight_ih.copy_(torch.tensor(p.W_hx))
        cell.weight_hh.copy_(torch.tensor(p.W_hh))
        cell.bias_ih.copy_(torch.tensor(p.b))
        cell.bias_hh.zero_()
    hs = [torch.zeros(1, H, dtype=torch.float64, requires_grad=True)]
    for t in range(len(x)):
        hs.append(cell(torch.tensor([[x[t]]]), hs[-1]))
        hs[-1].retain_grad()
    loss = (hs[-1] @ torch.tensor(p.W_yh).T + torch.tensor(p.c)).sum()
    loss.backward()
    return np.array([float(h.grad.norm()) for h in hs])


@pytest.mark.parametrize("activation, rho", [("tanh", 0.9), ("relu", 1.3), ("tanh", 2.5)])
def test_the_gradient_line_is_backpropagation_through_time_and_pytorchs(activation, rho):
    e = RNNUnroller(activation=activation, rho=rho, T=40, hidden=12, pattern="sine", seed=1)
    p = parameters(12, rho, "gaussian", 1)
    x = sequence("sine", 40, 1)[:, None]
    norms = rnn.last_step_gradient_norms(p, x, nonlinearity=activation)
    np.testing.assert_array_equal(e.l_norm.get_xdata(), np.arange(41))
    np.testing.assert_array_equal(shown(e.l_norm), norms)
    np.testing.assert_allclose(norms, torch_norms(p, x[:, 0], activation), rtol=1e-10, atol=1e-300)
    # the linear network's norms, drawn as the reference: the closed form |(W_hh^T)^k dL/dh_T|, k = T - t
    g = p.W_yh[0]
    closed = [np.linalg.norm(np.linalg.matrix_power(p.W_hh.T, 40 - t) @ g) for t in range(41)]
    np.testing.assert_allclose(shown(e.l_linear), closed, rtol=1e-10)
    np.testing.assert_allclose(shown(e.l_guide), rho ** (40 - np.arange(41)) * norms[-1], rtol=1e-12)


def test_a_linear_network_with_an_orthogonal_w_hh_follows_rho_to_the_k_exactly():
    """W_hh = rho Q: every singular value is rho, so |(W_hh^T)^k g| = rho^k |g|: the three lines are one."""
    e = RNNUnroller(activation="linear", kind="orthogonal", rho=1.0, T=50, pattern="step")
    for line in (e.l_norm, e.l_linear):
        np.testing.assert_allclose(shown(line), shown(e.l_guide), rtol=1e-12)
    assert e._ratio() == pytest.approx(1.0, rel=1e-12)
    text = e.describe()
    assert "neither vanishing nor exploding over 50 steps" in text and "exactly the closed form" in text
    assert e.ax_g.get_title().endswith("= 1: within 100×")


@pytest.mark.parametrize("settings, word", [
    ({}, "vanishing"), (dict(rho=0.5, activation="linear"), "vanishing"), (dict(rho=1.5, activation="linear"),
                                                                           "exploding"),
    (dict(rho=3.0, activation="relu", T=60, pattern="noise"), "exploding")])
def test_the_caption_says_what_the_gradient_does_with_its_numbers(settings, word):
    e = RNNUnroller(**settings)
    norms = e.result.norms
    ratio = norms[0] / norms[-1]
    s = e.state
    text = e.describe()
    assert text.startswith(f"ρ = {s['rho']:g}, {s['activation']}, ")
    assert f"the gradient reaching t = 0 is {ratio:.2g} times the one at t = {s['T']} ({word}: " in text, text
    assert f"× {ratio ** (1 / s['T']):.3g} per step on average; ρ^{s['T']} = {s['rho'] ** s['T']:.2g})" in text
    assert (ratio < 1e-2) if word == "vanishing" else (ratio > 1e2)
    assert e.ax_g.get_title().endswith(f"= {ratio:.2g}: {word}")
    assert f"|h| = {np.abs(e.result.h).max():.2g}" in text


def test_the_default_tanh_network_vanishes_faster_than_rho_to_the_k():
    """tanh's slope 1 - h^2 < 1 takes a share at every step: below the linear network's closed form."""
    e = RNNUnroller()    # rho = 0.9, tanh, T = 30
    assert np.all(shown(e.l_norm)[:-1] < shown(e.l_linear)[:-1])
    assert e.result.norms[0] / e.result.norms[-1] < 0.9 ** 30 / 100


def test_a_gradient_stopped_by_relus_is_said_to_be_exactly_zero():
    e = RNNUnroller(activation="relu", rho=0.1, hidden=4)
    assert e.result.norms[0] == 0 and np.all(e.result.norms[1:] > 0)
    assert np.isnan(e.l_norm.get_ydata()[0]) and e.zero_note.get_visible()
    assert e.zero_note.get_text() == "‖∂L/∂h_t‖ = 0 at t = 0: not drawn (log scale)"
    assert "the gradient reaching t = 0 is exactly 0: at t = 1 every ReLU unit it reaches is off" in e.describe()
    assert "exactly: vanished" in e.ax_g.get_title()
    e.set(activation="tanh")
    assert not e.zero_note.get_visible() and "vanishing" in e.describe()


def test_an_overflowed_run_is_said_not_warned(monkeypatch):
    """rho <= 3 and T <= 60 stay below float64's range (3^60 ~ 4e28); a run that overflows all the same (inf and
    nan, as rnn returns them) is drawn without warnings and said in the caption."""
    real = unroller.unroll

    def overflowing(*args):
        r = real(*args)
        h, norms = r.h.copy(), r.norms.copy()
        h[-5:] = np.inf
        h[-1, 0] = np.nan
        norms[:10] = np.inf
        norms[:3] = np.nan
        return SimpleNamespace(**{**vars(r), "h": h, "norms": norms})

    monkeypatch.setattr(unroller, "unroll", overflowing)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        e = RNNUnroller(rho=2.9, activation="linear", seed=11)
        text = e.describe()
    assert "overflowed" in text and "(drawn black)" in text and "overflow" in e.ax_g.get_title()
    assert np.all(np.isfinite(e.ax_g.get_ylim())) and np.all(np.isfinite(e.heat.get_clim()))
    assert unroller.regime(np.inf) == unroller.regime(np.nan) == "overflow"


def test_no_warning_escapes_at_the_extremes():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        e = RNNUnroller()
        for settings in (dict(T=60, hidden=32, rho=3.0, activation="linear", pattern="step"),
                         dict(rho=0.1, activation="relu", pattern="noise"), dict(T=1, hidden=1),
                         dict(T=60, rho=3.0, activation="relu", kind="orthogonal"),
                         dict(T=60, rho=0.1, activation="tanh", hidden=32)):
            e.set(**settings)
            assert e.describe() and not e.errors
        for _ in random_use(e, np.random.default_rng(7), 20):
            assert not e.errors


def test_new_weights_button_and_bad_settings():
    e = RNNUnroller()
    before = e.heat.get_array().copy()
    e.controls["resample"].click()
    assert e.state["seed"] == 1 and not np.array_equal(e.heat.get_array(), before)
    for bad, message in ((dict(T=0), r"^T: expected an integer in \[1, 60\], got 0"),
                         (dict(hidden=33), r"^hidden: expected an integer in \[1, 32\], got 33"),
                         (dict(rho=3.5), r"^rho: expected a number <= 3"),
                         (dict(activation="sigmoid"), r"^activation: expected one of 'tanh', 'relu', 'linear'"),
                         (dict(pattern="square"), r"^pattern: expected one of 'pulse', 'step', 'sine', 'noise'"),
                         (dict(kind="normal"), r"^kind: expected one of 'gaussian', 'orthogonal'"),
                         (dict(seed=-1), r"^seed: expected an integer in \[0, inf\]")):
        with pytest.raises(ValueError, match=message):
            RNNUnroller(**bad)


@pytest.mark.fast_renderer
def test_random_use_keeps_the_panels_where_they_are():
    """Colour key, input and gradient labels of one width whatever the range: no frame moves a panel, so none is
    drawn whole (before: 8 full draws in 90 actions, each 2-4 times a plain draw)."""
    for seed in range(2):
        e = RNNUnroller()
        positions = [tuple(ax.get_position().bounds) for ax in e.fig.axes]
        full = e.renderer.n_full
        done = list(random_use(e, np.random.default_rng(seed), 30))
        assert any(what.startswith("rho") for what in done) and any(what.startswith("pattern") for what in done)
        np.testing.assert_allclose([tuple(ax.get_position().bounds) for ax in e.fig.axes], positions, atol=1e-9)
        assert e.renderer.n_full == full, done


# ------------------------------------------------------------------ RotationProjection


def true_and_output(angle, axis, noise, mirror, seed):
    """The explorer's matrices as its docstring says, the rotation from scipy (a rotation vector)."""
    v = np.asarray(rotation_view.AXIS_VECTORS[axis])
    R0 = Rotation.from_rotvec(np.radians(angle) * v / np.linalg.norm(v)).as_matrix()
    M = R0 @ np.diag([1, 1, -1 if mirror else 1]) + noise * np.random.default_rng(seed).standard_normal((3, 3))
    return R0, M


def scipy_projection(M, fix):
    """The closest rotation (fix) by Kabsch's alignment of the columns of M with the axes e_i (it maximises
    tr(Rᵀ M)), or the closest orthogonal matrix (no fix) by orthogonal Procrustes (min ‖I Ω − M‖)."""
    if fix:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")     # scipy warns of an ill-posed alignment (s2 = s3)
            return Rotation.align_vectors(M.T, np.eye(3))[0].as_matrix()
    return orthogonal_procrustes(np.eye(3), M)[0]


def angles(A, B):
    return np.degrees([np.arccos(np.clip(A[:, j] @ B[:, j] / np.linalg.norm(A[:, j]) / np.linalg.norm(B[:, j]), -1,
                                         1)) for j in range(3)])


def readout(e):
    return [[cell.get_text() for cell in row] for row in e.cells]


@pytest.mark.parametrize("settings", [{}, dict(angle=135.0, axis="y", noise=0.7, seed=4),
                                      dict(angle=30.0, axis="z", noise=0.5, mirror=True, seed=1),
                                      dict(angle=90.0, axis="x", noise=0.6, mirror=True, fix=False, seed=3)])
def test_the_frames_and_readouts_are_scipys_and_numpys(settings):
    e = RotationProjection(**settings)
    s = e.state
    R0, M = true_and_output(s["angle"], s["axis"], s["noise"], s["mirror"], s["seed"])
    C = scipy_projection(M, s["fix"])
    np.testing.assert_allclose(e.result.R0, R0, atol=1e-12)
    np.testing.assert_allclose(e.result.M, M, atol=1e-12)
    np.testing.assert_allclose(e.result.C, C, atol=1e-9)
    # the drawn arrows: from 0 to each column (a column of M longer than 1.5 shortened to 1.5)
    for frame, X in (("true", R0), ("proj", C), ("noisy", M)):
        for j, line in enumerate(e.lines[frame]):
            xs, ys, zs = line.get_data_3d()
            tip = X[:, j] * min(1.0, 1.5 / np.linalg.norm(X[:, j]))
            np.testing.assert_allclose([xs[0], ys[0], zs[0]], 0, atol=0)
            np.testing.assert_allclose([xs[1], ys[1], zs[1]], tip, atol=1e-9)
    I3, C = np.eye(3), e.result.C     # scipy's C and the explorer's differ in their last bits: its own is read
    orth = [np.linalg.norm(M.T @ M - I3), np.linalg.norm(C.T @ C - I3)]
    dets = [np.linalg.det(M), np.linalg.det(C)]
    errs = [angles(M, R0).max(), angles(C, R0).max()]
    assert readout(e) == [[f"{orth[0]:.2g}", f"{orth[1]:.1e}".replace("-", "−")],
                          [f"{d:.3f}".replace("-", "−") for d in dets], [f"{a:.1f}°" for a in errs]]
    assert orth[1] < 1e-14 and abs(abs(dets[1]) - 1) < 1e-12
    text = e.describe()
    assert f"‖MᵀM − I‖ = {orth[0]:.2g}, det M = {dets[0]:.3g}, its columns up to {errs[0]:.1f}°" in text
    if dets[1] > 0:    # the angle of R_0ᵀ C, as scipy measures a rotation
        theirs = np.degrees(Rotation.from_matrix(R0.T @ C).magnitude())
        assert e.result.rotation_error == pytest.approx(theirs, abs=1e-9)
        assert f"is a rotation (det = +1, ‖CᵀC − I‖ = {orth[1]:.1g}), {theirs:.1f}° from the true one" in text


def test_without_the_fix_a_noisy_output_can_project_to_a_reflection():
    """σ = 1, seed 2: det M < 0 from noise alone. Without the fix U Vᵀ mirrors space (det −1); with it, the same M
    gives the closest rotation."""
    e = RotationProjection(noise=1.0, seed=2, fix=False)
    R0, M = true_and_output(60.0, "xyz", 1.0, False, 2)
    assert np.linalg.det(M) < 0
    assert np.linalg.det(e.result.C) == pytest.approx(-1.0, abs=1e-12)
    np.testing.assert_allclose(e.result.C, orthogonal_procrustes(np.eye(3), M)[0], atol=1e-12)
    text = e.describe()
    assert f"gave a reflection (det = −1), not a rotation, because det M = {np.linalg.det(M):.3g} < 0" in text
    assert e.verdict.get_text().startswith("C is a REFLECTION (det C = −1), not a rotation")
    assert e.result.rotation_error is None and "reflection: no angle" in e.details.get_text()
    e.controls["fix"].value = True
    assert np.linalg.det(e.result.C) == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(e.result.C, scipy_projection(M, True), atol=1e-9)
    assert "det M = " in e.describe() and "the fix flips the axis of M's smallest singular value" in e.describe()
    assert "reflection" not in e.verdict.get_text() and "the fix flipped" in e.verdict.get_text()


def test_the_mirrored_output_is_a_reflection_preset():
    e = RotationProjection(fix=False)
    e.controls["mirror"].value = True
    assert e.result.det[0] < 0 and e.result.det[1] == pytest.approx(-1.0)
    assert "gave a reflection (det = −1), not a rotation" in e.describe()


def test_an_undecided_projection_is_caught_and_said_not_warned():
    """A mirrored output without noise: det M = −1 and s1 = s2 = s3, so which axis to flip is undecided
    (margin 0): the model's UnstableProjection is said in the caption and the readout, also when the result
    comes from the cache (a second explorer)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(2):
            e = RotationProjection(mirror=True, noise=0.0)
            assert e.result.unstable is not None and "unstable projection" in e.result.unstable
            assert "The projection is unstable (UnstableProjection)" in e.describe()
            assert e.verdict.get_text().startswith("UNSTABLE")
            assert np.linalg.det(e.result.C) == pytest.approx(1.0)   # a rotation all the same
        e.set(noise=0.05)
        assert e.result.unstable is None and "unstable" not in e.describe()
        for _ in random_use(e, np.random.default_rng(3), 25):
            assert not e.errors


def test_no_noise_gives_back_the_true_rotation_and_the_buttons_and_checks():
    e = RotationProjection(noise=0.0, angle=180.0, axis="x")
    np.testing.assert_allclose(e.result.C, np.diag([1.0, -1.0, -1.0]), atol=1e-12)
    assert not any(line.get_visible() for line in e.lines["noisy"])        # M is R_0: nothing more to draw
    assert "0.0° from the true one" in e.describe()
    e.controls["resample"].click()
    assert e.state["seed"] == 1
    for bad, message in ((dict(angle=200.0), r"^angle: expected a number <= 180"),
                         (dict(axis="w"), r"^axis: expected one of 'x', 'y', 'z', 'xyz'"),
                         (dict(noise=-0.1), r"^noise: expected a number >= 0"),
                         (dict(seed=1.5), r"^seed: expected an integer")):
        with pytest.raises(ValueError, match=message):
            RotationProjection(**bad)
