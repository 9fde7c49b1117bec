"""TrainingPlayground read as a student reads it: tiles large enough to see at the largest network the
controls allow, links under and between the tiles, heads apart, softmax outputs in their classes' colours,
the new point unlike any data point, the decision region seen around the points."""
import contourpy
import numpy as np
import pytest
import torch
from matplotlib.colors import rgb_to_hsv, to_rgb
from matplotlib.transforms import Bbox

from nnlab import playground
from nnlab.views.playground import CLASS_COLOURS, CLASS_MARKERS, EVERY, MAX_LAYERS, MAX_UNITS, RES, TrainingPlayground
from nnlab.views.testing import stock_pixels

LARGEST = {"dataset": "spirals", "classes": 3, "layers": MAX_LAYERS,
           **{f"units{k}": MAX_UNITS for k in range(1, MAX_LAYERS + 1)}}
EVERY_INPUT = {f"use_{k}": True for k in ("x1_sq", "x2_sq", "x1x2", "sin_x1", "sin_x2")}
# A tile holds RES // EVERY = 20 x 20 values: at 20 px or more each value has a screen pixel of its own (below
# that, nearest-neighbour resampling drops rows and columns of the pattern); 22 px leaves 10 % to spare.
SMALLEST_TILE_PX = 22


def tile_boxes(p):
    """Every tile's box in display pixels, layer by layer."""
    to_px = p.ax_net.transData
    return [[Bbox(np.sort(to_px.transform([c - 0.5, c + 0.5]), axis=0)) for c in column] for column in p._layout]


def test_the_settings_declare_the_largest_network_checked_here():
    declared = {d.name: d for d in TrainingPlayground.settings}
    assert declared["layers"].high == MAX_LAYERS == 6
    assert all(declared[f"units{k}"].high == MAX_UNITS == 8 for k in range(1, MAX_LAYERS + 1))


@pytest.mark.parametrize("inputs", [{}, EVERY_INPUT], ids=["x1 x2", "all seven inputs"])
def test_tiles_are_at_least_22_px_and_inside_the_axes_at_8_units_by_6_layers(inputs):
    """Before: 15.8 px (the axes reserved 2.5 tiles for the input names and 1.2 tiles between columns)."""
    p = TrainingPlayground(**LARGEST, **inputs)
    boxes = [b for column in tile_boxes(p) for b in column]
    assert len(boxes) == sum(p.trainer.net.sizes) == len(inputs) + 2 + 6 * 8 + 3
    assert min(min(b.width, b.height) for b in boxes) >= SMALLEST_TILE_PX
    axes = p.ax_net.get_window_extent()
    assert all(axes.x0 <= b.x0 and b.x1 <= axes.x1 + 0.01 and axes.y0 <= b.y0 and b.y1 <= axes.y1 for b in boxes)


@pytest.mark.parametrize("layers", range(MAX_LAYERS + 1))
def test_links_run_under_and_between_the_tiles_and_are_thin_where_many_share_a_gap(layers):
    p = TrainingPlayground(**{**LARGEST, "layers": layers}, **EVERY_INPUT)
    assert p.links.get_zorder() < p.tiles.get_zorder() < p.tile_edges.get_zorder()
    boxes = tile_boxes(p)
    to_px = p.ax_net.transData
    for seg in p.links.get_segments():
        (x0, _), (x1, _) = to_px.transform(seg)
        # a link runs from one column's right edge to the next one's left edge: no tile lies on its way
        left = next(l for l, column in enumerate(boxes) if abs(column[0].x1 - x0) < 1e-6)
        assert abs(boxes[left + 1][0].x0 - x1) < 1e-6
    # the links that leave one tile together are at most as wide as the tiles' row pitch (before: 5 px each,
    # 8 of them from a 21 px pitch)
    widest = np.max(p.links.get_linewidths()) * p.fig.dpi / 72
    tallest = max(boxes, key=len)
    assert widest * len(tallest) <= abs(tallest[1].y1 - tallest[0].y1) if len(tallest) > 1 else widest <= 5


@pytest.mark.parametrize("layers", range(MAX_LAYERS + 1))
def test_column_heads_and_input_names_overlap_nothing(layers):
    p = TrainingPlayground(**{**LARGEST, "layers": layers}, **EVERY_INPUT)
    renderer = p.fig.canvas.get_renderer()
    texts = [t for t in p.input_texts + p.head_texts if t.get_visible()]
    assert len(texts) == 7 + layers + 2
    boxes = [t.get_window_extent(renderer) for t in texts]
    tiles = [b for column in tile_boxes(p) for b in column]
    axes = p.ax_net.get_window_extent()
    for i, (t, b) in enumerate(zip(texts, boxes)):
        assert not any(b.overlaps(o) for o in boxes[i + 1:]), t.get_text()
        assert not any(b.overlaps(tile) for tile in tiles), t.get_text()
        assert axes.x0 <= b.x0 and b.x1 <= axes.x1 and axes.y0 <= b.y0 and b.y1 <= axes.y1, t.get_text()


def output_tiles(p):
    """The output column's tiles as drawn (RGBA bytes cut from the network's picture)."""
    res = RES // EVERY
    out = []
    for cx, cy in p._layout[-1]:
        r0, c0 = round((cy - 0.5) * res), round((cx - 0.5) * res)
        out.append(p.result.mosaic[r0:r0 + res, c0:c0 + res])
    return out


def test_three_softmax_outputs_are_each_class_probability_in_its_own_colour():
    """Before: three tiles on the orange-white-blue scale, all blue (a probability is never negative)."""
    p = TrainingPlayground(dataset="spirals", classes=3, n=300, layers=2, units1=8, units2=8, noise=0.0)
    p.run(600)
    tiles = output_tiles(p)
    assert len(tiles) == 3 == len(p.result.tiles[-1])
    hues = []
    for k, (tile, probs) in enumerate(zip(tiles, p.result.tiles[-1])):
        c = np.array(to_rgb(CLASS_COLOURS[k]))
        # white at probability 0, the class's colour at 1: 255 (1 - p (1 - c))
        expected = np.round(255 * (1 - probs[::-1, :, None] * (1 - c))).astype(np.uint8)
        np.testing.assert_array_equal(tile[..., :3], expected)
        strongest = tile[..., :3].reshape(-1, 3)[np.argmax(probs[::-1].ravel())] / 255
        hues.append(rgb_to_hsv(strongest)[0])
        assert abs(hues[-1] - rgb_to_hsv(c)[0]) < 0.02 and probs.max() > 0.5
    assert min(abs(a - b) for i, a in enumerate(hues) for b in hues[i + 1:]) > 0.1


def test_softmax_tiles_are_the_networks_probabilities_by_torch():
    p = TrainingPlayground(dataset="spirals", classes=3, layers=1, units1=5)
    p.run(50)
    r, tr = p.result, p.trainer
    lo, hi = r.extent
    xs = np.linspace(lo, hi, r.probs.shape[0])
    A = torch.tensor(tr.inputs(np.stack(np.meshgrid(xs, xs), -1).reshape(-1, 2)))
    for layer, (W, b) in enumerate(tr.net.params, start=1):
        A = torch.nn.functional.linear(A, torch.tensor(W.T), torch.tensor(b))
        A = torch.tanh(A) if layer < len(tr.net.params) else torch.softmax(A, dim=1)
    for k in range(3):
        np.testing.assert_allclose(r.tiles[-1][k], A[:, k].numpy().reshape(len(xs), len(xs))[::2, ::2], atol=1e-12)


@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
def test_two_classes_read_orange_for_class_0_and_blue_for_class_1(output):
    """One sigmoid unit: orange where class 0 is predicted, blue where class 1; two softmax units: a tile each
    (before, the second had a link to it and no tile), white to orange and white to blue."""
    p = TrainingPlayground(output=output, dataset="gauss", noise=0.3, layers=0)
    p.run(200)
    tiles = output_tiles(p)
    assert len(tiles) == p.trainer.net.sizes[-1] == len(p.result.tiles[-1])
    class1 = p.result.probs[::2, ::2, 1][::-1] > 0.5     # the tile's rows top down, as drawn
    assert 0.2 < class1.mean() < 0.8
    orange, blue = (np.array(to_rgb(CLASS_COLOURS[k])) for k in (0, 1))
    for k, tile in enumerate(tiles):
        rgb = tile[..., :3] / 255
        if output == "sigmoid":
            assert np.all(towards(rgb, blue)[class1] >= 0) and np.all(towards(rgb, orange)[~class1] >= 0)
            assert np.all((rgb[..., 2] > rgb[..., 0])[class1 & (towards(rgb, blue) > 0.05)])
        else:
            mine = class1 if k == 1 else ~class1      # a class's own region is over half its colour
            share = towards(rgb, (orange, blue)[k])
            assert np.all(share[mine] > 0.5) and np.all(share[~mine] <= 0.5)


def towards(rgb, colour):
    """How far each pixel is from white towards ``colour`` (0: white, 1: the colour), along the line between."""
    return ((1 - rgb) @ (1 - colour)) / ((1 - colour) @ (1 - colour))


def test_the_new_point_is_unlike_every_data_point():
    """Before: a filled plus of 11 points in the class's colour, among filled and hollow markers of 4.7."""
    p = TrainingPlayground(add_class=1)
    mark = p.new_point
    data = p.train_pts + p.test_pts
    assert all(mark.get_marker() not in CLASS_MARKERS and mark.get_marker() != d.get_marker() for d in data)
    assert all(mark.get_markersize() >= 4 * d.get_markersize() for d in data)
    # black and see-through: no class's colour, and the region and points show through its ring
    assert mark.get_markerfacecolor() == "none" and to_rgb(mark.get_markeredgecolor()) == (0, 0, 0)
    assert all(to_rgb(mark.get_markeredgecolor()) != to_rgb(c) for c in CLASS_COLOURS)
    top = max(a.get_zorder() for a in data + [p.boundary, p.region])
    assert mark.get_zorder() > top and p.new_point_class.get_zorder() > top
    # the class it adds: its marker and colour in the middle, larger than a data point
    assert p.new_point_class.get_marker() == CLASS_MARKERS[1]
    assert to_rgb(p.new_point_class.get_markerfacecolor()) == to_rgb(CLASS_COLOURS[1])
    p.set(add_class=0, add_x1=1.0)
    assert p.new_point_class.get_marker() == CLASS_MARKERS[0] and p.new_point.get_xdata()[0] == 1.0


def region_seen(p, k=1, tol=48):
    """Of the pixels of the plot where class k is predicted, the share whose colour the points change by at
    most ``tol`` (of 255): the region is seen there."""
    points = p.train_pts + p.test_pts + [p.new_point, p.new_point_class]
    drawn = stock_pixels(p.fig).astype(int)
    for a in points:
        a.set_visible(False)
    bare = stock_pixels(p.fig).astype(int)
    for a in points:
        a.set_visible(True)
    H = drawn.shape[0]
    box = p.ax_region.get_window_extent()
    x0, x1, y0, y1 = int(box.x0) + 2, int(box.x1) - 2, H - int(box.y1) + 2, H - int(box.y0) - 2
    xs, ys = np.meshgrid(np.arange(x0, x1) + 0.5, H - (np.arange(y0, y1) + 0.5))
    d = p.ax_region.transData.inverted().transform(np.column_stack([xs.ravel(), ys.ravel()]))
    lo, hi = p.result.extent
    res = p.result.probs.shape[0]
    j, i = np.clip(np.round((d - lo) / (hi - lo) * (res - 1)).astype(int), 0, res - 1).T
    mine = (np.argmax(p.result.probs, axis=2)[i, j] == k).reshape(xs.shape)
    changed = np.abs(drawn[y0:y1, x0:x1, :3] - bare[y0:y1, x0:x1, :3]).max(axis=2)
    return float((changed[mine] <= tol).mean())


def test_the_circles_small_class_1_region_is_seen_around_its_points_and_outlined():
    """The default data after 1000 steps: class 1 is predicted on ~4 % of the plot, where ~40 % of the points
    are. Before, the points hid 90 % of it; now at least a fifth shows, and its boundary is drawn over them."""
    p = TrainingPlayground()
    p.run(1000)
    assert p.result.regions[1][0] < 0.08
    assert region_seen(p) >= 0.2
    assert p.boundary.get_zorder() > max(a.get_zorder() for a in p.train_pts + p.test_pts)
    np.testing.assert_array_equal(p.boundary.get_segments(), list(p.result.boundary))
    assert len(p.result.boundary) > 10


def test_contour_is_contourpys_line():
    rng = np.random.default_rng(1)
    for trial in range(100):
        n = int(rng.integers(2, 12))
        xs, ys = np.linspace(-1, 2, n), np.linspace(0, 3, n + 1)[:n]
        F = rng.normal(size=(n, n)) + (trial % 3 - 1)
        ours = playground.contour(F, xs, ys)
        lines = contourpy.contour_generator(xs, ys, F, name="serial", corner_mask=False,
                                            line_type="Separate").lines(0)
        assert len(ours) == sum(len(line) - 1 for line in lines), trial
        vertices = np.concatenate(lines) if lines else np.empty((0, 2))
        for point in ours.reshape(-1, 2):
            assert np.min(np.abs(vertices - point).max(1)) < 1e-9, trial


def test_the_boundary_separates_the_predicted_classes():
    """Each segment of the three-class boundary has different predicted classes on its two sides."""
    p = TrainingPlayground(dataset="spirals", classes=3, n=300, layers=2, units1=8, units2=8, noise=0.0)
    p.run(600)
    probs, (lo, hi) = p.result.probs, p.result.extent
    res = probs.shape[0]
    xs = np.linspace(lo, hi, res)
    segments = p.result.boundary
    assert len(segments) > 20
    winner = np.argmax(probs, axis=2)
    for seg in segments:
        col, row = np.clip(((seg.mean(0) - lo) // (xs[1] - xs[0])).astype(int), 0, res - 2)
        assert len(set(winner[row:row + 2, col:col + 2].ravel())) >= 2
    two = probs[..., :2] / probs[..., :2].sum(2, keepdims=True)     # two classes: the line p1 = p0, all of it
    expected = playground.contour(two[..., 1] - two[..., 0], xs, xs)
    np.testing.assert_array_equal(playground.boundary(two, (lo, hi)), expected)
