"""Shared test set-up: explorers do their ``later`` work before the frame (``Explorer.background``
False), so each control change gives one frame, in order; tests of the background path turn it on.
Notebook checks draw fresh inputs on every call (``registry.SEED = None``); the tests fix them at seed 0, so
that a test can draw the same cases as the check it calls (tests of other seeds set their own)."""
import pytest

from nnlab.checks import registry
from nnlab.views.base import Explorer


@pytest.fixture(autouse=True)
def later_work_in_the_frame(monkeypatch):
    monkeypatch.setattr(Explorer, "background", False)


@pytest.fixture(autouse=True)
def check_inputs_of_seed_0(monkeypatch):
    monkeypatch.setattr(registry, "SEED", 0)


def pytest_collection_modifyitems(config, items):
    """Where the explorers draw by matplotlib's public path (``NNLAB_RENDERER=plain``, or a matplotlib the fast
    renderer cannot trust), the tests of the fast renderer's own machinery have nothing to test."""
    from nnlab.views import fastpath

    why = fastpath.why_plain()
    if why:
        skip = pytest.mark.skip(reason=f"the explorers draw by the public path here: {why}")
        for item in items:
            if "fast_renderer" in item.keywords:
                item.add_marker(skip)
