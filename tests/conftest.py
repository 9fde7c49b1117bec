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
