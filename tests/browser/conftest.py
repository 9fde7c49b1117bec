"""A real JupyterLab on localhost and Debian chromium driven by Playwright.

Without chromium or Playwright these tests are skipped on a developer machine and
fail when CI=true (CI must never pass by skipping the browser layer).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from jupyter_page import ServerError, serve

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("NNLAB_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-quic", "--disable-sync"]


def _unavailable(reason):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests cannot run: {reason} (CI=true, so this is a failure, not a skip)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """JupyterLab serving a scratch copy of notebooks/ (runs must not touch the repository)."""
    try:
        yield from serve(ROOT / "notebooks", tmp_path_factory.mktemp("lab"), "jupyterlab")
    except ServerError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def notebook7(tmp_path_factory):
    """Notebook 7 (``jupyter notebook``) serving a scratch copy of notebooks/."""
    try:
        yield from serve(ROOT / "notebooks", tmp_path_factory.mktemp("nb7"), "notebook")
    except ServerError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        _unavailable(f"{CHROMIUM} not found (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    pg = context.new_page()
    pg.console_errors = []
    pg.on("console", lambda m: m.type == "error" and pg.console_errors.append(m.text))
    pg.on("pageerror", lambda e: pg.console_errors.append(f"page error: {e}"))
    yield pg
    context.close()
