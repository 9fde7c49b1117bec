"""A drawing pad: the control of a ``Setting(pad=...)`` (``DigitPad``'s drawing).

A grid of ``side`` x ``side`` cells, shown 7 screen pixels each, drawn on with a mouse, a finger or a pen
(pointer events) or from the keyboard: the arrow keys move a cursor (with Shift, four cells), Space inks the
cell under it (held while moving: a line), Delete or Backspace clears the pad. The kernel hears of a stroke
once, when it ends (the pointer lifted, Space released): ``value`` is the whole drawing, four cells to a hex
digit, row by row ("" for a blank pad; ``nnlab.digits.pad_from_hex`` reads it). ``brush`` is the pen's width
in cells (the pad's own slider: it changes no result, so it is not an explorer's setting). Keys used by the pad
stay out of the notebook's shortcuts.
"""
from __future__ import annotations

import anywidget
import traitlets

ESM = r"""
const SCALE = 7;

function decode(text, side) {
  const cells = new Uint8Array(side * side);
  for (let i = 0; i < text.length; i++) {
    const v = parseInt(text[i], 16);
    for (let b = 0; b < 4; b++) cells[4 * i + b] = (v >> (3 - b)) & 1;
  }
  return cells;
}

function encode(cells) {
  if (!cells.some((c) => c)) return "";
  let text = "";
  for (let i = 0; i < cells.length; i += 4)
    text += ((cells[i] << 3) | (cells[i + 1] << 2) | (cells[i + 2] << 1) | cells[i + 3]).toString(16);
  return text;
}

function render({ model, el }) {
  el.classList.add("nnlab-pad");
  const label = document.createElement("div");
  label.className = "nnlab-pad-label";   // above the pad (not a widget-label beside it)
  const canvas = document.createElement("canvas");
  canvas.tabIndex = 0;
  canvas.className = "nnlab-pad-canvas";
  canvas.setAttribute("role", "application");
  canvas.setAttribute("aria-roledescription", "drawing pad");
  const pen = document.createElement("input");           // the pen's width: the pad's own, not the kernel's
  pen.type = "range"; pen.min = "1"; pen.max = "8"; pen.step = "1";
  pen.className = "nnlab-pad-pen";
  const penLabel = document.createElement("label");
  penLabel.className = "nnlab-pad-pen-label";
  penLabel.append("pen width ", pen);
  pen.addEventListener("input", () => { model.set("brush", +pen.value); model.save_changes(); });
  const help = document.createElement("div");
  help.className = "nnlab-pad-help";
  help.textContent = "Draw with the mouse, a finger or a pen; or arrow keys to move, Space to ink, Delete to clear.";
  el.append(label, canvas, penLabel, help);

  let side = model.get("side"), cells = decode(model.get("value"), side);
  let cursor = [Math.floor(side / 2), Math.floor(side / 2)], focused = false, inking = false, last = null;
  const ctx = canvas.getContext("2d");

  const draw = () => {
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = "#000000";
    for (let r = 0; r < side; r++)
      for (let c = 0; c < side; c++)
        if (cells[r * side + c]) ctx.fillRect(c * SCALE, r * SCALE, SCALE, SCALE);
    ctx.strokeStyle = "#d0d0d0";                  // the 8 x 8 blocks the network counts
    ctx.lineWidth = 1;
    for (let k = 1; k < 8; k++) {
      const at = k * (side / 8) * SCALE + 0.5;
      ctx.beginPath(); ctx.moveTo(at, 0); ctx.lineTo(at, canvas.height); ctx.stroke();
      ctx.beginPath(); ctx.moveTo(0, at); ctx.lineTo(canvas.width, at); ctx.stroke();
    }
    if (focused) {
      ctx.strokeStyle = "#0072B2";
      ctx.lineWidth = 2;
      ctx.strokeRect(cursor[1] * SCALE + 1, cursor[0] * SCALE + 1, SCALE - 2, SCALE - 2);
    }
  };
  const show = () => {
    side = model.get("side");
    canvas.width = canvas.height = side * SCALE;
    cells = decode(model.get("value"), side);
    label.textContent = model.get("description");
    pen.value = String(model.get("brush"));
    pen.setAttribute("aria-label", "pen width, in cells");
    canvas.setAttribute("aria-label", model.get("description") + ": " +
      (model.get("value") ? "something drawn" : "blank") + ". " + help.textContent);
    el.dataset.inked = String(cells.reduce((a, b) => a + b, 0));
    draw();
  };
  const ink = (y, x) => {                          // a disc of the brush's width around (y, x), in cells
    const radius = Math.max(0.5, model.get("brush") / 2);
    for (let r = Math.floor(y - radius); r <= Math.ceil(y + radius); r++)
      for (let c = Math.floor(x - radius); c <= Math.ceil(x + radius); c++)
        if (r >= 0 && c >= 0 && r < side && c < side && (r + 0.5 - y) ** 2 + (c + 0.5 - x) ** 2 <= radius * radius)
          cells[r * side + c] = 1;
  };
  const line = (from, to) => {                     // ink along the way, so a fast stroke has no gaps
    const steps = Math.max(1, Math.ceil(2 * Math.hypot(to[0] - from[0], to[1] - from[1])));
    for (let i = 0; i <= steps; i++)
      ink(from[0] + (to[0] - from[0]) * i / steps, from[1] + (to[1] - from[1]) * i / steps);
  };
  const send = () => {
    model.set("value", encode(cells));
    model.save_changes();
    el.dataset.inked = String(cells.reduce((a, b) => a + b, 0));
  };
  const at = (event) => {
    const box = canvas.getBoundingClientRect();
    return [(event.clientY - box.top) / box.height * side, (event.clientX - box.left) / box.width * side];
  };

  canvas.addEventListener("pointerdown", (event) => {
    if (model.get("disabled")) return;
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    canvas.focus();
    last = at(event);
    ink(...last);
    draw();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (last === null) return;
    const here = at(event);
    line(last, here);
    last = here;
    draw();
  });
  const lift = () => {
    if (last === null) return;
    last = null;
    send();
  };
  canvas.addEventListener("pointerup", lift);
  canvas.addEventListener("pointercancel", lift);

  canvas.addEventListener("keydown", (event) => {
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (model.get("disabled")) return;
    if (event.key in moves) {
      const step = event.shiftKey ? 4 : 1, [dy, dx] = moves[event.key];
      const next = [Math.min(side - 1, Math.max(0, cursor[0] + dy * step)),
                    Math.min(side - 1, Math.max(0, cursor[1] + dx * step))];
      if (inking) line([cursor[0] + 0.5, cursor[1] + 0.5], [next[0] + 0.5, next[1] + 0.5]);
      cursor = next;
    } else if (event.key === " ") {
      if (!inking) { inking = true; ink(cursor[0] + 0.5, cursor[1] + 0.5); }
    } else if (event.key === "Delete" || event.key === "Backspace") {
      cells.fill(0);
      send();
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
    draw();
  });
  canvas.addEventListener("keyup", (event) => {
    if (event.key === " " && inking) {
      inking = false;
      event.preventDefault();
      event.stopPropagation();
      send();
    }
  });
  canvas.addEventListener("focus", () => { focused = true; draw(); });
  canvas.addEventListener("blur", () => {
    focused = false;
    if (inking) { inking = false; send(); }
    draw();
  });
  model.on("change", show);
  show();
  return () => model.off("change", show);
}

export default { render };
"""

CSS = """
.nnlab-pad { display: flex; flex-direction: column; gap: 4px; align-items: flex-start; }
.nnlab-pad .nnlab-pad-label { font-size: var(--jp-widgets-font-size, 13px); }
.nnlab-pad .nnlab-pad-canvas { border: 1px solid #595959; touch-action: none; cursor: crosshair; }
.nnlab-pad .nnlab-pad-canvas:focus { outline: 3px solid #0072B2; outline-offset: 1px; }
.nnlab-pad .nnlab-pad-pen-label { font-size: 13px; display: flex; align-items: center; gap: 6px; }
.nnlab-pad .nnlab-pad-help { font-size: 12px; color: #4a4a4a; max-width: 230px; }
"""


class DrawingPad(anywidget.AnyWidget):
    """A pad of ``side`` x ``side`` cells drawn on by pointer or keyboard; ``value``: the drawing, sent per stroke."""

    _esm = ESM
    _css = CSS
    value = traitlets.Unicode("").tag(sync=True)
    side = traitlets.Int(32).tag(sync=True)
    brush = traitlets.Int(5).tag(sync=True)
    description = traitlets.Unicode("").tag(sync=True)
    disabled = traitlets.Bool(False).tag(sync=True)
