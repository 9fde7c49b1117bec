"""Lecture 10's Convolution explorer shows PyTorch's convolution: every output cell, the window of every cell, the
output size and the product-sum, checked against ``torch.nn.functional.conv2d`` and ``unfold``; Play steps the
window and the output fills in."""
import asyncio

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nnlab.views import Convolution
from nnlab.views.convolution import IMAGES, KERNELS, _num

GEOMETRIES = [(1, 0, 1), (2, 1, 1), (3, 2, 2), (2, 0, 3), (1, 3, 2)]


def torch_output(x, w, stride, padding, dilation, flip=False):
    w = np.flip(w) if flip else w
    t = F.conv2d(torch.tensor(np.ascontiguousarray(x))[None, None], torch.tensor(np.ascontiguousarray(w))[None, None],
                 stride=stride, padding=padding, dilation=dilation)
    return t[0, 0].numpy()


def windows(shape, k, stride, padding, dilation):
    """The input cells each output cell reads, by PyTorch: ``unfold`` of an image of cell numbers (0 = padding)."""
    numbers = torch.arange(1, shape[0] * shape[1] + 1, dtype=torch.float64).reshape(1, 1, *shape)
    cols = F.unfold(numbers, k, dilation=dilation, padding=padding, stride=stride)[0].T.numpy().astype(int)
    return [[divmod(v - 1, shape[1]) if v else None for v in col] for col in cols]


@pytest.mark.parametrize("stride, padding, dilation", GEOMETRIES)
@pytest.mark.parametrize("mode", ["correlation", "convolution"])
def test_the_output_and_every_window_are_pytorchs(stride, padding, dilation, mode):
    e = Convolution(input="digit", kernel="sharpen", stride=stride, padding=padding, dilation=dilation, mode=mode)
    x, w = np.array(IMAGES["digit"]), np.array(KERNELS["sharpen"], dtype=float)
    theirs = torch_output(x, w, stride, padding, dilation, flip=mode == "convolution")
    np.testing.assert_allclose(e.result.z, theirs, atol=1e-12)
    assert (e.result.rows.size, e.result.cols.size) == theirs.shape
    read = windows(x.shape, w.shape, stride, padding, dilation)
    for cell in sorted({0, 1, theirs.size // 2, theirs.size - 1} & set(range(theirs.size))):
        e.set(position=cell + 1)
        shown = e.im_out.get_array()
        assert np.sum(np.isfinite(shown)) == cell + 1   # the cells done, no more
        np.testing.assert_allclose(np.ravel(shown)[:cell + 1], theirs.ravel()[:cell + 1], atol=1e-12)
        taps = [t for t in e.taps if t.get_visible()]
        centres = [(round(t.get_y() + 0.5), round(t.get_x() + 0.5)) for t in taps]   # (row, column), padded
        expected = [rc if rc is not None else None for rc in read[cell]]
        for (r, c), want in zip(centres, expected):
            inside = 0 <= r < x.shape[0] and 0 <= c < x.shape[1]
            assert (r, c) == want if inside else want is None
        total = sum(t.product for t in e.result.terms)
        assert total == pytest.approx(theirs.ravel()[cell], abs=1e-12)
        assert e.sum_text.get_text().splitlines()[-1] == f"  = {_num(total).strip('()')}"


def test_a_window_that_does_not_fit_exactly_is_explained_and_sized_as_pytorch_sizes_it():
    e = Convolution(input="digit", kernel="vertical edge", stride=2, padding=0)   # (8 - 3) / 2: 2.5
    assert e.result.z.shape == torch_output(np.array(IMAGES["digit"]), np.ones((3, 3)), 2, 0, 1).shape == (3, 3)
    assert "5/2 = 2.5 rounds down to 2, so 3 windows fit" in e.describe()
    assert "⌊(8 + 2·0 − 1·2 − 1) / 2⌋ + 1 = ⌊5/2⌋ + 1 = 3" in e.size_text.get_text()   # the formula, its numbers
    assert "5/2 = 2.5 rounded down: the last 1 cell\n    of the padded input in no window" in e.size_text.get_text()
    e.set(stride=1)
    assert "not an integer" not in e.describe() and "no window" not in e.size_text.get_text()


def test_the_lectures_two_by_two_filter_on_a_six_by_six_image_gives_five_by_five():
    e = Convolution(input="small", kernel="2 × 2 difference", position=25)
    assert e.result.z.shape == (5, 5) and "the output is 5 × 5" in e.describe()
    np.testing.assert_allclose(e.result.z, torch_output(np.array(IMAGES["small"], float),
                                                        np.array(KERNELS["2 × 2 difference"], float), 1, 0, 1))
    assert e.controls["step"].disabled and e.controls["all"].disabled and not e.controls["back"].disabled


def test_your_image_and_your_kernel():
    rng = np.random.default_rng(0)
    image, kernel = rng.normal(size=(7, 11)), rng.normal(size=(2, 3))
    e = Convolution(image=image, weights=kernel, stride=2, padding=1)
    assert e.state["input"] == "custom" and e.state["kernel"] == "custom"
    np.testing.assert_allclose(e.result.z, torch_output(image, kernel, 2, 1, 1), atol=1e-12)
    again = Convolution(**e.state)
    np.testing.assert_allclose(again.result.z, e.result.z)
    e.controls["entries"].value = "1 2; 3 4"
    assert e.state["kernel"] == "custom" and e.state["weights"] == ((1.0, 2.0), (3.0, 4.0))
    e.controls["entries"].value = "1 2; 3"
    assert "rows of equal length" in e.caption.value and e.state["weights"] == ((1.0, 2.0), (3.0, 4.0))
    e.controls["kernel"].value = "blur"
    assert e.controls["entries"].value.startswith("0.111 0.111 0.111")


def test_ranges_follow_the_room_and_bad_settings_are_named():
    e = Convolution(input="small", weights=np.ones((5, 5)))   # a 5 x 5 kernel on 6 x 6: dilation 1 only
    assert e.controls["dilation"].max == 1
    e.set(padding=3)
    assert e.controls["dilation"].max == (6 + 6 - 1) // 4 == 2
    e.set(dilation=2, position=3)
    e.set(padding=0)   # the room shrinks: the widest dilation that fits, the cells that exist
    assert e.state["dilation"] == 1 and e.state["position"] == 3 and e.total == 4
    with pytest.raises(ValueError, match="^image: expected a 2-D array"):
        Convolution(image=np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="^input: 'custom' needs image"):
        Convolution(input="custom")
    with pytest.raises(ValueError, match="^stride: "):
        Convolution(stride=0)


def test_play_steps_the_window_and_the_output_fills_in():
    e = Convolution(input="small", kernel="2 × 2 difference")
    e.seconds_per_cell = 0.001

    async def playing():
        e.play()
        while e.state["position"] < 6:
            await asyncio.sleep(0.005)
        e.pause()
        await e._task
        return e.state["position"]

    stopped = asyncio.run(playing())
    assert 6 <= stopped < 25 and not e.playing and not e.controls["play"].disabled
    assert np.sum(np.isfinite(e.im_out.get_array())) == stopped
    e.controls["all"].click()
    assert e.state["position"] == 25 and e.controls["play"].disabled


def test_a_click_on_the_input_moves_the_window_there_and_on_the_output_to_that_cell():
    e = Convolution(input="digit", stride=2, padding=1)
    for r, c in [(0, 0), (3, 6), (7, 7), (-1, 2)]:
        X, Y = e.pixel(e.ax_in, c, r)
        e.click(X, Y)
        first = min((t for t in e.taps if t.get_visible()), key=lambda t: (t.get_y(), t.get_x()))
        top, left = first.get_y() + 0.5, first.get_x() + 0.5     # the window's first tap (row, column)
        for at, want, n in ((top, r, e.result.rows.size), (left, c, e.result.cols.size)):
            starts = np.arange(n) * 2 - 1                          # where windows start: i s - p
            assert abs(at - want) == np.abs(starts - want).min()   # the nearest of them
    X, Y = e.pixel(e.ax_out, 2, 1)
    e.click(X, Y)
    assert e.state["position"] == 1 * e.result.cols.size + 2 + 1
