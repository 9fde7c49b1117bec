"""Start, inspect and stop a JupyterHub for the course on this machine (127.0.0.1 only).

    NNLAB_HUB_PASSWORD=... .venv/bin/python deploy/hub.py start [--dir DIR] [--port PORT]
    .venv/bin/python deploy/hub.py status [--dir DIR]
    .venv/bin/python deploy/hub.py stop [--dir DIR]

``start`` runs ``jupyterhub -f deploy/jupyterhub_config.py`` (JupyterHub from this environment,
configurable-http-proxy from npm, the shared-password authenticator, one JupyterLab per student, the idle culler)
in a session of its own, waits until the hub answers through the proxy, and writes what ``stop`` needs into
``DIR/hub.json`` (default DIR: ``deploy/.run``; the students' homes are ``DIR/home/<name>``). ``stop`` stops
every process the hub started, by process id: first the hub itself (SIGTERM: it stops the students' servers, their
kernels, the proxy and the culler as it shuts down), then whatever is left of them (the hub's process tree as it
was, and every process that carries this hub's mark ``NNLAB_HUB_ID`` in its environment), SIGTERM then SIGKILL;
it then checks that none of the ports they listened on is still open.

The test (tests/browser/test_hub_browser.py) and the benchmark (benchmarks/bench_hub.py) use the same code through
``Hub.start(...)`` and ``hub.stop()``.

configurable-http-proxy is looked for in ``NNLAB_HUB_PROXY``, then ``<environment>/node/node_modules/.bin`` (where
``.ci/setup.sh --test`` installs it with npm), then on ``PATH``.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "jupyterhub_config.py"
DEFAULT_DIR = HERE / ".run"
MARK = "NNLAB_HUB_ID"


class HubError(RuntimeError):
    """The hub could not be started, or not stopped cleanly."""


def find_proxy():
    """The configurable-http-proxy program: ``NNLAB_HUB_PROXY``, the environment's npm prefix, or ``PATH``;
    None when there is none."""
    named = os.environ.get("NNLAB_HUB_PROXY")
    if named:
        return named if Path(named).is_file() else None
    local = Path(sys.prefix) / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
    if local.is_file():
        return str(local)
    return shutil.which("configurable-http-proxy")


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(ports):
    """Those of ``ports`` on which something on 127.0.0.1 accepts connections."""
    found = []
    for port in ports:
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                found.append(port)
    return found


def _get(url, token=None, timeout=5):
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"} if token else {})
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return json.loads(answer.read().decode())


@dataclass
class Hub:
    """A running hub: where it keeps its state, its ports and the process that runs it."""

    dir: Path
    port: int
    api_port: int
    proxy_api_port: int
    pid: int
    started: float  # the hub process's create_time, so a reused process id is never taken for the hub
    mark: str
    token: str
    ports_seen: list = field(default_factory=list)

    @property
    def url(self):
        """The hub's public address (through the proxy)."""
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------ starting

    @classmethod
    def start(cls, dir=DEFAULT_DIR, port=None, password=None, cull_timeout=3600, expose_app=False, timeout=90):
        """Start the hub with its state in ``dir`` and wait until it answers on ``port`` (a free one when None).
        ``password``: the students' shared password (default: ``NNLAB_HUB_PASSWORD``). Raises HubError with the
        cause (and the end of the hub's log) when it does not come up; nothing is left running then."""
        password = password if password is not None else os.environ.get("NNLAB_HUB_PASSWORD")
        if not password or len(password) < 8:
            raise HubError("password: the students' shared password must be at least 8 characters (pass it as "
                           f"NNLAB_HUB_PASSWORD); got {'none' if not password else f'{len(password)} characters'}")
        proxy = find_proxy()
        if proxy is None:
            raise HubError("configurable-http-proxy not found (NNLAB_HUB_PROXY, "
                           f"{Path(sys.prefix) / 'node/node_modules/.bin'}, PATH); install it with: npm install "
                           f"--prefix {Path(sys.prefix) / 'node'} configurable-http-proxy "
                           "(bash .ci/setup.sh --test does)")
        hub_bin = Path(sys.executable).parent / "jupyterhub"
        if not hub_bin.exists():
            raise HubError(f"jupyterhub is not installed in {sys.prefix} (pip install -e '.[hub]')")
        dir = Path(dir).resolve()
        state = dir / "hub.json"
        if state.exists():
            old = cls.load(dir)
            if old.alive():
                raise HubError(f"dir: a hub from {dir} is already running (pid {old.pid}, {old.url}); "
                               f"stop it first: deploy/hub.py stop --dir {dir}")
            old.stop()
        (dir / "home").mkdir(parents=True, exist_ok=True)
        ports = [port or free_port(), free_port(), free_port()]
        if len(set(ports)) < 3 or listening(ports):
            raise HubError(f"port: {ports[0]} or the hub's other ports ({ports[1:]}) are in use or coincide")
        mark, token = secrets.token_hex(8), secrets.token_hex(32)
        env = dict(os.environ, NNLAB_HUB_DIR=str(dir), NNLAB_HUB_PORT=str(ports[0]), NNLAB_HUB_API_PORT=str(ports[1]),
                   NNLAB_PROXY_API_PORT=str(ports[2]), NNLAB_HUB_PASSWORD=password, NNLAB_HUB_PROXY=proxy,
                   NNLAB_HUB_TOKEN=token, NNLAB_HUB_CULL_TIMEOUT=str(int(cull_timeout)),
                   NNLAB_HUB_EXPOSE_APP="1" if expose_app else "0", **{MARK: mark})
        env.pop("JUPYTERHUB_API_TOKEN", None)
        with open(dir / "hub.log", "ab") as log:
            proc = subprocess.Popen([str(hub_bin), "-f", str(CONFIG)], cwd=dir, env=env, stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        hub = cls(dir=dir, port=ports[0], api_port=ports[1], proxy_api_port=ports[2], pid=proc.pid,
                  started=psutil.Process(proc.pid).create_time(), mark=mark, token=token, ports_seen=list(ports))
        hub.save()
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                hub.stop()
                raise HubError(f"jupyterhub exited with status {proc.returncode}; the end of {dir / 'hub.log'}:\n"
                               + hub.log_tail())
            try:
                _get(f"{hub.url}/hub/api/", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    hub.stop()
                    raise HubError(f"the hub did not answer on {hub.url} within {timeout} s; the end of its log:\n"
                                   + hub.log_tail()) from None
                time.sleep(0.25)
        return hub

    def save(self):
        """Write what ``stop`` needs (ports, process id, mark, token) into ``dir/hub.json``, readable by the owner
        only (it holds the hub's service token)."""
        path = self.dir / "hub.json"
        path.touch(mode=0o600)
        path.write_text(json.dumps({**asdict(self), "dir": str(self.dir)}, indent=1))

    @classmethod
    def load(cls, dir=DEFAULT_DIR):
        """The hub whose state is in ``dir`` (running or not)."""
        path = Path(dir).resolve() / "hub.json"
        if not path.exists():
            raise HubError(f"dir: no hub has been started from {Path(dir).resolve()} (no hub.json there)")
        data = json.loads(path.read_text())
        return cls(**{**data, "dir": Path(data["dir"])})

    def log_tail(self, chars=4000):
        """The end of the hub's log (the hub, the proxy, the culler and every student's server write there)."""
        path = self.dir / "hub.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    # ------------------------------------------------------------------ looking at it

    def process(self):
        """The hub's process, or None when it is gone (a process id taken by another process is not the hub)."""
        try:
            p = psutil.Process(self.pid)
            return p if abs(p.create_time() - self.started) < 0.01 and p.status() != psutil.STATUS_ZOMBIE else None
        except psutil.NoSuchProcess:
            return None

    def alive(self):
        return self.process() is not None

    def processes(self):
        """Every live process this hub started: its process tree (hub, proxy, culler, students' servers, their
        kernels) and any process that carries its mark (a server or kernel whose parent has gone)."""
        found = {}
        hub = self.process()
        if hub is not None:
            found[hub.pid] = hub
            for child in hub.children(recursive=True):
                found[child.pid] = child
        for p in psutil.process_iter(["pid"]):
            if p.pid in found or p.pid == os.getpid():
                continue
            try:
                if p.environ().get(MARK) == self.mark:
                    found[p.pid] = p
                    for child in p.children(recursive=True):
                        found.setdefault(child.pid, child)
            except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess, OSError):
                continue
        return [p for p in found.values() if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]

    def ports(self):
        """The TCP ports on which the hub's processes listen now (the hub's three and every student server's)."""
        pids = {p.pid for p in self.processes()}
        ports = set()
        for conn in psutil.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.pid in pids:
                ports.add(conn.laddr.port)
        return sorted(ports)

    def server(self, user):
        """The process of ``user``'s single-user server (a child of the hub), or None."""
        hub = self.process()
        for p in hub.children() if hub else ():
            try:
                if p.environ().get("JUPYTERHUB_USER") == user and "singleuser" in " ".join(p.cmdline()):
                    return p
            except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
                continue
        return None

    def users(self):
        """The hub's users and their servers, from its REST API (the ``nnlab-hub`` service's token)."""
        return _get(f"{self.url}/hub/api/users", self.token)

    def memory(self):
        """RSS and PSS in bytes of the hub's own processes: the hub, the proxy and the culler (not the students')."""
        hub = self.process()
        own = [hub] + [c for c in hub.children() if not _environ(c).get("JUPYTERHUB_USER")] if hub else []
        total = {"rss": 0, "pss": 0}
        for p in own:
            try:
                info = p.memory_full_info()
            except psutil.NoSuchProcess:
                continue
            total["rss"] += info.rss
            total["pss"] += getattr(info, "pss", info.rss)
        return total

    # ------------------------------------------------------------------ stopping

    def stop(self, timeout=30):
        """Stop every process this hub started and check that its ports are closed; return what was done
        ({"stopped": n, "killed": [...], "listening": [...]}). Raises HubError when a process or port
        outlives SIGKILL."""
        procs = {p.pid: p for p in self.processes()}
        ports = sorted(set(self.ports_seen) | set(self.ports()))
        hub = self.process()
        if hub is not None:
            try:
                hub.send_signal(signal.SIGTERM)  # the hub stops the students' servers, the proxy and the culler
                hub.wait(timeout)
            except psutil.NoSuchProcess:
                pass
            except psutil.TimeoutExpired:
                pass
        for p in self.processes():  # anything the hub started after our first look
            procs.setdefault(p.pid, p)
        left = [p for p in procs.values() if _running(p)]
        killed = []
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            for p in left:
                try:
                    p.send_signal(sig)
                    if sig == signal.SIGKILL:
                        killed.append(" ".join(p.cmdline())[:120] or str(p.pid))
                except (psutil.NoSuchProcess, psutil.ZombieProcess):
                    pass
            _gone, left = psutil.wait_procs(left, timeout=wait)
            left = [p for p in left if _running(p)]
            if not left:
                break
        if left:
            raise HubError(f"processes of the hub outlived SIGKILL: {[p.pid for p in left]}")
        deadline = time.monotonic() + 5
        while listening(ports) and time.monotonic() < deadline:
            time.sleep(0.2)
        still = listening(ports)
        if still:
            raise HubError(f"after stopping the hub, ports {still} still accept connections")
        state = self.dir / "hub.json"
        if state.exists():
            state.unlink()
        return {"stopped": len(procs), "killed": killed, "listening": still, "ports": ports}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def _environ(p):
    """The environment of process ``p`` ({} when it is gone or not ours to read)."""
    try:
        return p.environ()
    except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess, OSError):
        return {}


def _running(p):
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def main(argv=None):
    parser = argparse.ArgumentParser(prog="deploy/hub.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", help="start the hub and wait until it answers")
    start.add_argument("--port", type=int, help="public port on 127.0.0.1 (default: a free one)")
    start.add_argument("--cull-timeout", type=int, default=3600,
                       help="seconds of inactivity before the idle culler stops a student's server (default 3600)")
    for p in (start, sub.add_parser("stop", help="stop every process the hub started"),
              sub.add_parser("status", help="the hub's address, processes, ports and users")):
        p.add_argument("--dir", default=str(DEFAULT_DIR), help=f"the hub's state folder (default {DEFAULT_DIR})")
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            if args.port is not None and not 0 < args.port < 65536:
                parser.error(f"--port: expected a port number between 1 and 65535, got {args.port}")
            hub = Hub.start(args.dir, port=args.port, cull_timeout=args.cull_timeout)
            print(f"hub running at {hub.url} (pid {hub.pid}); state and students' homes in {hub.dir}; "
                  f"log {hub.dir / 'hub.log'}")
        elif args.command == "stop":
            done = Hub.load(args.dir).stop()
            print(f"stopped {done['stopped']} processes; ports {done['ports']} closed"
                  + (f"; killed {len(done['killed'])} that ignored SIGTERM" if done["killed"] else ""))
        else:
            hub = Hub.load(args.dir)
            if not hub.alive():
                print(f"the hub from {hub.dir} is not running (stop cleans up what is left)")
                return 1
            users = hub.users()
            print(f"hub at {hub.url}, pid {hub.pid}, {len(hub.processes())} processes, listening on {hub.ports()}")
            for u in users:
                print(f"  {u['name']}: {'running' if u.get('servers') else 'no server'}")
    except HubError as exc:
        print(f"deploy/hub.py {args.command}: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
