"""What the sandbox can use on this machine (``protections()``, probed once), and which paths it may hide."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

@dataclass
class Protections:
    prefix: list = field(default_factory=list)   # unshare command, or nothing
    drop_uid: bool = False
    cgroup_root: str | None = None
    notes: list = field(default_factory=list)

    def describe(self):
        return "; ".join(self.notes)


_PROTECTIONS = None
UID_BASE = 61000


def _probe(cmd, preexec=None):
    try:
        return subprocess.run(cmd, capture_output=True, timeout=60, preexec_fn=preexec).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def protections():
    """What this machine lets the sandbox use (probed once)."""
    global _PROTECTIONS
    if _PROTECTIONS is not None:
        return _PROTECTIONS
    p = Protections()
    root = os.geteuid() == 0
    ns = ["unshare", "--mount", "--net", "--pid", "--fork", "--kill-child"]
    if not root:
        ns[1:1] = ["--user", "--map-root-user"]
    if shutil.which("unshare") and _probe(ns + ["true"]):
        p.prefix = ns
        p.notes.append("own PID, mount and network namespaces (no network; grading folders hidden; everything "
                       "read-only but its own folder; no capabilities)")
    else:
        p.notes.append("no namespaces (unshare unavailable): network not blocked, folders not hidden")
    if root:
        from .sandbox import become

        if _probe([sys.executable, "-c", "import nnlab.grading.sandbox"], preexec=lambda: become(UID_BASE)):
            p.drop_uid = True
            p.notes.append(f"runs as unprivileged user ids {UID_BASE}+")
        else:
            p.notes.append("stays uid 0 (this Python is not readable by other users)"
                           + (", without capabilities" if p.prefix else ""))
        p.cgroup_root = _pids_cgroup()
        if p.cgroup_root:
            p.notes.append("pids cgroup (at most 64 processes)")
        if not p.cgroup_root and not p.drop_uid:
            p.notes.append("WARNING: no process limit applies to root here; a fork bomb is not contained")
    else:
        p.notes.append("RLIMIT_NPROC")
    _PROTECTIONS = p
    return p


def _pids_cgroup():
    """A writable cgroup folder with the pids controller (cgroup v1 or v2), or None."""
    v1, v2 = Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup")
    if (v1 / "cgroup.procs").exists() and os.access(v1, os.W_OK):
        return str(v1)
    try:
        if "pids" in (v2 / "cgroup.subtree_control").read_text().split() and os.access(v2, os.W_OK):
            return str(v2)
    except OSError:
        pass
    return None


def count_processes(uid):
    n = 0
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                n += os.stat(f"/proc/{d}").st_uid == uid
            except OSError:
                pass
    return n


def _needed():
    """The folders a sandbox must see: its Python (as this process names it, symlinks and all, and resolved),
    everything on its import path, nnlab and the temporary folder."""
    places = [sys.prefix, sys.exec_prefix, sys.base_prefix, os.path.dirname(sys.executable),
              Path(__file__).resolve().parent.parent.parent, tempfile.gettempdir(), *sys.path[1:],
              *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {q for p in places if p for q in (Path(os.path.abspath(p)), Path(p).resolve())}


def hideable(paths):
    """The folders and files a sandbox covers: those of ``paths`` that exist, never one that holds what the
    sandbox needs (``_needed``), and only the outermost of nested or equal ones (a folder inside a covered
    folder is hidden already, and could not be found to be covered again)."""
    needed = _needed()
    found = set()
    for h in paths:
        h = Path(h).resolve()
        if h.exists() and h != Path("/") and not any(n == h or h in n.parents for n in needed):
            found.add(h)
    return sorted(str(h) for h in found if not any(other in h.parents for other in found))
