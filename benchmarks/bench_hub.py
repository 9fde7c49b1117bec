"""A class on the course's JupyterHub: what each student costs in memory and time, and how many fit on a server.

Run:  python benchmarks/bench_hub.py [--students 20] [--concurrency 4] [--lectures 00 01 02] [--json FILE]

Starts the hub of ``deploy/`` (JupyterHub, configurable-http-proxy, the shared-password authenticator, one JupyterLab
per student from the local process spawner, the idle culler) on 127.0.0.1, with the course in a clone of this
repository. Each student, in a chromium of their own thread (``--concurrency`` students at a time; the first one
alone, so that one student's figures on a quiet hub are in the table too), opens the course's nbgitpuller link (made
by ``nnlab hub-link``), logs in with the shared password, waits for the server and the pull, and then for each
lecture of ``--lectures``: opens it (the first through the link), runs all cells, presses an arrow key on an
explorer's slider until the image changes, reads the memory of their single-user server and of the lecture's
kernel (RSS and PSS, psutil's ``memory_full_info``; the kernel found through the server's /api/sessions and its
process tree) and the CPU time both used while the cells ran, and shuts the kernel down. Students who are done keep
their idle server, as a class does until the culler stops it. Every error is recorded with the step it stopped.

Prints one row per student and lecture, a summary per lecture, and the sizing line in The Littlest JupyterHub's
terms (docs: "Estimate Memory / CPU / Disk needed"): memory = concurrent users x maximum memory per user + the
hub's own overhead (TLJH writes 128 MB; here the hub, proxy and culler are measured), and CPU = concurrent users x
CPU per user + 20 % of a core. "Per user" is the largest server + kernel of any student in any lecture, RSS (each
process counted in full: what a per-user memory limit sees) and PSS (shared library pages divided among the
processes that map them: what one more student costs on one machine); "CPU per user" is the cores a student's
server and kernel kept busy while running all cells alone (the first student).
Ends by stopping every process the hub started and checking that none is left.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import math
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from hub_student import Student, cpu_seconds  # noqa: E402

from nnlab.hub import pull_link  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
PASSWORD = "nnlab-class-password"
MIB = 2**20
GIB16 = 16 * 2**30


def load_deploy():
    """deploy/hub.py as a module."""
    spec = importlib.util.spec_from_file_location("nnlab_deploy_hub", ROOT / "deploy" / "hub.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def lecture_paths(prefixes):
    """notebooks/NAME.ipynb for each lecture number or name prefix given (e.g. "02" or "02_forward_pass")."""
    every = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    paths = []
    for prefix in prefixes:
        found = [n for n in every if n.startswith(prefix)]
        if len(found) != 1:
            raise SystemExit(f"--lectures: {prefix!r} names {len(found)} of the lectures {every}; expected one")
        paths.append(f"notebooks/{found[0]}")
    return paths


def make_course(folder):
    """A bare clone of this repository named ``nnlab`` with a branch ``course`` at this checkout's commit."""
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.strip()
    repo = Path(folder) / "nnlab"
    subprocess.run(["git", "clone", "--quiet", "--bare", "--no-tags", str(ROOT), str(repo)], check=True)
    subprocess.run(["git", "--git-dir", str(repo), "branch", "--force", "course", commit], check=True)
    return repo


def one_student(browser, hub, name, link, lectures, folder, shots):
    """Drive student ``name`` through the lectures; their rows (one per lecture) and errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on("pageerror", lambda e: student.errors.append(f"page error: {e}"))
    student = Student(page, name, hub.url)
    rows, step = [], "logging in"
    try:
        student.follow_link(link, PASSWORD)
        step = "waiting for the server"
        student.wait_for_server()
        step = "waiting for nbgitpuller"
        student.wait_for_lecture(f"{folder}/{lectures[0]}")
        for k, lecture in enumerate(lectures):
            notebook = f"{folder}/{lecture}"
            row = {"student": name, "lecture": Path(lecture).stem[:2], "server_s": student.times["server"],
                   "pull_s": student.times["pull"], "errors": []}
            student.errors = row["errors"]
            try:
                if k:
                    step = f"opening {lecture}"
                    student.open_lecture(notebook)
                procs = student.processes(hub, notebook)
                cpu0 = cpu_seconds(procs)
                step = f"running {lecture}"
                student.run_all()
                student.wait_run()
                row["cpu_s"] = cpu_seconds(procs) - cpu0
                row.update(run_s=student.times["run"], image_s=student.times["first_image"])
                step = f"moving a control in {lecture}"
                if student.move_control():
                    row["control_s"] = student.times["control"]
                step = f"reading the memory in {lecture}"
                memory = student.memory(hub, notebook)
                row.update({f"{role}_{kind}": memory[role][kind] for role in ("server", "kernel")
                            for kind in ("rss", "pss", "hwm")})
                student.close_lecture()
            except Exception as exc:  # noqa: BLE001 - a benchmark records every error and goes on
                row["errors"].append(f"{step}: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}")
                page.screenshot(path=str(shots / f"{name}-{row['lecture']}.png"))
            rows.append(row)
    except Exception as exc:  # noqa: BLE001
        rows.append({"student": name, "lecture": "-", "errors": [f"{step}: {type(exc).__name__}: "
                                                                 f"{str(exc).splitlines()[0][:300]}"]})
        try:
            page.screenshot(path=str(shots / f"{name}-failed.png"))
        except Exception:  # noqa: BLE001
            pass
    finally:
        context.close()
    return rows


def worker(jobs, results, hub, link, lectures, folder, shots):
    """A thread with a chromium of its own: takes students from ``jobs`` until it is empty."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            while True:
                try:
                    name = jobs.get_nowait()
                except queue.Empty:
                    return
                try:
                    results.extend(one_student(browser, hub, name, link, lectures, folder, shots))
                except Exception:  # noqa: BLE001
                    results.append({"student": name, "lecture": "-", "errors": [traceback.format_exc(limit=3)]})
        finally:
            browser.close()


def sample_hub(hub, peak, stop):
    """Every second until ``stop``: the hub's own memory (hub, proxy, culler), keeping the largest."""
    while not stop.wait(1.0):
        try:
            now = hub.memory()
        except Exception:  # noqa: BLE001 - a process ending between two reads
            continue
        for kind in ("rss", "pss"):
            peak[kind] = max(peak.get(kind, 0), now[kind])


def _fmt(value, scale=1.0, digits=1):
    return "-" if value is None else f"{value / scale:.{digits}f}"


def report(rows, hub_peak, students, concurrency, lectures, wall):
    """The table, the summary per lecture and the sizing line, as text; and the figures behind the sizing."""
    out = []
    head = (f"{'student':<8} {'lec':>3} {'server s':>8} {'pull s':>6} {'image s':>7} {'run s':>6} {'cpu s':>6} "
            f"{'key s':>5} {'srv RSS':>7} {'srv PSS':>7} {'krn RSS':>7} {'krn PSS':>7} {'krn max':>7}  errors")
    out += [head, "-" * len(head)]
    for r in sorted(rows, key=lambda r: (r["student"], r["lecture"])):
        out.append(f"{r['student']:<8} {r['lecture']:>3} {_fmt(r.get('server_s')):>8} {_fmt(r.get('pull_s')):>6} "
                   f"{_fmt(r.get('image_s')):>7} {_fmt(r.get('run_s')):>6} {_fmt(r.get('cpu_s')):>6} "
                   f"{_fmt(r.get('control_s'), digits=2):>5} "
                   + " ".join(f"{_fmt(r.get(k), MIB, 0):>7}" for k in ("server_rss", "server_pss", "kernel_rss",
                                                                          "kernel_pss", "kernel_hwm"))
                   + f"  {'; '.join(r['errors'])}")
    ok = [r for r in rows if not r["errors"] and "kernel_rss" in r]
    out += ["", "per lecture (median/max over students; MiB: after all cells ran and a slider moved, and the kernel's "
                "largest RSS in the lecture):"]
    out.append(f"{'lecture':<8} {'n':>3} {'image s':>11} {'run s':>11} {'cpu s':>9} {'server RSS':>10} "
               f"{'kernel RSS':>10} {'kernel PSS':>10} {'kernel max':>10} {'srv+krn RSS':>11} {'srv+krn PSS':>11}")
    for lecture in sorted({r["lecture"] for r in ok}):
        rs = [r for r in ok if r["lecture"] == lecture]

        def mm(f, scale=1.0, digits=1):
            values = [f(r) for r in rs if f(r) is not None]
            if not values:
                return "-"
            return f"{statistics.median(values) / scale:.{digits}f}/{max(values) / scale:.{digits}f}"
        out.append(f"{lecture:<8} {len(rs):>3} {mm(lambda r: r['image_s']):>11} {mm(lambda r: r['run_s']):>11} "
                   f"{mm(lambda r: r['cpu_s']):>9} {mm(lambda r: r['server_rss'], MIB, 0):>10} "
                   f"{mm(lambda r: r['kernel_rss'], MIB, 0):>10} {mm(lambda r: r['kernel_pss'], MIB, 0):>10} "
                   f"{mm(lambda r: r['kernel_hwm'], MIB, 0):>10} "
                   f"{mm(lambda r: r['server_rss'] + r['kernel_rss'], MIB, 0):>11} "
                   f"{mm(lambda r: r['server_pss'] + r['kernel_pss'], MIB, 0):>11}")
    servers = sorted({r["student"]: r["server_s"] for r in rows if r.get("server_s") is not None}.values())
    if servers:
        out.append(f"time to a ready server (login to the server answering), {len(servers)} students: median "
                   f"{statistics.median(servers):.1f} s, max {max(servers):.1f} s")
    errors = [(r["student"], r["lecture"], e) for r in rows for e in r["errors"]]
    out.append(f"errors: {len(errors)}" + "".join(f"\n  {s} {lec}: {e}" for s, lec, e in errors))
    sizing = {}
    if ok:
        peak = max(r["server_hwm"] + r["kernel_hwm"] for r in ok)  # the largest either ever was
        peak_rss = max(r["server_rss"] + r["kernel_rss"] for r in ok)
        peak_pss = max(r["server_pss"] + r["kernel_pss"] for r in ok)
        first = min(r["student"] for r in ok)  # the one who ran alone
        solo = [r["cpu_s"] / r["run_s"] for r in ok if r["student"] == first and r["run_s"] > 0]
        cores = max(solo) if solo else max(r["cpu_s"] / r["run_s"] for r in ok)
        hub_rss, hub_pss = hub_peak.get("rss", 0), hub_peak.get("pss", 0)
        fit = lambda per_user, hub: math.floor((GIB16 - hub) / per_user)  # noqa: E731 - TLJH's formula, solved
        per_core = math.floor(1 / cores) if cores > 0 else None
        sizing = {"peak_mib": peak / MIB, "peak_rss_after_mib": peak_rss / MIB, "peak_pss_after_mib": peak_pss / MIB,
                  "hub_rss_mib": hub_rss / MIB, "hub_pss_mib": hub_pss / MIB, "cores_per_student": cores,
                  "per_16gib": fit(peak, hub_rss), "per_16gib_rss_after": fit(peak_rss, hub_rss),
                  "per_16gib_pss_after": fit(peak_pss, hub_pss), "per_core": per_core}
        out += ["", f"{fit(peak, hub_rss)} students per 16 GiB at the measured peak, {per_core} per core while "
                    "running all cells",
                f"  (The Littlest JupyterHub's formula: memory = concurrent users x peak per user + the hub's own. "
                f"Peak per user: the largest server + kernel RSS of any student in any lecture, {peak / MIB:.0f} MiB "
                f"(each process's largest RSS); after the lectures ran, {peak_rss / MIB:.0f} MiB RSS "
                f"({fit(peak_rss, hub_rss)} per 16 GiB) and {peak_pss / MIB:.0f} MiB PSS ({fit(peak_pss, hub_pss)} "
                f"per 16 GiB: the libraries' pages shared on one machine). The hub, proxy and culler: "
                f"{hub_rss / MIB:.0f} MiB RSS at their peak. With TLJH's advice of 20-40 % headroom per user: "
                f"{fit(1.4 * peak, hub_rss)}-{fit(1.2 * peak, hub_rss)} per 16 GiB. CPU = concurrent users x cores "
                f"per user + 0.2 core: running all cells alone kept {cores:.2f} cores busy (server + kernel).)"]
    out.append(f"{students} students, {concurrency} at a time, lectures {', '.join(lectures)}: {wall:.0f} s")
    return "\n".join(out), sizing


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=20, help="students in the class (default 20)")
    parser.add_argument("--concurrency", type=int, default=4, help="students working at once (default 4)")
    parser.add_argument("--lectures", nargs="+", default=None,
                        help="lectures each student runs, by number (default: every lecture, since the heaviest "
                             "one sets the size; 00 01 02 is a quick set)")
    parser.add_argument("--json", metavar="FILE", help="also write every row and the sizing as JSON")
    args = parser.parse_args(argv)
    if args.students < 1:
        parser.error(f"--students: expected at least 1, got {args.students}")
    if args.concurrency < 1:
        parser.error(f"--concurrency: expected at least 1, got {args.concurrency}")
    if not Path(CHROMIUM).exists():
        parser.error(f"{CHROMIUM} not found (apt-get install -y chromium)")
    lectures = lecture_paths(args.lectures or sorted(p.name[:2] for p in (ROOT / "notebooks").glob("[0-9][0-9]_*")))
    deploy = load_deploy()
    scratch = Path(tempfile.mkdtemp(prefix="nnlab-bench-hub-"))
    shots = ROOT / "test-artifacts" / "bench-hub"
    shots.mkdir(parents=True, exist_ok=True)
    repo = make_course(scratch / "course")
    began = time.monotonic()
    hub = deploy.Hub.start(scratch / "hub", password=PASSWORD, expose_app=True)
    print(f"hub at {hub.url} (state in {hub.dir}), started in {time.monotonic() - began:.1f} s", flush=True)
    peak, stop = {}, threading.Event()
    sampler = threading.Thread(target=sample_hub, args=(hub, peak, stop), daemon=True)
    sampler.start()
    rows = []
    try:
        link = pull_link(hub.url, repo=str(repo), branch="course", notebook=lectures[0])
        names = [f"s{i:02d}" for i in range(1, args.students + 1)]
        for batch in ([names[0]], names[1:]):  # the first student alone, then the class
            if not batch:
                continue
            jobs = queue.Queue()
            for name in batch:
                jobs.put(name)
            threads = [threading.Thread(target=worker, args=(jobs, rows, hub, link, lectures, repo.name, shots))
                       for _ in range(min(args.concurrency, len(batch)))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            print(f"{len({r['student'] for r in rows})} students done after {time.monotonic() - began:.0f} s",
                  flush=True)
        idle = hub.memory()
        servers = [p for p in hub.processes() if "singleuser" in " ".join(p.cmdline())]
        idle_rss = sum(p.memory_full_info().rss for p in servers)
    finally:
        stop.set()
        procs = hub.processes()
        done = hub.stop()
        left = [p.pid for p in procs if p.is_running() and p.status() != "zombie"]
        if not left:
            shutil.rmtree(scratch, ignore_errors=True)  # the course clone, the hub's state, the students' homes
    wall = time.monotonic() - began
    text, sizing = report(rows, peak, args.students, args.concurrency, [Path(p).stem[:2] for p in lectures], wall)
    print(text)
    print(f"at the end, {len(servers)} idle servers (kernels shut down) held {idle_rss / MIB:.0f} MiB RSS in all; the "
          f"hub's own {idle['rss'] / MIB:.0f} MiB. Stopped {done['stopped']} processes; left running: {left or 'none'};"
          f" ports still open: {done['listening'] or 'none'}")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "sizing": sizing, "hub_peak": peak, "wall": wall,
                                               "students": args.students, "concurrency": args.concurrency},
                                              indent=1, default=str))
    return 1 if left or done["listening"] else 0


if __name__ == "__main__":
    sys.exit(main())
