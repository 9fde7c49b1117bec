"""Shared test set-up: explorers do their ``later`` work before the frame (``Explorer.background``
False), so each control change gives one frame, in order; tests of the background path turn it on."""
import pytest

from nnlab.views.base import Explorer


@pytest.fixture(autouse=True)
def later_work_in_the_frame(monkeypatch):
    monkeypatch.setattr(Explorer, "background", False)
