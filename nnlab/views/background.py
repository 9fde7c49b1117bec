"""Work in the background, for every explorer: one mechanism for ``later`` work, Play and warm-ups.

The ipywidgets pattern, one event loop: slow work runs in an executor (one worker thread, one job after the
other), and what it changes on screen is applied on the event loop, as a widget's message handler would be.

- ``loop()`` is the kernel's event loop when called on it (a cell, a control's handler, Play's task), and
  otherwise one loop of nnlab's own, run in a daemon thread (a plain script, a test, a thread of the student's).
- ``submit(work, then)`` runs ``work()`` in the executor, then ``then(future)`` on that loop, under
  ``RENDER_LOCK``. It returns a ``Job``: ``job.done()`` says whether ``then`` has run, ``job.result(timeout)``
  waits for it (called on the loop's own thread, where waiting would block the loop, it runs ``then`` itself).
- ``start(coroutine)`` runs a coroutine as a task on that loop: Play, which trains an epoch, draws and yields.

``serial_blas()`` holds numpy's BLAS to one thread while a frame is computed and drawn (see there).

``RENDER_LOCK`` is the one lock of every explorer: ipykernel may run widget callbacks on more than one
thread, and matplotlib's Agg/FreeType rendering is not thread-safe (concurrent renders corrupted glyphs and
crashed the kernel in the browser tests). Re-entrant, because a change can set other controls, whose
callbacks run in the same thread.
"""
from __future__ import annotations

import asyncio
import atexit
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

RENDER_LOCK = threading.RLock()
# the one thread in which background work runs, one job after the other
EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nnlab-background")
_OWN = []  # nnlab's own event loop, started the first time one is needed
_OWN_LOCK = threading.Lock()
_BLAS = {"users": 0, "limit": None}   # serial_blas's count of those inside it, the limit it holds, its controller
_BLAS_LOCK = threading.Lock()


@contextmanager
def serial_blas():
    """numpy's BLAS on one thread while an explorer computes and draws a frame (on the kernel's thread: OpenBLAS
    does not always take a limit set in another thread).

    The explorers' matrices are small, and OpenBLAS's threads cost more than they give there, the more so
    beside another busy process (a laptop's other work, a neighbour on Binder or a hub): an SVD of a 60 x 240
    matrix took 0.4 ms on one thread and 2-18 ms on two with one other process busy. The limit is the
    process's (threadpoolctl's), so it is held while anyone is inside and undone when the last one leaves:
    a student's own numpy code keeps its threads."""
    with _BLAS_LOCK:
        if _BLAS["users"] == 0:
            if "controller" not in _BLAS:   # finding the libraries takes a millisecond: once
                from threadpoolctl import ThreadpoolController
                _BLAS["controller"] = ThreadpoolController()
            _BLAS["limit"] = _BLAS["controller"].limit(limits=1, user_api="blas")
        _BLAS["users"] += 1
    try:
        yield
    finally:
        with _BLAS_LOCK:
            _BLAS["users"] -= 1
            if _BLAS["users"] == 0:
                _BLAS["limit"].restore_original_limits()


def running():
    """The event loop running in this thread, or None."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def own_loop():
    """nnlab's own event loop, running in a daemon thread (started on first use)."""
    with _OWN_LOCK:
        if not _OWN:
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, daemon=True, name="nnlab-loop")
            thread.start()
            _OWN.append(loop)
            atexit.register(_stop, loop, thread)
    return _OWN[0]


def _stop(loop, thread, timeout=60):
    """At the end of a script: let nnlab's loop apply what is queued on it, then stop it.

    Python finishes the executor's jobs before ``atexit`` handlers run, and their results are queued on
    this loop; a daemon thread still drawing (or in PyTorch) while the interpreter shuts down aborted the
    process ("terminate called without an active exception"), so the loop is stopped and joined first.
    """
    try:
        loop.call_soon_threadsafe(loop.stop)
    except RuntimeError:  # closed already
        return
    thread.join(timeout)


def loop():
    """The loop results are applied on: this thread's running loop (the kernel's), else nnlab's own."""
    return running() or own_loop()


class Job:
    """Background work and what it does on screen afterwards (``then``), applied once, on the loop."""

    def __init__(self, work, then, on):
        self.loop, self._then = on, then
        self._applied, self._once = threading.Event(), threading.Lock()
        self.future: Future = EXECUTOR.submit(work)
        self.future.add_done_callback(self._to_loop)

    def _to_loop(self, _):
        try:
            self.loop.call_soon_threadsafe(self._apply)
        except RuntimeError:  # the loop has closed (a script's asyncio.run ended): ``result`` applies it
            pass

    def _apply(self):
        with self._once:
            if self._applied.is_set():
                return
            try:
                if self._then is not None:
                    with RENDER_LOCK:
                        self._then(self.future)
            finally:
                self._applied.set()

    def done(self) -> bool:
        """Whether the work is done and its result applied."""
        return self._applied.is_set()

    def result(self, timeout=None):
        """Wait until the work is done and applied (a failure of the work is ``then``'s to report)."""
        try:
            self.future.result(timeout)
        except Exception:  # noqa: BLE001 (the work's own failure: ``then`` sees it in the future)
            if not self.future.done():
                raise
        if running() is self.loop or not self.loop.is_running():
            self._apply()  # waiting here would hold up the loop that applies it
        if not self._applied.wait(timeout):
            raise TimeoutError("background work done, but not yet applied on the event loop")


def submit(work, then=None) -> Job:
    """``work()`` in the background, then ``then(future)`` on the loop (see the module)."""
    return Job(work, then, loop())


def start(coroutine):
    """Run ``coroutine`` as a task on the loop: an ``asyncio.Task`` on the kernel's loop, or a
    ``concurrent.futures.Future`` for one on nnlab's own loop."""
    here = running()
    if here is not None:
        return here.create_task(coroutine)
    return asyncio.run_coroutine_threadsafe(coroutine, own_loop())
