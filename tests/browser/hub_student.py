"""One student on the course's JupyterHub, driven in chromium by Playwright (sync API): follow the course's
nbgitpuller link, log in with the shared password, wait for the server and the pull, run a lecture, move an
explorer's control, and read what the student's server and kernel cost in memory. Used by
tests/browser/test_hub_browser.py (two students) and benchmarks/bench_hub.py (a class).

Each step is split in a part that acts and a part that waits, so that one thread can drive several students at
once (act for each, then wait for each).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import psutil
from jupyter_page import RUN_STATE_JS, bad_outputs, wait

# the student's session in JupyterLab, from the server's own API (sent with the XSRF cookie, as JupyterLab does)
SESSIONS_JS = """async () => {
  const xsrf = (document.cookie.match(/(?:^|; )_xsrf=([^;]*)/) || [])[1] || '';
  const base = document.querySelector('body').dataset.baseUrl
            || JSON.parse(document.getElementById('jupyter-config-data').textContent).baseUrl;
  const answer = await fetch(base + 'api/sessions', {headers: {'X-XSRFToken': decodeURIComponent(xsrf)}});
  return answer.ok ? await answer.json() : {error: answer.status};
}"""

LAB_READY_JS = """() => window.jupyterapp && window.jupyterapp.shell.currentWidget
                 && window.jupyterapp.shell.currentWidget.sessionContext"""

FIRST_IMAGE_JS = """() => { const img = document.querySelector('.nnlab-explorer img.nnlab-figure');
                            return !!(img && img.getAttribute('src')); }"""


@dataclass
class Student:
    """A student ``name`` with a chromium page of their own; ``times`` and ``errors`` fill in as they go."""

    page: object
    name: str
    hub_url: str
    times: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)

    # ---------------------------------------------------------------- logging in, the server, the pull

    def follow_link(self, link, password):
        """Open the course's link (not yet logged in: the hub's login page) and log in."""
        self.page.goto(link)
        self.page.wait_for_selector("#username_input", timeout=60_000)
        self.page.fill("#username_input", self.name)
        self.page.fill("#password_input", password)
        self._t0 = time.monotonic()
        self.page.click("#login_submit", no_wait_after=True)

    def url(self):
        """The page's address now (Playwright's sync API hears of navigations only while it is called, so it is
        asked to wait a moment first)."""
        self.page.wait_for_timeout(20)
        return self.page.url

    def wait_for_server(self, timeout=240):
        """Wait until the student's own server answers (the page reaches /user/NAME/, nbgitpuller's page);
        records ``server`` s from the login."""
        prefix = f"{self.hub_url}/user/{self.name}/"
        wait(lambda: self.url().startswith(prefix), timeout, f"{self.name}'s server to answer")
        self.times["server"] = time.monotonic() - self._t0

    def wait_for_lecture(self, notebook, timeout=240):
        """Wait until nbgitpuller has pulled the course and JupyterLab shows ``notebook`` (a path under the
        student's home) with its kernel idle; records ``pull`` s (server answering to the lecture open)."""
        t = time.monotonic()
        wait(lambda: "/lab/tree/" in self.url(), timeout, f"nbgitpuller to pull the course for {self.name}")
        assert self.page.url.split("?")[0].endswith(notebook), (self.page.url, notebook)
        self.page.wait_for_function(LAB_READY_JS, timeout=timeout * 1000)
        self.wait_idle(timeout)
        self.times["pull"] = time.monotonic() - t

    def open_lecture(self, notebook, timeout=240):
        """Open another lecture (a path under the home) in a workspace of its own, and wait for its kernel."""
        workspace = "w" + notebook.replace("/", "-").replace(".", "-")
        self.page.goto(f"{self.hub_url}/user/{self.name}/lab/workspaces/{workspace}/tree/{notebook}?reset")
        self.page.wait_for_function(LAB_READY_JS, timeout=timeout * 1000)
        self.wait_idle(timeout)

    def wait_idle(self, timeout):
        wait(lambda: (self.page.evaluate(RUN_STATE_JS) or {}).get("status") == "idle", timeout,
             f"{self.name}'s kernel to start")

    # ---------------------------------------------------------------- running a lecture

    def run_all(self):
        """Run all cells (JupyterLab's own command)."""
        self._run0 = time.monotonic()
        self._image = None
        self.page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")

    def poll_run(self):
        """True once every cell has run; notes when the first explorer image appeared."""
        if self._image is None and self.page.evaluate(FIRST_IMAGE_JS):
            self._image = time.monotonic() - self._run0
        state = self.page.evaluate(RUN_STATE_JS)
        if time.monotonic() - self._run0 < 1.0 or not state or state["status"] != "idle" or state["pending"]:
            return False
        self.times["run"] = time.monotonic() - self._run0
        self.times["first_image"] = self._image
        self.errors += bad_outputs(state)
        return True

    def wait_run(self, timeout=300):
        wait(self.poll_run, timeout, f"{self.name}'s lecture to finish running")

    def move_control(self, timeout=20, tries=4):
        """Press an arrow key on an explorer's slider (the other way if the image did not change: the end of its
        range) and wait for a new image; if none of the first ``tries`` enabled sliders changes it (lecture 6's
        digit pad, empty, shows the same picture wherever its drawing is moved), draw a stroke on a drawing pad.
        Records ``control`` s, from the key (or the end of the stroke) to the new image. Returns False, and notes
        an error, when nothing changed the image."""
        handles = self.page.locator(".nnlab-explorer .nnlab-ctl [role=slider]")
        tried = 0
        for i in range(handles.count()):
            handle = handles.nth(i)
            if tried == tries or handle.evaluate(
                    "e => !!e.closest('[disabled], .mod-disabled') || e.hasAttribute('disabled')"):
                continue
            tried += 1
            image = self._image_of(handle)
            for key in ("ArrowRight", "ArrowLeft"):
                if self._changes(image, lambda: (handle.focus(), self.page.keyboard.press(key)), timeout):
                    return True
        for k in range(self.page.locator(".nnlab-explorer .nnlab-pad canvas").count()):
            canvas = self.page.locator(".nnlab-explorer .nnlab-pad canvas").nth(k)
            if self._changes(self._image_of(canvas), lambda: self._stroke(canvas), timeout):
                return True
        self.errors.append(f"moved {tried} explorer sliders (and drew on any pad), but no image changed" if tried
                           else "no explorer slider or pad in the lecture")
        return False

    def _image_of(self, control):
        explorer = control.locator("xpath=ancestor::*[contains(@class, 'nnlab-explorer')][1]")
        explorer.evaluate("e => e.scrollIntoView({block: 'start'})")
        return explorer.locator("img.nnlab-figure").first

    def _changes(self, image, act, timeout):
        """Whether ``act()`` changes ``image`` within ``timeout`` s; records the time it took."""
        before = image.get_attribute("src")
        t = time.monotonic()
        act()
        try:
            self.page.wait_for_function("([img, before]) => img.getAttribute('src') !== before",
                                        arg=[image.element_handle(), before], timeout=timeout * 1000)
        except Exception:  # noqa: BLE001 - at the end of its range a key changes nothing
            return False
        self.times["control"] = time.monotonic() - t
        return True

    def _stroke(self, canvas):
        """A stroke with the mouse across the middle of a drawing pad."""
        box = canvas.bounding_box()
        at = lambda fx, fy: (box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)  # noqa: E731
        self.page.mouse.move(*at(0.3, 0.2))
        self.page.mouse.down()
        for k in range(1, 11):
            self.page.mouse.move(*at(0.3 + 0.04 * k, 0.2 + 0.06 * k))
        self.page.mouse.up()

    def close_lecture(self):
        """Shut the lecture's kernel down (as File > Close and Shut Down does), so the next starts alone."""
        self.page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")

    # ---------------------------------------------------------------- memory

    def sessions(self):
        """The student's sessions from their server's REST API (/api/sessions)."""
        answer = self.page.evaluate(SESSIONS_JS)
        assert isinstance(answer, list), f"{self.name}: GET api/sessions answered {answer}"
        return answer

    def processes(self, hub, notebook):
        """The student's single-user server and the kernel of ``notebook`` (psutil processes): the kernel's id from
        /api/sessions, its process from the server's process tree (its connection file is named by the id)."""
        server = hub.server(self.name)
        assert server is not None, f"no single-user server process for {self.name}"
        ids = [s["kernel"]["id"] for s in self.sessions() if s["path"] == notebook and s.get("kernel")]
        assert ids, f"{self.name}: no session for {notebook} in api/sessions"
        kernel = next((p for p in server.children(recursive=True) if any(ids[0] in a for a in p.cmdline())), None)
        assert kernel is not None, f"{self.name}: kernel {ids[0]} is not among the server's processes"
        return server, kernel

    def memory(self, hub, notebook):
        """RSS, PSS and the highest RSS so far (``hwm``), bytes, and process ids of the student's server and of the
        kernel of ``notebook``."""
        out = {}
        for role, proc in zip(("server", "kernel"), self.processes(hub, notebook)):
            info = proc.memory_full_info()
            out[role] = {"rss": info.rss, "pss": getattr(info, "pss", info.rss), "pid": proc.pid,
                         "hwm": high_water_mark(proc.pid)}
        return out


def high_water_mark(pid):
    """The largest RSS process ``pid`` has had in its life (Linux: VmHWM in /proc/PID/status), bytes; None elsewhere."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def cpu_seconds(procs):
    """User + system CPU seconds of the processes ``procs`` so far (those that are gone count 0)."""
    total = 0.0
    for p in procs:
        try:
            total += sum(p.cpu_times()[:2])
        except psutil.NoSuchProcess:
            pass
    return total
