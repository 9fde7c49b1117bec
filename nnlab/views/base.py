"""The shared mechanism behind every nnlab explorer (a thin view over a model).

An explorer is
- a **state**: one plain dict of settings (``explorer.state``), printable, JSON-serialisable
  and accepted back by the constructor: ``ActivationExplorer(**state)``;
- **controls**: one ipywidget per state entry (``explorer.controls[name]``), each with a
  visible label, keyboard operable; setting ``.value`` updates the state and the figure
  synchronously, in plain Python as in the notebook;
- a **figure**: one object-oriented matplotlib ``Figure`` whose artists are created once
  (``setup``) and updated in place (``draw``), rendered to PNG into an ``ipywidgets.Image``
  (no front-end extension needed beyond ipywidgets itself);
- a **description**: ``describe()`` says in words what the figure shows now; it is shown
  under the figure, is the figure's alt text and is announced to screen readers (``frontend.Shell``,
  which also keeps keystrokes typed on the controls away from the notebook's shortcuts);
- optionally **work done later**: what would hold a frame up for a second or more (training two
  deep networks) is returned by ``later(state)``, one step at a time; it runs in the background after
  the frame is shown (``background.py``: one worker thread, results applied on the kernel's event loop),
  and the explorer then draws again (if the state is still the same) with what it made, and asks for the
  next step. The controls keep working meanwhile.
- optionally **clicks**: a view that overrides ``on_click(ax, x, y)`` turns a click on the figure
  (at data point x, y of axes ``ax``) into state changes; the image reports clicks through
  ipyevents, and ``click(px, py)`` does the same from code. Every click has a control as well,
  so the keyboard path stays.

Subclasses define ``setup(fig)``, ``compute(state)`` (calls the model, returns a result object),
``draw(result)`` and ``describe()``. No maths lives in a view: what a view computes is a call to
a model function, and an expensive one goes through ``memo``, the one cache of all explorers.
Rendering (redrawing only what changed, blitting, when to lay out again, PNG encoding) is
``render.Renderer``'s job: it finds what a view changed from matplotlib's own bookkeeping, so a
view just updates its artists (plain matplotlib), and calls ``static_changed()`` only for a change
matplotlib does not record.

Settings are declared once, as a tuple of ``Setting`` in the class attribute ``settings``: each
says its name, default, label, range, step, options and how its control behaves. From it the base
class derives ``defaults()``, checks every setting in ``validate`` (a subclass calls
``super().validate(state)`` and adds only checks across settings) and builds every labelled
control in ``make_controls`` (a subclass adds buttons and Play widgets to the result). A setting
whose options or range depend on the instance or the state is adjusted in ``declared(state)``,
with ``dataclasses.replace``, so its label, range and step are still written in one place.
"""
from __future__ import annotations

import json
from contextlib import contextmanager

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from ..axes import round_up  # noqa: F401 (the views take it from here)
from ..memo import memo  # noqa: F401 (the views take it from here: the one cache, nnlab.memo)
from . import background
from .background import RENDER_LOCK
from .figure import Described
from .frontend import shelled
from .logslider import LogSlider
from .setting import Setting, slider  # noqa: F401  (views declare their settings through base)
from .fastpath import make_renderer


# Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO = {
    "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73", "yellow": "#F0E442",
    "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7", "black": "#000000",
}
PALETTE = [OKABE_ITO[k] for k in ("blue", "orange", "green", "vermillion", "purple", "sky", "yellow", "black")]


def ink_on(rgba) -> str:
    """"black" or "white", whichever reads better on the colour ``rgba`` (WCAG 2's contrast: the better of the
    two is at least 4.58:1 on any colour)."""
    c = np.asarray(rgba[:3], dtype=float)
    c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    luminance = float(c @ [0.2126, 0.7152, 0.0722])
    return "black" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "white"

class Explorer:
    """Base class of all explorers; see the module docstring for the contract."""

    figsize = (7.0, 3.6)
    dpi = 90

    #: The explorer's settings, each declared once (see ``Setting``); a figure text that lists them is
    #: ``settings_text`` in the views that have one, never ``settings``.
    settings: tuple[Setting, ...] = ()

    # ---------------------------------------------------------------- subclass API
    @classmethod
    def defaults(cls) -> dict:
        if not cls.settings:
            raise NotImplementedError
        return {s.name: s.default for s in cls.settings}

    @classmethod
    def declaration(cls, name: str) -> Setting:
        """The declared ``Setting`` called ``name``."""
        return next(s for s in cls.settings if s.name == name)

    def declared(self, state: dict) -> tuple[Setting, ...]:
        """The settings as they apply to this instance and ``state``; views whose options or
        ranges depend on them override this and adjust single settings with ``replace``."""
        return type(self).settings

    #: A button that draws anew, the ``seed`` setting + 1 ("new training sample"): its label and tooltip, or None.
    resample: tuple[str, str] | None = None

    def make_controls(self) -> dict:
        """One widget per state key (keys absent here are settings without a control), and the ``resample``
        button where the view declares one."""
        if not type(self).settings:
            raise NotImplementedError
        controls = {s.name: s.control(self._state[s.name]) for s in self.declared(self._state) if s.label is not None}
        if self.resample is not None:
            label, tip = self.resample
            controls["resample"] = widgets.Button(description=label, tooltip=tip, layout={"width": "auto"})
            controls["resample"].on_click(lambda _: self.set(seed=self._state["seed"] + 1))
        return controls

    def validate(self, state: dict) -> dict:
        """Check and normalise a full state dict; raise ValueError naming the bad key."""
        s = dict(state)
        for setting in self.declared(s):
            s[setting.name] = setting.validate(s[setting.name])
        return s

    def setup(self, fig: Figure) -> None:
        raise NotImplementedError

    def compute(self, state: dict):
        raise NotImplementedError

    def draw(self, result) -> None:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def static_changed(self) -> None:
        """Make the next frame a full redraw: for a change matplotlib does not record (an array
        changed in place); changes made through artists' setters are found by the renderer."""
        self.renderer.invalidate()

    def slow(self, state: dict) -> bool:
        """Whether computing ``state`` takes long enough (about a second or more) that the explorer
        should say "computing…" before it starts. Views with expensive settings override this."""
        return False

    def later(self, state: dict):
        """Work that would hold up the frame of ``state`` by a second or more, as a function of no
        arguments, or None. It runs in the background after the frame is shown (``compute`` draws
        without it, saying it is coming); then the explorer updates again, and ``compute`` finds
        what the work made (through ``memo``), and ``later`` is asked again: work in steps (each
        shown when done) is one step per call. Its job is ``self.pending``; ``settle`` waits for all."""
        return None

    def settle(self, timeout=None) -> None:
        """Wait until the work ``later`` asked for is done, step after step (for scripts and tests)."""
        while self.pending is not None and not self.pending.done():
            self.pending.result(timeout)

    def refresh_controls(self) -> None:
        """Adjust control ranges and enabled state to the current state (before values are synced)."""

    def on_click(self, ax, x, y):
        """State changes for a click at data point (x, y) of axes ``ax``, or None to ignore it.
        Views that take clicks override this."""
        return

    # -------------------------------------------------------------------- machinery
    def __init__(self, **state):
        defaults = self.defaults()
        unknown = sorted(set(state) - set(defaults))
        if unknown:
            raise ValueError(f"{type(self).__name__}: unknown setting(s) {unknown}; "
                             f"expected some of {sorted(defaults)}")
        self._state = self.validate({**defaults, **state})
        self.fig = Figure(figsize=self.figsize, dpi=self.dpi, layout="constrained")
        self.setup(self.fig)
        self.renderer = make_renderer(self.fig)
        self.n_renders = 0
        self.errors = []  # control changes that could not be applied, for the student and the tests
        self._holding = False
        self.image = widgets.Image(format="png", layout={"width": f"{int(self.figsize[0] * self.dpi)}px"})
        self.image.add_class("nnlab-figure")
        self.caption = widgets.HTML()
        self.caption.add_class("nnlab-caption")
        self.controls = self.make_controls()
        self.refresh_controls()
        for name, control in self.controls.items():
            control.add_class("nnlab-ctl")
            if isinstance(control, LogSlider):
                control.add_class("nnlab-log")
            if hasattr(control, "value") and name in self._state:
                control.observe(self._on_control, names="value")
        self._clicks = self._listen_for_clicks() if type(self).on_click is not Explorer.on_click else None
        self.widget = self.layout()
        self.shell = shelled(self.widget)  # keyboard safety, accessible names, the live regions (frontend.py)
        self.widget.add_class("nnlab-explorer")
        self.result = None
        self.pending = None  # the future of the work ``later`` asked for, if any
        self.update()

    def layout(self) -> widgets.Widget:
        """Controls above the figure, the description below it. Subclasses may rearrange."""
        return widgets.VBox([widgets.HBox(list(self.controls.values()), layout={"flex_flow": "row wrap"}),
                             self.image, self.caption])

    def _on_control(self, change):
        with RENDER_LOCK:
            self._apply_control(change)

    def _apply_control(self, change):
        name = next(k for k, c in self.controls.items() if c is change["owner"])
        try:
            self.set(**{name: change["new"]})
        except Exception as exc:  # a widget callback must never fail silently in the kernel log
            self._report(name, change["new"], exc)
            with self.hold():
                if name in self._state and change["owner"].value != self._state[name]:
                    change["owner"].value = self._state[name]

    def _report(self, name, value, exc):
        self.errors.append(f"{name} = {value!r}: {type(exc).__name__}: {exc}")
        message = f"Could not set {name} to {value!r}: {exc}"
        self.caption.value = f'<div class="nnlab-error">{_escape(message)}</div>'
        self.shell.alert = message

    def _listen_for_clicks(self):
        try:
            from ipyevents import Event
        except ImportError:  # a dependency, but an explorer must still work without it (controls only)
            return None

        events = Event(source=self.image, watched_events=["click"], prevent_default_action=True)
        events.on_dom_event(lambda e: self.click(e["dataX"], e["dataY"]))
        self.image.add_class("nnlab-clickable")
        return events

    def click(self, px, py):
        """Act on a click at pixel (px, py) of the image, counted from its top-left corner; returns
        the state changes it made (None if the click was outside every axes or ignored)."""
        with RENDER_LOCK:
            X, Y = float(px), self.fig.bbox.height - float(py)   # matplotlib counts from the bottom
            for ax in self.fig.axes:
                if ax.get_visible() and ax.bbox.contains(X, Y):
                    x, y = ax.transData.inverted().transform((X, Y))
                    changes = self.on_click(ax, float(x), float(y))
                    if not changes:
                        return None
                    try:
                        self.set(**changes)
                    except Exception as exc:  # as for controls: said in the caption, never lost
                        self._report("click", changes, exc)
                        return None
                    return changes
        return None

    def pixel(self, ax, x, y):
        """The image pixel (from the top-left corner) that shows data point (x, y) of ``ax``."""
        X, Y = ax.transData.transform((x, y))
        return float(X), float(self.fig.bbox.height - Y)

    @property
    def state(self) -> dict:
        """A copy of the current settings; ``type(self)(**state)`` recreates this view."""
        return dict(self._state)

    def set(self, **changes):
        """Change settings (as a control would) and redraw once."""
        with RENDER_LOCK:
            self._set(**changes)

    def _set(self, **changes):
        unknown = sorted(set(changes) - set(self._state))
        if unknown:
            raise ValueError(f"{type(self).__name__}: unknown setting(s) {unknown}; "
                             f"expected some of {sorted(self._state)}")
        new = self.validate({**self._state, **changes})
        if new == self._state and self.result is not None:
            return
        self._state = new
        with self.hold():
            self.refresh_controls()
            for name, value in new.items():
                control = self.controls.get(name)
                if control is not None and getattr(control, "value", value) != value:
                    control.value = value
        self.update()

    @contextmanager
    def hold(self):
        """Suspend redraws while several controls change; the caller redraws once at the end."""
        outer = self._holding
        self._holding = True
        try:
            yield
        finally:
            self._holding = outer

    def update(self):
        """Recompute the model for the current state and render a new image."""
        if self._holding:
            return
        with RENDER_LOCK, background.serial_blas():
            self._update()

    #: Whether ``later`` work runs in the background after the frame (False: before it, in one
    #: frame, as the tests want it: each change then gives exactly one frame, in order).
    background = True

    def _update(self, announce=True):
        """Compute, draw, render and describe the current state (``announce`` False: a frame of Play, whose
        description is shown but not read out on every frame)."""
        work = self.later(self.state)
        while work is not None and not self.background:
            work()
            work = self.later(self.state)
        if self.result is not None and self.slow(self._state):
            # said at once: the widget message goes out before the model starts
            self.caption.value = '<div class="nnlab-busy">computing…</div>'
            self.shell.description = "computing…"
        self.result = self.compute(self.state)
        self.draw(self.result)
        self.image.value = self.render_png()
        text = self.describe()
        self.caption.value = f'<div class="nnlab-text">{_escape(text)}</div>'
        if announce:
            self.shell.alert = ""
            self.shell.description = text
        self.n_renders += 1
        if work is not None:
            state = self.state
            self.pending = background.submit(lambda: self._state == state and work(),
                                             lambda done: self._after_later(state, done))

    def _after_later(self, state, done):
        """On the event loop, when ``later``'s work is done: its frame, if the student is still there."""
        if done.exception() is not None:  # a background failure is said in the caption, never lost
            self._report("work in the background", state, done.exception())
        elif self._state == state:
            self._update()

    def render_png(self) -> bytes:
        """The figure as it is now, as PNG (see ``render.Renderer``)."""
        return self.renderer.png()

    def render_like(self, other: Explorer) -> bytes:
        """Render this explorer from scratch with ``other``'s axes positions (for tests: an
        updated explorer must show exactly what a new one with the same state shows)."""
        return self.renderer.png_like(other.renderer)

    # ------------------------------------------------------------------ state I/O
    def to_json(self) -> str:
        return json.dumps(self.state, sort_keys=True)

    @classmethod
    def from_json(cls, text: str):
        return cls(**json.loads(text))

    def save(self, path):
        """Write the settings to a JSON file (``load`` reads it back)."""
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(self.to_json())

    @classmethod
    def load(cls, path):
        with open(path, encoding="utf-8") as fh:
            return cls.from_json(fh.read())

    # ------------------------------------------------------------------ display
    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        """The live widget; for a saved notebook opened without a kernel, the figure as it was, with
        its description as alt text (``figure.Described``: HTML image, PNG and words)."""
        static = Described(self.image.value, f"{type(self).__name__}: {self.describe()}")._repr_mimebundle_()
        return {**(self.widget._repr_mimebundle_() or {}), **static}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.state.items())
        return f"{type(self).__name__}({args})"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
