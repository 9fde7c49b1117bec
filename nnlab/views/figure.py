"""Static figures with a text alternative.

JupyterLab draws a figure output (``image/png``) as an image without alt text, so a screen
reader says only "image". ``show(fig, alt)`` displays the figure as HTML whose image carries
``alt``, with the PNG and the words beside it for viewers that prefer them (GitHub, nbviewer,
a terminal).
"""
from __future__ import annotations

import base64
import html
import io


class Described:
    """A figure as a PNG plus the words that say what it shows."""

    def __init__(self, png: bytes, alt: str):
        if not isinstance(alt, str) or not alt.strip():
            raise ValueError(f"alt: expected a sentence that says what the figure shows, got {alt!r}")
        self.png, self.alt = png, alt.strip()

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        data = base64.b64encode(self.png).decode("ascii")
        img = (f'<img src="data:image/png;base64,{data}" alt="{html.escape(self.alt)}" '
               'style="max-width: 100%; height: auto;">')
        return {"text/html": img, "image/png": data, "text/plain": self.alt}

    def __repr__(self):
        return f"<figure: {self.alt}>"


def show(fig, alt: str) -> Described:
    """``fig`` (a matplotlib Figure) as an output with the text alternative ``alt``; the figure
    is closed, so pyplot's inline display does not show it a second time. Use it as the last
    expression of a cell: ``show(fig, "Two clouds of points, separated by the line x1 + x2 = 0")``."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return Described(buf.getvalue(), alt)
