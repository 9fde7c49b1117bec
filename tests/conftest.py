"""Shared test set-up: explorers do their ``later`` work before the frame (``Explorer.background``
False), so each control change gives one frame, in order; tests of the background path turn it on.
Notebook checks draw fresh inputs on every call (``registry.SEED = None``); the tests fix them at seed 0, so
that a test can draw the same cases as the check it calls (tests of other seeds set their own)."""
import os

import pytest

from nnlab.checks import registry
from nnlab.views.base import Explorer


def pytest_configure(config):
    """In a pytest-xdist worker, one thread each for PyTorch and the BLAS: two workers on two cores, each with
    threads of its own, wait on each other (the first DigitPad of a worker trained for 76 s there, 8 s alone).
    Only the test process: notebooks run in kernels of their own, and nnlab sets no threads for a student."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        import torch
        from threadpoolctl import threadpool_limits

        torch.set_num_threads(1)
        config._nnlab_blas_threads = threadpool_limits(1)


@pytest.fixture(autouse=True)
def later_work_in_the_frame(monkeypatch):
    monkeypatch.setattr(Explorer, "background", False)


@pytest.fixture(scope="module")
def float64_tensors():
    """PyTorch's default dtype float64 for one module's tests (``pytestmark = pytest.mark.usefixtures(...)``),
    put back after them: set for the whole process, it reached the tests that ran later in the worker."""
    import torch

    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(before)


@pytest.fixture(autouse=True)
def check_inputs_of_seed_0(monkeypatch):
    monkeypatch.setattr(registry, "SEED", 0)


#: The tiers a plain ``pytest`` leaves out (a contributor's loop of about two minutes); ``pytest --all`` runs
#: them too (``.ci/run`` does), ``pytest -m notebooks`` one of them, and a test named on the command line runs
#: whatever its tier. Notebook cells (nbval) are in ``notebooks``; the others are marked where they are written.
TIERS = ("slow", "notebooks", "browser", "packaging")


def pytest_addoption(parser):
    parser.addoption("--all", action="store_true", dest="all_tiers",
                     help=f"run every tier ({', '.join(TIERS)}), not only the fast one")


def _left_out(config):
    """Whether this run leaves the tiers out: a plain ``pytest`` (no paths, no ``-m``, no ``-k``, no ``--all``)."""
    from _pytest.config import Config

    return not (config.getoption("all_tiers") or config.option.markexpr or config.option.keyword
                or config.args_source != Config.ArgsSource.TESTPATHS)


def pytest_xdist_auto_num_workers(config):
    """``-n auto`` (pyproject.toml's addopts): a tier, or every tier, on two workers (pytest-xdist; each test file
    on one worker, so a notebook's cells stay in order in one kernel); tests named on the command line in this
    process, with no workers to start."""
    from _pytest.config import Config

    return min(2, os.cpu_count() or 1) if config.args_source == Config.ArgsSource.TESTPATHS else 0


def pytest_report_header(config):
    if _left_out(config):
        return f"the fast tier: tests marked {', '.join(TIERS)} are left out (pytest --all runs everything)"


def _first(item):
    """Long work first, so that the short tests fill both workers at the end: browser, notebooks, slow, the rest."""
    return next((rank for rank, tier in enumerate(("browser", "notebooks", "slow", "packaging"))
                 if tier in item.keywords), 4)


def pytest_collection_modifyitems(config, items):
    """Notebook cells join the ``notebooks`` tier, and a plain ``pytest`` leaves the tiers out. Where the explorers
    draw by matplotlib's public path (``NNLAB_RENDERER=plain``, or a matplotlib the fast renderer cannot trust),
    the tests of the fast renderer's own machinery have nothing to test.

    pytest-xdist hands whole files to its workers (``--dist loadfile``) in the order collected: the files with
    long work go first (``_first``), so that short files fill both workers at the end (notebooks, collected
    last, used to leave one worker idle behind them)."""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebooks)
    rank = {}
    for item in items:
        rank[item.path] = min(rank.get(item.path, 4), _first(item))
    items.sort(key=lambda item: rank[item.path])
    if _left_out(config):
        tiered = [any(tier in item.keywords for tier in TIERS) for item in items]
        config.hook.pytest_deselected(items=[item for item, t in zip(items, tiered) if t])
        items[:] = [item for item, t in zip(items, tiered) if not t]

    from nnlab.views import fastpath

    why = fastpath.why_plain()
    if why:
        skip = pytest.mark.skip(reason=f"the explorers draw by the public path here: {why}")
        for item in items:
            if "fast_renderer" in item.keywords:
                item.add_marker(skip)
