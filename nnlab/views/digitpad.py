"""DigitPad: draw a digit and watch lecture 6's MLP and CNN classify it, as they see it."""
from __future__ import annotations

from types import SimpleNamespace

import ipywidgets as widgets
import numpy as np

from .. import digits
from .base import OKABE_ITO, Explorer, Setting, memo

PAD = digits.PAD
TRAINING = "training the MLP and the CNN on the 8×8 digits (a few seconds)…"
BLANK = "draw a digit on the pad"
COLOURS = {"MLP": OKABE_ITO["blue"], "CNN": OKABE_ITO["vermillion"]}
NEAREST = 3


def _parts():
    return memo(digits.pad_parts)


class DigitPad(Explorer):
    """Draw a digit on the pad (mouse, finger, pen, or the arrow keys and Space): the MLP and the CNN of
    lecture 6 give their class probabilities after every stroke, for the 8x8 image they see (the drawing
    cropped, scaled and centred as the training digits were). Move it or add noise to see which network
    copes; load a test image to see one the networks were not trained on.
    """

    figsize = (7.4, 4.1)

    settings = (
        Setting("drawing", "", "draw a digit", pad=PAD),
        Setting("right", 0, "move right (pixels)", low=-2, high=2, integer=True),
        Setting("down", 0, "move down (pixels)", low=-2, high=2, integer=True),
        Setting("noise", 0.0, "noise", low=0.0, high=0.5, step=0.05),
        Setting("loaded", -1, low=-1, integer=True),        # the test image on the pad, if it is one
        Setting("next_image", 0, low=0, integer=True),      # the test image the button loads next
    )

    def validate(self, state):
        s = super().validate(state)
        tests = _parts().X_test
        s["next_image"] %= len(tests)
        if s["loaded"] >= len(tests):
            raise ValueError(f"loaded: expected a test image's index below {len(tests)} or -1, got {s['loaded']}")
        if s["loaded"] >= 0 and s["drawing"] != digits.hex_from_pad(digits.pad_from_image(tests[s["loaded"]])):
            s["loaded"] = -1                                 # drawn on since: no longer the test image
        return s

    def make_controls(self):
        controls = super().make_controls()
        buttons = {name: widgets.Button(description=label, tooltip=tip, layout={"width": "auto"})
                   for name, label, tip in (("clear", "Clear", "a blank pad"),
                                            ("load", "Load a test image", "put the next test image on the pad"))}
        buttons["clear"].on_click(lambda _: self.set(drawing=""))
        buttons["load"].on_click(lambda _: self.load_test_image())
        photo = widgets.FileUpload(accept="image/*", multiple=False, description="Photo of a digit",
                                   tooltip="a photo of a digit you wrote on paper (PNG or JPEG)",
                                   layout={"width": "auto"})
        photo.observe(self._on_photo, names="value")
        return {**controls, **buttons, "photo": photo}

    def _on_photo(self, change):
        """A photo uploaded: its digit goes on the pad as cells (``digits.pad_from_photo``), as if drawn there;
        a file that is not a photo of a digit is said in the caption, and the pad keeps its drawing."""
        if not change["new"]:
            return
        upload = change["new"][0]
        try:
            self.load_photo(upload["content"])
        except ValueError as exc:
            self._report("photo", upload.get("name", "the file"), exc)

    def load_photo(self, data):
        """Put the digit of a photo (the bytes of an image file) on the pad."""
        self.set(drawing=digits.hex_from_pad(digits.pad_from_photo(data)))

    def load_test_image(self, index=None):
        """Put test image ``index`` (default: the next one) on the pad."""
        k = self._state["next_image"] if index is None else index
        image = _parts().X_test[k]
        self.set(drawing=digits.hex_from_pad(digits.pad_from_image(image)), loaded=k, next_image=k + 1)

    def refresh_controls(self):
        """Moving or noising a blank pad would show nothing: those controls wait for a drawing."""
        for name in ("right", "down", "noise"):
            self.controls[name].disabled = not self._state["drawing"]

    def layout(self):
        c = self.controls
        left = widgets.VBox([c["drawing"], widgets.HBox([c["clear"], c["load"]]), c["photo"]],
                            layout={"width": "250px"})
        right = widgets.VBox([widgets.HBox([c["right"], c["down"], c["noise"]], layout={"flex_flow": "row wrap"}),
                              self.image, self.caption])
        return widgets.HBox([left, right], layout={"flex_flow": "row wrap", "align_items": "flex-start"})

    # ---------------------------------------------------------------- model
    def later(self, state):
        """The two networks are trained once per kernel (``digits.trained``), in the background on first use."""
        if self._trained:
            return None

        def train():
            self._models = digits.trained(0)   # kept here too: memo may let them go for newer results
            self._trained = True
        return train

    def compute(self, s):
        parts = _parts()
        seen = digits.seen_by_network(digits.pad_from_hex(s["drawing"]))
        seen = digits.shifted(seen[None], right=s["right"], down=s["down"])
        if s["noise"]:
            seen = digits.noised(seen, s["noise"], seed=0)
        seen = seen[0]
        blank = not s["drawing"]
        truth = int(parts.y_test[s["loaded"]]) if s["loaded"] >= 0 else None
        if blank or not self._trained:
            return SimpleNamespace(seen=seen, probs=None, near=None, blank=blank, truth=truth)
        models = self._models
        X = digits.tensors(seen[None], models["stats"])
        probs = {name: digits.probabilities(models[name].model, X)[0] for name in COLOURS}
        near = digits.nearest(seen, parts.X_train, k=NEAREST)
        return SimpleNamespace(seen=seen, probs=probs, near=near, blank=blank, truth=truth)

    # ---------------------------------------------------------------- figure
    def setup(self, fig):
        self._trained, self._models = False, None
        gs = fig.add_gridspec(2, 3, height_ratios=[2.2, 1], width_ratios=[1.25, 1.4, 1.4])
        self.ax_seen = fig.add_subplot(gs[0, 0])
        self.seen = self.ax_seen.imshow(np.zeros((8, 8)), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        self.ax_seen.set(xticks=[], yticks=[], title="what they see")
        self.ax_seen.title.set_fontsize(10)
        self.bars, self.says = {}, {}
        for col, name in ((1, "MLP"), (2, "CNN")):
            ax = fig.add_subplot(gs[:, col])
            self.bars[name] = ax.bar(range(10), np.zeros(10), color=COLOURS[name], width=0.75)
            ax.set(xticks=range(10), ylim=(0, 1.12), xlabel="digit", yticks=[0, 0.25, 0.5, 0.75, 1])
            ax.set_title(name, fontsize=10)
            ax.grid(axis="y", alpha=0.3)
            self.says[name] = ax.text(0, 0, "", ha="center", va="bottom", fontsize=9)
        self.bars["MLP"][0].axes.set_ylabel("probability")
        self.ax_near = fig.add_subplot(gs[1, 0])       # the nearest training images side by side, a column apart
        self.near = self.ax_near.imshow(np.zeros((8, 9 * NEAREST - 1)), cmap="gray_r", vmin=0, vmax=1,
                                        interpolation="nearest")
        self.ax_near.set_xticks([9 * k + 3.5 for k in range(NEAREST)], [""] * NEAREST, fontsize=9)
        self.ax_near.tick_params(length=0)
        self.ax_near.set_yticks([])
        self.ax_near.set_title("nearest training images", fontsize=9)
        self.status = fig.suptitle("", fontsize=10)

    def draw(self, r):
        self.seen.set_data(r.seen)
        label = f"test image: a {r.truth}" if r.truth is not None else ""
        if self.ax_seen.get_xlabel() != label:
            self.ax_seen.set_xlabel(label, fontsize=9)
        for name, bars in self.bars.items():
            p = np.zeros(10) if r.probs is None else r.probs[name]
            for bar, h in zip(bars, p):
                bar.set_height(h)
            k = int(np.argmax(p))
            self.says[name].set_text("" if r.probs is None else f"{p[k]:.2f}")
            self.says[name].set_position((k, p[k] + 0.02))
        parts = _parts()
        strip = np.full((8, 9 * NEAREST - 1), np.nan)
        labels = [""] * NEAREST
        if r.near is not None:
            for k, i in enumerate(r.near):
                strip[:, 9 * k:9 * k + 8] = parts.X_train[i]
                labels[k] = f"a {parts.y_train[i]}"
        self.near.set_data(strip)
        if [t.get_text() for t in self.ax_near.get_xticklabels()] != labels:
            self.ax_near.set_xticklabels(labels)
        self.status.set_text(TRAINING if not r.blank and r.probs is None else
                             BLANK if r.blank else "probability of each digit")

    def describe(self):
        r, s = self.result, self._state
        if r.blank:
            return ("The pad is blank: draw a digit with the mouse, a finger or a pen, or with the arrow keys "
                    "and Space, or load a test image.")
        if r.probs is None:
            return "Training the MLP and the CNN on the 8×8 digits; their answers follow in a few seconds."
        said = ", ".join(f"{name} says {int(np.argmax(p))} ({p.max():.2f})" for name, p in r.probs.items())
        what = f"test image {s['loaded']} (a {r.truth})" if r.truth is not None else "your drawing"
        changes = [f"moved {abs(s['right'])} right" if s["right"] > 0 else f"moved {-s['right']} left"
                   if s["right"] else "", f"moved {s['down']} down" if s["down"] > 0 else f"moved {-s['down']} up"
                   if s["down"] else "", f"with noise {s['noise']:g}" if s["noise"] else ""]
        changes = [c for c in changes if c]
        near = _parts().y_train[r.near[0]]
        return (f"{what}{' ' + ', '.join(changes) if changes else ''}: {said}; the nearest training image is "
                f"a {near}.")
