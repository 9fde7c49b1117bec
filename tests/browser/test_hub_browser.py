"""The course on a real JupyterHub, as a class gets it: ``deploy/hub.py`` starts JupyterHub 6 (configurable-http-proxy
from npm, the shared-password authenticator, one JupyterLab per student from the local process spawner, the idle
culler as a service) on 127.0.0.1; two students in chromium open the course's nbgitpuller link (made by
``nnlab hub-link``), log in, get their servers, nbgitpuller pulls a clone of this repository into each home and opens
the lecture; each runs all cells and moves an explorer's slider, and the image changes. Then ``Hub.stop`` stops
everything the hub started, and no process of it is left and none of its ports is open.

Without chromium, Playwright, JupyterHub, nbgitpuller, the idle culler or configurable-http-proxy the browser test
is skipped on a laptop and fails with CI=true (``bash .ci/setup.sh --test`` installs them all). The link's own
tests at the end run in the fast tier.
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psutil
import pytest
from hub_student import Student
from jupyter_page import wait

from nnlab.__main__ import main
from nnlab.hub import clone_folder, pull_link

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
PASSWORD = "nnlab-class-password"
STUDENTS = ("ada", "grace")
LECTURE = "notebooks/02_forward_pass.ipynb"  # two explorers, neither PyTorch nor numba: a light lecture


def _unavailable(reason):
    """The browser tier's rule (tests/browser/conftest.py): a skip on a laptop, a failure with CI=true."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"the hub test cannot run: {reason} (CI=true, so this is a failure, not a skip)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def hubctl():
    """deploy/hub.py as a module, once JupyterHub, nbgitpuller, the culler and configurable-http-proxy are here."""
    for module in ("jupyterhub", "nbgitpuller", "jupyterhub_idle_culler"):
        if importlib.util.find_spec(module) is None:
            _unavailable(f"{module} is not installed (pip install -e '.[test]')")
    spec = importlib.util.spec_from_file_location("nnlab_deploy_hub", ROOT / "deploy" / "hub.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    if module.find_proxy() is None:
        _unavailable("configurable-http-proxy not found (bash .ci/setup.sh --test installs it with npm)")
    return module


@pytest.fixture
def course(tmp_path):
    """A clone of this repository, as an instructor keeps the course on the hub's machine: a bare repository
    ``.../nnlab`` whose branch ``course`` is this checkout's commit; returns (path, commit)."""
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.strip()
    repo = tmp_path / "course" / "nnlab"
    subprocess.run(["git", "clone", "--quiet", "--bare", "--no-tags", str(ROOT), str(repo)], check=True)
    subprocess.run(["git", "--git-dir", str(repo), "branch", "--force", "course", commit], check=True)
    return repo, commit


@pytest.mark.browser
@pytest.mark.timeout(400)
def test_two_students_get_the_course_by_its_link_and_run_a_lecture(browser, hubctl, course, tmp_path, capsys):
    repo, commit = course
    began = time.monotonic()
    hub = hubctl.Hub.start(tmp_path / "hub", password=PASSWORD, expose_app=True)
    started = time.monotonic() - began
    contexts, report = [], {"hub_start": started}
    try:
        main(["hub-link", hub.url, "--repo", str(repo), "--branch", "course", "--notebook", LECTURE])
        link = capsys.readouterr().out.strip()
        assert link.startswith(f"{hub.url}/hub/user-redirect/git-pull?repo="), link
        students = []
        for name in STUDENTS:
            contexts.append(browser.new_context(viewport={"width": 1280, "height": 900}))
            page = contexts[-1].new_page()
            page.page_errors = []
            page.on("pageerror", lambda e, page=page: page.page_errors.append(str(e)))
            students.append(Student(page, name, hub.url))
        for s in students:  # both log in, then both wait: their servers start side by side
            s.follow_link(link, PASSWORD)
        for s in students:
            s.wait_for_server()
        notebook = f"{repo.name}/{LECTURE}"
        for s in students:
            s.wait_for_lecture(notebook)
            pulled = hub.dir / "home" / s.name / repo.name
            head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=pulled, capture_output=True, text=True)
            assert head.stdout.strip() == commit, f"{s.name}'s copy is not the course's commit: {head}"
            assert (pulled / LECTURE).is_file()
        for s in students:
            s.run_all()
        wait(lambda: all(["run" in s.times or s.poll_run() for s in students]), 300, "both lectures to run")
        for s in students:
            assert not s.errors, (s.name, s.errors)
            assert s.times["first_image"] is not None, f"{s.name}: no explorer image after running all cells"
            assert s.move_control(), (s.name, s.errors)
            assert not s.page.page_errors, (s.name, s.page.page_errors)

        memory = {s.name: s.memory(hub, notebook) for s in students}
        servers = {m["server"]["pid"] for m in memory.values()}
        assert len(servers) == len(STUDENTS), "each student has a server process of their own"
        for s in students:
            assert Path(hub.server(s.name).cwd()) == hub.dir / "home" / s.name
        culler = [p for p in hub.process().children() if "jupyterhub_idle_culler" in " ".join(p.cmdline())]
        assert len(culler) == 1, "the idle culler runs as a hub-managed service"
        assert any("200 GET /hub/api/users" in line and "(idle-culler@" in line
                   for line in hub.log_tail(10**7).splitlines()), "the culler reads the users with its role"
        report.update({s.name: {**{k: round(v, 2) for k, v in s.times.items()},
                                **{f"{role}_{kind}_mib": round(memory[s.name][role][kind] / 2**20)
                                   for role in ("server", "kernel") for kind in ("rss", "pss")}}
                       for s in students})
    finally:
        for context in contexts:
            context.close()
        procs, ports = hub.processes(), hub.ports()
        names = sorted(" ".join(a.rsplit("/", 1)[-1] for a in p.cmdline()[:3]) for p in procs)
        t = time.monotonic()
        done = hub.stop()
        report["hub_stop"] = time.monotonic() - t
    # the hub, the proxy, the culler, and a server and a kernel per student
    assert len(procs) == 3 + 2 * len(STUDENTS), names
    assert not [p.pid for p in procs if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert set(hub.ports_seen) <= set(ports) and len(ports) >= 3 + len(STUDENTS), ports
    assert not hubctl.listening(ports) and not done["listening"], "nothing of the hub still listens"
    report["wall"] = time.monotonic() - began
    report["processes"] = names
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "hub-test.json").write_text(json.dumps(report, indent=1, default=str))
    print(json.dumps(report, default=str))


# ------------------------------------------------------------------------------------------ the link alone


def test_the_link_is_nbgitpullers():
    """As nbgitpuller's link generator writes it: the hub's /hub/user-redirect/git-pull with repo, urlpath and
    branch, each URL-encoded, urlpath under the folder nbgitpuller's handler clones into."""
    link = pull_link("https://hub.example.edu/", repo="https://github.com/nnlab/nnlab", branch="main",
                     notebook="notebooks/01_linear_classifiers_and_perceptron.ipynb")
    assert link == ("https://hub.example.edu/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2Fnnlab%2Fnnlab"
                    "&urlpath=lab%2Ftree%2Fnnlab%2Fnotebooks%2F01_linear_classifiers_and_perceptron.ipynb&branch=main")
    parts = urlsplit(pull_link("http://127.0.0.1:8000/prefix", repo="/srv/my course/nnlab.git/", branch="fall-26",
                               notebook="/notebooks/a b.ipynb"))
    assert parts.path == "/prefix/hub/user-redirect/git-pull"
    query = parse_qs(parts.query)
    assert query == {"repo": ["/srv/my course/nnlab.git/"], "branch": ["fall-26"],
                     "urlpath": ["lab/tree/nnlab.git/notebooks/a%20b.ipynb"]}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"\n    {pull_link('https://hub.example.edu')}\n" in readme, "the README's example is what nnlab prints"
    assert clone_folder("git@github.com:nnlab/nnlab") == "nnlab"
    assert "targetpath=course" in pull_link("https://h.edu", targetpath="course")
    assert "urlpath=notebooks%2Fcourse%2F" in pull_link("https://h.edu", targetpath="course", app="notebook")


@pytest.mark.parametrize("args, named", [
    (["ftp://hub"], "URL"), (["https://hub?x=1"], "URL"), (["https://hub", "--notebook", "../x.ipynb"], "--notebook"),
    (["https://hub", "--branch", "a b"], "--branch"), (["https://hub", "--repo", "git@host:repo"], "--repo"),
])
def test_hub_link_names_the_wrong_argument(args, named, capsys):
    with pytest.raises(SystemExit):
        main(["hub-link", *args])
    assert f"error: {named}: " in capsys.readouterr().err


# ------------------------------------------------------------------------------------------ the README's commands


def readme_hub_commands():
    """The shell commands of the README's hub section: its first indented block that starts a hub (indented, not
    fenced: tests/test_readme.py runs the fenced blocks; this one is run here, where the hub's parts are known to
    be installed)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### The course on a JupyterHub"):]
    section = section[:section.index("\n## ")]
    blocks = [textwrap.dedent(b) for b in re.findall(r"(?:^    \S.*\n)+", section, re.M)]
    return next(b for b in blocks if "deploy/hub.py start" in b)


@pytest.mark.browser
@pytest.mark.timeout(200)
def test_the_readmes_hub_commands_run_as_written(hubctl, tmp_path):
    """The README's commands start a hub on the port they name (here a free one instead; and this test's python
    where the environment is not ``.venv``), print the course's link, its status, and stop it with nothing left
    listening."""
    commands = readme_hub_commands()
    assert "--port 8000" in commands and "http://127.0.0.1:8000" in commands, commands
    port = hubctl.free_port()
    state = ROOT / "deploy" / ".run"
    fresh = not state.exists()
    commands = commands.replace("8000", str(port))
    if not (ROOT / ".venv").exists():  # the environment lives elsewhere (NNLAB_VENV): this test's python
        commands = commands.replace(".venv/bin/python", f"{sys.prefix}/bin/python")
    try:
        done = subprocess.run(["bash", "-e", "-c", commands], cwd=ROOT, capture_output=True, text=True, timeout=150)
    finally:
        if (state / "hub.json").exists():  # stopped here if the commands did not get as far as stop
            hubctl.Hub.load(state).stop()
        if fresh and state.exists():
            shutil.rmtree(state)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"hub running at http://127.0.0.1:{port} "), lines
    assert lines[1] == pull_link(f"http://127.0.0.1:{port}", repo=f"file://{ROOT}", branch="main"), lines
    assert lines[2].startswith(f"hub at http://127.0.0.1:{port}, pid "), lines
    assert lines[-1].startswith("stopped ") and "closed" in lines[-1], lines
    assert not hubctl.listening([port])
