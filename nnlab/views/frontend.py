"""The explorer's small front-end piece: keyboard safety and names for assistive technology.

Plain ipywidgets cannot set DOM attributes from Python, and three things need them:

- **Keystrokes stay in the explorer.** JupyterLab and Notebook 7 take letter keys typed on a
  focused slider or dropdown as notebook commands (``r`` makes the cell raw, ``d d`` deletes it,
  arrows move to another cell). Lumino, their command system, skips every shortcut whose target
  is, or sits inside, an element carrying ``data-lm-suppress-shortcuts``; ``Shell`` puts that
  attribute on the explorer's root and on every control in it (a selector such as
  ``... :focus`` matches the focused control itself before Lumino looks at its ancestors), so
  keys typed on its controls only work the controls.
- **Names.** The figure gets the explorer's description as its alt text (kept current); slider
  handles and dropdowns get their visible label as their accessible name; the Play widget's
  icon buttons get "play", "pause", "stop" and "repeat".
- **One live region.** The description is announced from one polite live region whose text
  changes (a region that is replaced on every update may never be announced); a failed change
  is announced from one assertive region.

``Shell`` is an anywidget (a widget whose front end is the ES module below, no build step). It
renders only the two visually hidden regions and dresses its nearest ``.nnlab-shelled``
ancestor (``shelled(box)`` adds both), again whenever controls are added inside it. Without a front end (a saved
notebook, a viewer without widgets) nothing is lost but these attributes.
"""
from __future__ import annotations

import anywidget
import traitlets

ESM = r"""
const PLAY_ICONS = [["fa-play", "play"], ["fa-pause", "pause"], ["fa-stop", "stop"], ["fa-retweet", "repeat"],
                    ["fa-repeat", "repeat"]];

function labelOf(control) {
  // the visible description of the widget box the control sits in
  const box = control.closest(
    ".widget-inline-hbox, .widget-slider, .widget-dropdown, .widget-hslider, .widget-vslider");
  const label = box && box.querySelector(".widget-label");
  return label ? label.textContent.trim() : "";
}

function name(element, text) {
  if (text && element.getAttribute("aria-label") !== text) element.setAttribute("aria-label", text);
}

const FOCUSABLE = "input, select, textarea, button, [tabindex], [role=slider], [contenteditable]";
const SUPPRESS = "data-lm-suppress-shortcuts";

function dress(root, model) {
  // Lumino matches a shortcut's selector on the focused element itself before it looks at the
  // element's ancestors, so the attribute goes on every control as well as on the root.
  for (const element of [root, ...root.querySelectorAll(FOCUSABLE)]) {
    if (!element.hasAttribute(SUPPRESS)) element.setAttribute(SUPPRESS, "true");
  }
  for (const img of root.querySelectorAll(".nnlab-figure img, img.nnlab-figure")) {
    if (img.alt !== model.get("description")) img.alt = model.get("description");
  }
  for (const handle of root.querySelectorAll("[role=slider]")) name(handle, labelOf(handle));
  for (const select of root.querySelectorAll("select")) name(select, labelOf(select));
  for (const button of root.querySelectorAll(".widget-play button, .jupyter-widgets.widget-play button")) {
    const icon = button.querySelector("i");
    const found = icon && PLAY_ICONS.find(([cls]) => icon.classList.contains(cls));
    if (found) name(button, found[1]);
  }
}

function render({ model, el }) {
  el.classList.add("nnlab-shell");
  const status = document.createElement("div");
  status.className = "nnlab-sr-only nnlab-status";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  status.setAttribute("aria-atomic", "true");
  const alert = document.createElement("div");
  alert.className = "nnlab-sr-only nnlab-alert";
  alert.setAttribute("role", "alert");
  el.append(status, alert);

  let root = null;
  let observer = null;
  const speak = () => {
    status.textContent = model.get("description");
    alert.textContent = model.get("alert");
    if (root) dress(root, model);
  };
  let tries = 0;
  const attach = () => {
    root = el.closest(".nnlab-shelled");
    if (!root) {
      if (tries++ < 1200) requestAnimationFrame(attach);  // rendered before it was attached
      return;
    }
    dress(root, model);
    observer = new MutationObserver(() => dress(root, model));
    observer.observe(root, { childList: true, subtree: true });
  };
  attach();
  speak();
  model.on("change:description", speak);
  model.on("change:alert", speak);
  return () => {
    if (observer) observer.disconnect();
    model.off("change:description", speak);
    model.off("change:alert", speak);
  };
}

export default { render };
"""

CSS = """
.nnlab-shell { height: 0; margin: 0; padding: 0; }
/* ipywidgets gives HTML text the height of a control row: wrapped captions looked double-spaced */
.nnlab-explorer .nnlab-caption .widget-html-content, .nnlab-explorer .nnlab-weights .widget-html-content {
  line-height: 1.4; }
/* ipywidgets lays out ToggleButtons as a block: its label sat above its buttons, out of line with the row */
.nnlab-explorer .widget-toggle-buttons.nnlab-ctl { display: flex; align-items: center; gap: 6px; }
.nnlab-explorer .widget-toggle-buttons.nnlab-ctl > .widget-label { display: block; width: auto; flex: 0 0 auto; }
.nnlab-explorer .widget-toggle-buttons.nnlab-ctl > div { display: flex; flex-wrap: wrap; }
.nnlab-explorer .nnlab-busy { color: var(--jp-ui-font-color2, #555); font-style: italic; }
.nnlab-sr-only { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden;
                 clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
"""


class Shell(anywidget.AnyWidget):
    """Keyboard safety, accessible names and the live regions of one explorer (see the module)."""

    _esm = ESM
    _css = CSS
    #: What the figure shows, in words: the image's alt text and the polite announcement.
    description = traitlets.Unicode("").tag(sync=True)
    #: A change that could not be applied, announced at once ("" when there is none).
    alert = traitlets.Unicode("").tag(sync=True)


def shelled(box, description: str = ""):
    """``box`` (an ipywidgets Box) with a ``Shell`` appended: its controls get names and keep
    keystrokes away from the notebook. Returns the shell (its ``description`` is announced)."""
    shell = Shell(description=description)
    box.children = (*box.children, shell)
    box.add_class("nnlab-shelled")
    return shell
