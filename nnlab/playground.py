"""The model behind ``views.TrainingPlayground``: a run's data with your own points, and what its
figure shows, computed from a ``training.Trainer`` (no widgets, no matplotlib here).

Conventions (stated once):
- Points are 2-D; the plotted window is the square ``extent`` = (lo, hi) in x1 and x2, sampled on a
  ``res`` x ``res`` grid (row i is x2 = ys[i], column j is x1 = xs[j], x2 growing upwards).
- Class probabilities have one column per class for every output: sigmoid p -> (1 - p, p), the
  anchor's tanh a -> ((1 - a)/2, (1 + a)/2) (clipped to [0, 1]), softmax as it is.
- A neuron's picture is its activation over the grid divided by its largest |activation| there, so
  every tile spans [-1, 1] (the sign and the shape are what it shows, not the scale). The output is
  shown as a prediction: one sigmoid or tanh unit as 2 p - 1 (p: class 1's probability) so scaled,
  softmax units each as their class's probability as it is, in [0, 1].
- The network is laid out in tiles of ``tile`` units with ``gap`` units between them: layer l (inputs
  first) in column l, its nodes centred vertically; links go from the right edge of a tile to the left
  edge of the next layer's tile, with width proportional to |w| over the largest |w| of the network.
  ``fit`` chooses the tile's size in pixels so that the deepest, widest network still shows its tiles.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from . import _validate as valid
from . import training
from .axes import round_up

EXTENT = (-3.0, 3.0)


def own_points(points, classes):
    """Your points [(x1, x2, class), ...] as (X, y), checked: classes in 0..classes-1."""
    if points is None or len(points) == 0:
        return np.empty((0, 2)), np.empty(0, int)
    P = valid.as_array("points", points, ndim=2, shape=(None, 3))
    y = P[:, 2]
    if np.any(y != np.round(y)) or np.any(y < 0) or np.any(y >= classes):
        raise ValueError(f"points: expected rows (x1, x2, class) with class in 0..{classes - 1}, "
                         f"got classes {sorted(set(y.tolist()))}")
    return P[:, :2].copy(), y.astype(int)


def data(config, points=()):
    """(X, y, X_test, y_test): the config's data with your points added to the training set."""
    X, y, X_test, y_test = config.data()
    classes = config.classes if config.dataset == "spirals" else 2
    Xp, yp = own_points(points, classes)
    return np.vstack([X, Xp]), np.concatenate([y, yp]).astype(int), X_test, y_test


def trainer(config, points=()):
    """The Trainer of ``config`` on its data and your points (the whole run follows from the two)."""
    return config.build(*data(config, points))


def window(X, margin=0.1):
    """The square window (lo, hi) in x1 and x2 that shows every point of X, with ``margin`` of its width
    on each side (EXTENT when there are no points)."""
    X = np.asarray(X, float)
    if not X.size:
        return EXTENT
    lo, hi = float(X.min()), float(X.max())
    pad = margin * max(hi - lo, 1e-3)
    return lo - pad, hi + pad


def class_probabilities(A, output):
    """One column per class from a network's outputs A (N, k) (see the conventions)."""
    A = np.asarray(A, float)
    if output == "softmax":
        return A
    p = A[:, 0] if output == "sigmoid" else np.clip((A[:, 0] + 1) / 2, 0.0, 1.0)
    return np.column_stack([1 - p, p])


def blend(probs, colours, strength=0.55):
    """RGB colours (bytes) for class probabilities (..., K): the classes' colours (K, 3, in [0, 1]) mixed
    by probability, then faded towards white so that points drawn on top stay visible (1: no fading)."""
    mixed = np.asarray(probs) @ np.asarray(colours, float)
    return np.round(255 * (1 - strength * (1 - mixed))).astype(np.uint8)


def scaled(values):
    """Each column divided by its largest |value| (a column of zeros stays zero)."""
    values = np.asarray(values, float)
    top = np.max(np.abs(values), axis=0)
    return values / np.where(top > 0, top, 1.0)


def snapshot(tr, res=40, extent=EXTENT, every=2):
    """What the figure shows of trainer ``tr`` now: the grid's class probabilities (res, res, K), every
    neuron's scaled activation over the grid (one (res, res) array per node, inputs first, layer by
    layer), the weights, the history and the confusion matrix (test set, or training set without one)."""
    res = valid.integer("res", res, low=2)
    lo, hi = extent
    xs = np.linspace(lo, hi, res)
    G = np.stack(np.meshgrid(xs, xs), -1).reshape(-1, 2)
    net = tr.net
    inputs = tr.inputs(G)
    fw = net.forward_pass(inputs)
    probs = class_probabilities(fw.A[-1], net.output)
    # softmax: each class's probability, which the view paints in that class's colour
    shown = probs if net.output == "softmax" else scaled(2 * probs[:, 1:] - 1)
    layers = [scaled(A) for A in fw.A[:-1]] + [shown]
    tiles = [[L[:, j].reshape(res, res)[::every, ::every] for j in range(L.shape[1])] for L in layers]
    X, Y = (tr.X_test, tr.Y_test) if tr.X_test is not None else (tr.X, tr.Y)
    K = probs.shape[1]
    truth = labels(Y, net.output)
    predicted = np.argmax(class_probabilities(net.forward(X), net.output), axis=1)
    h = tr.history
    return SimpleNamespace(extent=(lo, hi), probs=probs.reshape(res, res, K), tiles=tiles,
                           params=[(W.copy(), b.copy()) for W, b in net.params],
                           confusion=confusion_matrix(truth, predicted, K),
                           confusion_of="test" if tr.X_test is not None else "training",
                           epochs=h["epoch"], train_loss=h["train_loss"], test_loss=h["test_loss"],
                           train_accuracy=h["train_accuracy"], test_accuracy=h["test_accuracy"])


def labels(Y, output):
    """Class labels 0..K-1 from the trainer's targets (one-hot, 0/1, or the anchor's -1/+1)."""
    Y = np.asarray(Y)
    if Y.shape[1] > 1:
        return np.argmax(Y, axis=1)
    return (Y[:, 0] > (0 if output == "tanh" else 0.5)).astype(int)


def confusion_matrix(truth, predicted, classes):
    """C[i, j] = how many points of class i were predicted as class j."""
    C = np.zeros((classes, classes), int)
    np.add.at(C, (np.asarray(truth, int), np.asarray(predicted, int)), 1)
    return C


def fit(sizes, box, label=0.0, head=0.0, largest=36.0, gap=0.25, between=(0.5, 2.0), margin=3.0):
    """How a network of ``sizes`` fills a box (width, height) in pixels, ``label`` pixels on the left kept
    for the input names, ``head`` pixels on top for the column heads and ``margin`` at either side: the
    tile's size in pixels (as large as leaves ``between[0]`` tiles between columns and ``gap`` between rows,
    at most ``largest``), the column pitch in tiles (the room left over goes to the links, up to
    ``between[1]`` tiles) and the axes limits, in tiles, that put the diagram in the middle of the box."""
    L, n = len(sizes), max(sizes)
    width, height = box
    room = width - 2 * margin - label
    px = min(largest, room / (L + (L - 1) * between[0]), (height - head) / (n + (n - 1) * gap))
    room = min(between[1], (room - L * px) / (max(L - 1, 1) * px))
    left, right = -label / px, L + (L - 1) * room
    pad = (width / px - (right - left)) / 2
    return SimpleNamespace(px=px, column=1 + room, gap=gap, xlim=(left - pad, right + pad),
                           ylim=(n + (n - 1) * gap + 0.1, -head / px))


def layout(sizes, tile=1.0, gap=0.35, column=2.2):
    """Centres (x, y) of every node, one array (n_l, 2) per layer (inputs first); see the conventions."""
    tallest = max(sizes)
    out = []
    for l, n in enumerate(sizes):
        top = (tallest - n) * (tile + gap) / 2
        y = top + np.arange(n) * (tile + gap) + tile / 2
        out.append(np.column_stack([np.full(n, l * column + tile / 2), y]))
    return out


def links(params, centres, tile=1.0):
    """The network's links as segments (M, 2, 2) from tile edge to tile edge, their weights (M,) and
    widths |w| / max |w| (M,), in the order of the weight matrices (layer by layer, row-major)."""
    segments, weights = [], []
    for (W, _), left, right in zip(params, centres[:-1], centres[1:]):
        for i in range(W.shape[0]):
            for j in range(W.shape[1]):
                segments.append([left[i] + (tile / 2, 0), right[j] - (tile / 2, 0)])
                weights.append(W[i, j])
    weights = np.array(weights, float)
    top = np.max(np.abs(weights)) if weights.size else 0.0
    return np.array(segments).reshape(-1, 2, 2), weights, np.abs(weights) / (top if top > 0 else 1.0)


def mosaic(tiles, centres, res, tile=1.0):
    """All tiles in one picture, ``res`` pixels per unit, row 0 at the top: the network's layer l in its
    column, each tile with x2 growing upwards. Tiles of values have nan between them; tiles of colours
    (RGBA bytes, ``paint``) have transparent pixels."""
    right = max(c[:, 0].max() for c in centres) + tile / 2
    bottom = max(c[:, 1].max() for c in centres) + tile / 2
    first = next(t for layer in tiles for t in layer)
    empty = np.nan if np.issubdtype(first.dtype, np.floating) else 0
    out = np.full((int(round(bottom * res)), int(round(right * res))) + first.shape[2:], empty, first.dtype)
    for layer, column in zip(tiles, centres):
        for t, (cx, cy) in zip(layer, column):
            r0, c0 = int(round((cy - tile / 2) * res)), int(round((cx - tile / 2) * res))
            out[r0:r0 + t.shape[0], c0:c0 + t.shape[1]] = t[::-1]
    return out


def diverging(values, low, high):
    """RGBA bytes for values in [-1, 1]: colour ``low`` (RGB in [0, 1]) at -1, white at 0, ``high`` at
    +1, linear in between; nan is transparent."""
    v = np.asarray(values, float)
    t = np.nan_to_num(np.clip(v, -1, 1))[..., None]
    white = np.ones(3)
    rgb = np.where(t < 0, white + (white - np.asarray(low)) * t, white + (np.asarray(high) - white) * t)
    alpha = np.where(np.isnan(v), 0.0, 1.0)[..., None]
    return np.round(255 * np.concatenate([rgb, alpha], axis=-1)).astype(np.uint8)


def paint(tiles, low, high, classes=None):
    """The tiles (one list per layer) as RGBA bytes: ``diverging(low, high)``, but the output layer's tiles
    when ``classes`` (one RGB colour per output unit) is given: white at probability 0, the unit's class
    colour at 1 (a softmax output: each tile is its class's probability)."""
    flat = [t for layer in tiles for t in layer]
    rgba = list(diverging(np.stack(flat), low, high))
    if classes is not None:
        first = len(flat) - len(tiles[-1])
        for k, t in enumerate(tiles[-1]):
            rgba[first + k] = diverging(t, (1.0, 1.0, 1.0), classes[k])
    out, i = [], 0
    for layer in tiles:
        out.append(rgba[i:i + len(layer)])
        i += len(layer)
    return out


def regions(probs, extent):
    """For each class: the share of the grid it is predicted on and the centre (x1, x2) of that part."""
    res, K = probs.shape[0], probs.shape[2]
    xs = np.linspace(*extent, res)
    gx, gy = np.meshgrid(xs, xs)
    winner = np.argmax(probs, axis=2)
    out = []
    for k in range(K):
        mine = winner == k
        share = float(mine.mean())
        out.append((share, float(gx[mine].mean()) if share else np.nan, float(gy[mine].mean()) if share else np.nan))
    return out


def contour(F, xs, ys):
    """The line F = 0 of a grid F (row i at ys[i], column j at xs[j]) as segments (M, 2, 2), by marching
    squares: the crossing on each edge whose ends differ in sign, linear in between; a cell with four
    crossings (a saddle) joins them as its centre's sign says."""
    F = np.asarray(F, float)
    pos = F > 0

    def cross(a, b, along, at, horizontal):
        """The crossing points of the edges from a to b (nan where no sign change)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            t = a / (a - b)
        lo, hi = along
        p = lo + t * (hi - lo)
        xy = np.stack([p, np.broadcast_to(at, p.shape)] if horizontal else [np.broadcast_to(at, p.shape), p], -1)
        return np.where(((a > 0) != (b > 0))[..., None], xy, np.nan)

    X, Y = np.asarray(xs, float), np.asarray(ys, float)
    # the four edges of cell (i, j) (corners i..i+1, j..j+1), in the order bottom, right, top, left
    bottom = cross(F[:-1, :-1], F[:-1, 1:], (X[None, :-1], X[None, 1:]), Y[:-1, None], True)
    top = cross(F[1:, :-1], F[1:, 1:], (X[None, :-1], X[None, 1:]), Y[1:, None], True)
    left = cross(F[:-1, :-1], F[1:, :-1], (Y[:-1, None], Y[1:, None]), X[None, :-1], False)
    right = cross(F[:-1, 1:], F[1:, 1:], (Y[:-1, None], Y[1:, None]), X[None, 1:], False)
    edges = np.stack([bottom, right, top, left], 2).reshape(-1, 4, 2)
    crossed = ~np.isnan(edges[..., 0])
    count = crossed.sum(1)
    two = edges[count == 2][crossed[count == 2]].reshape(-1, 2, 2)
    # a saddle: if the centre has the sign of the bottom-left corner, the lines cut off the other two
    # corners (bottom with right, top with left), else bottom with left and top with right
    centre = (F[:-1, :-1] + F[:-1, 1:] + F[1:, :-1] + F[1:, 1:]).ravel()[count == 4] / 4
    four = edges[count == 4]
    joined = ((centre > 0) == pos[:-1, :-1].ravel()[count == 4])[:, None, None, None]
    pairs = np.where(joined, four[:, [[0, 1], [2, 3]]], four[:, [[0, 3], [2, 1]]]).reshape(-1, 2, 2)
    return np.concatenate([two, pairs])


def boundary(probs, extent):
    """The decision boundary over the grid of ``regions``, as segments (M, 2, 2): for each pair of classes
    j < k the line p_j = p_k, in the grid cells where both j and k are predicted at some corner."""
    res, K = probs.shape[0], probs.shape[2]
    xs = np.linspace(*extent, res)
    winner = np.argmax(probs, axis=2)
    out = []
    for j in range(K):
        for k in range(j + 1, K):
            seg = contour(probs[..., j] - probs[..., k], xs, xs)
            col, row = np.clip(((seg.mean(1) - xs[0]) // (xs[1] - xs[0])).astype(int), 0, res - 2).T
            corners = winner[[row, row, row + 1, row + 1], [col, col + 1, col, col + 1]]
            out.append(seg[(corners == j).any(0) & (corners == k).any(0)])
    return np.concatenate(out)


def curve_bounds(epochs, *losses):
    """Axis ends for the curves that change seldom: epochs up to a nice number (at least 10), losses up
    to a nice number above the largest finite loss."""
    top = max([float(np.nanmax(v)) for v in losses if np.any(np.isfinite(v))] + [1e-3])
    return max(10.0, round_up(max(float(np.max(epochs)), 1.0))), round_up(1.05 * top)


def thin(*columns, most=300):
    """Every k-th entry of the columns (and the last), so that at most about ``most`` are drawn."""
    n = len(columns[0])
    if n <= most:
        return columns
    idx = np.unique(np.r_[np.arange(0, n, -(-n // most)), n - 1])
    return tuple(np.asarray(c)[idx] for c in columns)


def run_for(tr, epochs=1):
    """Train ``tr`` for whole epochs (fewer if the run ends); returns the iterations taken."""
    start = tr.iteration
    for _ in range(valid.integer("epochs", epochs, low=0)):
        if not tr.run_epoch():
            break
    return tr.iteration - start


warm_up = training.warm_up
