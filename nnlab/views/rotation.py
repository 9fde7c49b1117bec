"""RotationProjection: a network's raw 3x3 output made into a rotation by projecting it onto SO(3) (lecture 10).

The model is ``nnlab.rotations``: the true rotation is ``rotation_from_axis_angle``, the "network output" is
M = R_0 F + σ G, G with entries N(0, 1) from ``default_rng(seed)`` and F = diag(1, 1, -1) when the output is
mirrored (its third axis flipped), else I. ``project_to_so3`` makes it C = U diag(1, 1, d) Vᵀ, d = det(U Vᵀ)
(the determinant fix), or U Vᵀ without the fix: the closest orthogonal matrix, a reflection when det M < 0. Its
``UnstableProjection`` warning (the two smallest singular values nearly equal with det M < 0: which axis to flip
is undecided) is caught and said in the caption and the readout.
"""
from __future__ import annotations

import warnings
from types import SimpleNamespace

import ipywidgets as widgets
import numpy as np
from matplotlib.lines import Line2D

from .. import rotations
from .base import OKABE_ITO, Explorer, Setting, memo

AXES = (("x axis", "x"), ("y axis", "y"), ("z axis", "z"), ("(1, 1, 1)", "xyz"))
AXIS_VECTORS = {"x": (1.0, 0.0, 0.0), "y": (0.0, 1.0, 0.0), "z": (0.0, 0.0, 1.0), "xyz": (1.0, 1.0, 1.0)}
AXIS_WORDS = {"x": "the x axis", "y": "the y axis", "z": "the z axis", "xyz": "(1, 1, 1)"}
COLUMN_COLOURS = (OKABE_ITO["vermillion"], OKABE_ITO["green"], OKABE_ITO["blue"])
FRAMES = {  # how each frame's three columns are drawn
    "true": {"ls": (0, (5, 2.5)), "lw": 1.6, "marker": "", "label": "true rotation R_0"},
    "noisy": {"ls": ":", "lw": 1.6, "marker": "x", "label": "network output M (its columns)"},
    "proj": {"ls": "-", "lw": 2.6, "marker": "o", "label": "projection C"},
}
LIMIT = 1.5         # the 3-D box: [-1.5, 1.5] on each axis; a longer column of M is drawn shortened to it
VIEW = (22, 38)     # elevation and azimuth (degrees), fixed


def column_angles(A, B):
    """The angle (degrees) between each column of A and the same column of B: how far an output's axes are from the
    true ones, defined for any matrix (a column of length 0 is 90 degrees from everything)."""
    A, B = np.asarray(A, dtype=float), np.asarray(B, dtype=float)
    n = np.linalg.norm(A, axis=0) * np.linalg.norm(B, axis=0)
    cos = np.divide(np.sum(A * B, axis=0), n, out=np.zeros(3), where=n > 0)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def output(angle, axis, noise, mirror, seed):
    """The true rotation R_0 (``angle`` degrees about ``axis``) and the network's output M = R_0 F + σ G."""
    R0 = rotations.rotation_from_axis_angle(AXIS_VECTORS[axis], np.radians(angle))
    F = np.diag([1.0, 1.0, -1.0 if mirror else 1.0])
    return R0, R0 @ F + noise * np.random.default_rng(seed).standard_normal((3, 3))


def projection(angle, axis, noise, mirror, fix, seed):
    """M projected by ``rotations.project_to_so3`` (``fix``: the determinant fix), its ``UnstableProjection``
    warning caught (its message, or None), and the readouts: ‖XᵀX − I‖, det X and each column's angle to the true
    axis, for X = M and X = C, and the angle of the rotation R_0ᵀ C (None when C is a reflection)."""
    R0, M = output(angle, axis, noise, mirror, seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", rotations.UnstableProjection)
        p = rotations.project_to_so3(M, fix_det=fix)
    unstable = next((str(w.message) for w in caught if issubclass(w.category, rotations.UnstableProjection)), None)
    for w in caught:   # anything else is not ours to swallow
        if not issubclass(w.category, rotations.UnstableProjection):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    C = p.R
    det_C = float(np.linalg.det(C))
    return SimpleNamespace(
        R0=R0, M=M, C=C, s=p.s, d=float(p.d), gap=float(p.gap), unstable=unstable,
        orth=(float(rotations.orthogonality_error(M)), float(rotations.orthogonality_error(C))),
        det=(float(np.linalg.det(M)), det_C), angles=(column_angles(M, R0), column_angles(C, R0)),
        rotation_error=float(np.degrees(rotations.rotation_angle(R0, C))) if det_C > 0 else None)


def shortened(v):
    """A column drawn in the box: shortened to LIMIT if it is longer, and whether it was."""
    n = float(np.linalg.norm(v))
    return (v * (LIMIT / n), True) if n > LIMIT else (v, False)


class RotationProjection(Explorer):
    """A true rotation (three axes), a noisy 3x3 "network output" M near it, and M projected onto the rotations by
    the SVD: C = U diag(1, 1, det UVᵀ) Vᵀ, the closest rotation. Without the determinant fix the projection U Vᵀ is
    the closest orthogonal matrix, which is a reflection (det −1) when det M < 0: a mirrored frame, not a rotation.
    """

    figsize = (9.8, 4.4)

    settings = (
        Setting("angle", 60.0, "true rotation: angle θ (°)", low=0.0, high=180.0, step=5.0),
        Setting("axis", "xyz", "about", options=AXES, width="170px"),
        Setting("noise", 0.3, "noise σ", low=0.0, high=1.0, step=0.01),
        Setting("mirror", False, "mirrored output (third axis flipped)", width="270px"),
        Setting("fix", True, "determinant fix d = det(UVᵀ)", width="230px"),
        Setting("seed", 0, low=0, integer=True),
    )

    resample = ("new noise", "draw new noise G (seed + 1)")

    def layout(self):
        c = self.controls
        rows = [widgets.HBox([c[n] for n in names], layout={"flex_flow": "row wrap"})
                for names in (("angle", "axis"), ("noise", "resample", "mirror", "fix"))]
        return widgets.VBox([*rows, self.image, self.caption])

    # ------------------------------------------------------------------ model
    def compute(self, s):
        return memo(projection, s["angle"], s["axis"], s["noise"], s["mirror"], s["fix"], s["seed"])

    # ------------------------------------------------------------------ figure
    def setup(self, fig):
        axes = fig.subplot_mosaic([["3d", "table"]], width_ratios=[1.2, 1.0],
                                  per_subplot_kw={"3d": {"projection": "3d", "computed_zorder": False}})
        self.ax3, self.ax_t = axes["3d"], axes["table"]
        a = self.ax3
        a.view_init(*VIEW)
        a.set(xlim=(-LIMIT, LIMIT), ylim=(-LIMIT, LIMIT), zlim=(-LIMIT, LIMIT), xlabel="x", ylabel="y", zlabel="z")
        a.set_box_aspect((1, 1, 1), zoom=1.0)
        for axis in (a.xaxis, a.yaxis, a.zaxis):
            axis.set_ticks([-1, 0, 1])
        a.set_title("the three frames (columns as arrows from 0)", y=1.0, pad=0, fontsize=10)
        self.lines = {}
        for frame, style in FRAMES.items():
            self.lines[frame] = [a.plot([0, 1], [0, 0], [0, 0], color=colour, ls=style["ls"], lw=style["lw"],
                                        marker=style["marker"], markevery=[1], ms=6, mew=1.5, zorder=z + 2)[0]
                                 for colour, z in zip(COLUMN_COLOURS, range(3))]
        t = self.ax_t
        t.set_axis_off()
        t.set_xlim(0, 1)
        t.set_ylim(0, 1)
        self.title = t.set_title("", y=1.0, pad=4, fontsize=10)
        rows = ("‖XᵀX − I‖", "det X", "largest axis error")
        cols = (0.62, 0.97)
        t.text(cols[0], 0.93, "output M", ha="right", fontsize=10, fontweight="bold")
        t.text(cols[1], 0.93, "projection C", ha="right", fontsize=10, fontweight="bold")
        self.cells = []
        for i, row in enumerate(rows):
            y = 0.82 - 0.1 * i
            t.text(0.0, y, row, fontsize=10)
            self.cells.append([t.text(c, y, "", ha="right", fontsize=10) for c in cols])
        t.plot([0, 1], [0.89, 0.89], color="0.5", lw=0.8)
        self.details = t.text(0.0, 0.52, "", fontsize=10, va="top", linespacing=1.45)
        self.verdict = t.text(0.0, 0.06, "", fontsize=10, va="bottom", fontweight="bold", linespacing=1.3)
        handles = [Line2D([], [], color="black", ls=st["ls"], lw=st["lw"], marker=st["marker"], ms=6, mew=1.5,
                          label=st["label"]) for st in FRAMES.values()]
        handles += [Line2D([], [], color=c, lw=4, label=f"column {i + 1} (the frame's {name} axis)")
                    for i, (c, name) in enumerate(zip(COLUMN_COLOURS, "xyz"))]
        fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=9, frameon=False)

    def draw(self, r):
        s = self._state
        cut = False
        for frame, X in (("true", r.R0), ("noisy", r.M), ("proj", r.C)):
            for j, line in enumerate(self.lines[frame]):
                v, short = shortened(X[:, j])
                cut |= short and frame == "noisy"
                line.set_data_3d([0.0, v[0]], [0.0, v[1]], [0.0, v[2]])
            for line in self.lines[frame]:
                line.set_visible(frame != "noisy" or s["noise"] > 0 or s["mirror"])
        (orth_M, orth_C), (det_M, det_C), (ang_M, ang_C) = r.orth, r.det, r.angles
        for cells, values in zip(self.cells, ((f"{orth_M:.2g}", f"{orth_C:.1e}"), (f"{det_M:.3f}", f"{det_C:.3f}"),
                                               (f"{ang_M.max():.1f}°", f"{ang_C.max():.1f}°"))):
            for cell, value in zip(cells, values):
                cell.set_text(value.replace("-", "−"))
        method = "C = U diag(1, 1, d) Vᵀ" if s["fix"] else "C = U Vᵀ (no determinant fix)"
        self.title.set_text(f"M = U diag(s) Vᵀ  →  {method}")
        margin = "(s₂ + d s₃) / s₁" if s["fix"] else "s₃ / s₁"
        rot = (f"C is {r.rotation_error:.1f}° from R_0 (the angle of R_0ᵀC)" if r.rotation_error is not None
               else "R_0ᵀC is a reflection: no angle takes R_0 to C")
        short = f"\n(columns of M longer than {LIMIT:g} are drawn shortened to {LIMIT:g})" if cut else ""
        details = (f"singular values of M: s = {r.s[0]:.3f}, {r.s[1]:.3f}, {r.s[2]:.3f}\n"
                   f"d = det(UVᵀ) = {r.d:+.0f}; margin {margin} = {r.gap:.2g}\n{rot}{short}")
        self.details.set_text(details.replace("-", "−"))
        self.verdict.set_text(self._verdict().replace("-", "−"))

    def _verdict(self):
        r, s = self.result, self._state
        if r.unstable:
            return "UNSTABLE: det M < 0 and s₂ ≈ s₃, which axis to\nflip is undecided: C may jump (see caption)"
        if r.det[1] < 0:
            return "C is a REFLECTION (det C = −1), not a rotation:\ntick the determinant fix"
        if r.det[0] < 0:
            return "det M < 0: the fix flipped the axis of the\nsmallest singular value, C is a rotation"
        return "C is a rotation (det C = +1)" + ("" if s["fix"] else ":\ndet M > 0, so U Vᵀ needs no fix")

    def describe(self):
        s, r = self._state, self.result
        (orth_M, orth_C), (det_M, det_C), (ang_M, ang_C) = r.orth, r.det, r.angles
        mirror = " mirrored (third axis flipped)" if s["mirror"] else ""
        text = (f"True rotation R_0: {s['angle']:g}° about {AXIS_WORDS[s['axis']]}; the output M is R_0{mirror} "
                f"plus noise σ = {s['noise']:g}: ‖MᵀM − I‖ = {orth_M:.2g}, det M = {det_M:.3g}, its columns up to "
                f"{ang_M.max():.1f}° from the true axes. ")
        if s["fix"]:
            text += "The projection C = U diag(1, 1, det UVᵀ) Vᵀ "
        else:
            text += "The projection without the determinant fix, C = U Vᵀ, "
        if det_C < 0:
            text += (f"gave a reflection (det = −1), not a rotation, because det M = {det_M:.3g} < 0: C is orthogonal "
                     f"(‖CᵀC − I‖ = {orth_C:.1g}) but mirrors space, one column points {ang_C.max():.0f}° away from "
                     "its true axis. The determinant fix gives the closest rotation instead")
        else:
            text += (f"is a rotation (det = +1, ‖CᵀC − I‖ = {orth_C:.1g}), {r.rotation_error:.1f}° from the true one; "
                     f"its columns are up to {ang_C.max():.1f}° from the true axes")
            if det_M < 0:
                text += (f". det M = {det_M:.3g} < 0: without the fix the closest orthogonal matrix would be a "
                         "reflection; the fix flips the axis of M's smallest singular value instead")
        if r.unstable:
            text += (f". The projection is unstable (UnstableProjection): the margin is {r.gap:.2g}, the two smallest "
                     "singular values of M are (nearly) equal and det M < 0, so which axis to flip is undecided and a "
                     "small change of M can move C far")
        return text + "."
