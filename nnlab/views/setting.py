"""``Setting``: one explorer setting declared once, giving its default, its check and its control."""
from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets

from .. import _validate as valid
from .logslider import LogSlider, log_grid
from .pad import DrawingPad

CONTROL_STYLE = {"description_width": "initial"}
CONTROL_LAYOUT = {"width": "320px"}


def slider(cls, label, value, **kw):
    """A labelled slider with a typed readout, updating only on release when ``expensive``."""
    expensive = kw.pop("expensive", False)
    return cls(value=value, description=label, style=CONTROL_STYLE, layout=CONTROL_LAYOUT,
               continuous_update=not expensive, **kw)


@dataclass(frozen=True)
class Setting:
    """One explorer setting, declared once: its default, how it is checked and its control.

    The control follows from the declaration: ``options`` make a Dropdown (``buttons``: toggle
    buttons; an option may be a ``(label, value)`` pair), a bool default a Checkbox, ``integer``
    an IntSlider, ``log`` a ``LogSlider`` over [low, high], anything else a FloatSlider.
    ``label`` None: a setting without a control. ``expensive``: the slider updates on release.
    ``optional``: None is allowed (the view fills it in). ``width``: the layout width of a
    dropdown or checkbox, or the button width of toggle buttons. ``readout``: the slider's
    readout format (a d3-format string such as ".4f"; the widget's own default otherwise). ``pad``: a
    drawing of ``pad`` x ``pad`` cells (hex digits, ``nnlab.digits.pad_from_hex``), drawn on a ``DrawingPad``.

    A log slider keeps the value typed or set (the default too) and drags along round values
    ``step`` apart in log10 (``logslider.log_grid``); values are kept to 6 significant digits,
    those of a linear slider to 12 (a step of 0.05 leaves no 0.9000000000000001 behind).
    """

    name: str
    default: object
    label: str | None = None
    low: float | None = None
    high: float | None = None
    step: float | None = None
    options: tuple = ()
    log: bool = False
    integer: bool = False
    expensive: bool = False
    optional: bool = False
    buttons: bool = False
    width: str | None = None
    readout: str | None = None
    pad: int = 0

    @property
    def values(self) -> tuple:
        """The allowed values of a setting with options."""
        return tuple(o[1] if isinstance(o, tuple) else o for o in self.options)

    def validate(self, value):
        """The value, checked and normalised; a ValueError names the setting otherwise."""
        if value is None and self.optional:
            return None
        if self.options:
            return valid.choice(self.name, value, self.values)
        if self.pad:
            return valid.hex_digits(self.name, value, length=self.pad * self.pad // 4, empty=True)
        if isinstance(self.default, bool):
            return bool(value)
        if self.integer:
            return valid.integer(self.name, value, low=self.low, high=self.high)
        value = valid.real(self.name, value, low=self.low, high=self.high)
        return float(f"{value:.6g}") if self.log else float(f"{value:.12g}")

    @property
    def grid(self) -> tuple[float, ...]:
        """The values a dragged log slider stops at: round numbers ``step`` (default 0.1) apart in log10."""
        return log_grid(self.low, self.high, self.step or 0.1)

    def control(self, value) -> widgets.Widget:
        """The labelled widget for this setting, showing ``value``."""
        if self.options:
            if self.buttons:
                return widgets.ToggleButtons(options=list(self.options), value=value, description=self.label,
                                             style={"button_width": self.width})
            return widgets.Dropdown(options=list(self.options), value=value, description=self.label,
                                    style=CONTROL_STYLE, layout={"width": self.width})
        if self.pad:
            return DrawingPad(value=value, side=self.pad, description=self.label)
        if isinstance(self.default, bool):
            layout = {"width": self.width} if self.width else {}
            return widgets.Checkbox(value=value, description=self.label, indent=False, layout=layout)
        extra = {} if self.step is None else {"step": self.step}
        if self.readout is not None:
            extra["readout_format"] = self.readout
        if self.integer:
            return slider(widgets.IntSlider, self.label, value, min=self.low, max=self.high,
                          expensive=self.expensive, **extra)
        if self.log:
            return LogSlider(value=value, low=self.low, high=self.high, grid=self.grid, description=self.label,
                             continuous_update=not self.expensive, readout_format=self.readout or "",
                             layout=CONTROL_LAYOUT)
        return slider(widgets.FloatSlider, self.label, value, min=self.low, max=self.high,
                      expensive=self.expensive, **extra)
