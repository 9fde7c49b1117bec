"""The explorers' one background mechanism (nnlab/views/background.py), run the way a kernel runs it: cells and
control handlers on an asyncio event loop, ``later`` work in the worker thread, its frame applied on that loop;
Play a task on the same loop. The rest of the suite draws with the background off (tests/conftest.py)."""
import asyncio
import threading

import pytest

from nnlab.views import GradientFlowExplorer, TrainingPlayground, background, base

HEAVY = {"depth": 80, "width": 205}   # a flow of about a second of work: computed in the background


@pytest.fixture
def background_on(monkeypatch):
    """The background on, and no flow remembered from an earlier test in this worker (``memo``): the work
    the tests wait for is done here."""
    monkeypatch.setattr(base.Explorer, "background", True)
    base.memo.cache_clear()


def _threads_of_frames(explorer):
    """The names of the threads each new frame (a new image) was made in."""
    seen = []
    explorer.image.observe(lambda change: seen.append(threading.current_thread().name), names="value")
    return seen


def _in_a_thread_of_its_own(fn):
    """Run ``fn()`` in a new thread, as a kernel's main thread or a script would (this process's own main thread
    may hold another loop: Playwright's, when browser tests ran before in the same worker); re-raise its error."""
    failed = []

    def run():
        try:
            fn()
        except BaseException as exc:  # noqa: BLE001 (handed to the test's thread)
            failed.append(exc)
    thread = threading.Thread(target=run)
    thread.start()
    thread.join(300)
    if failed:
        raise failed[0]


def _kernel(coroutine_function):
    """Run a coroutine as a kernel runs a cell: on an event loop of its own thread."""
    _in_a_thread_of_its_own(lambda: asyncio.run(coroutine_function()))


async def _until(predicate, seconds=60):
    """Yield to the loop (as a kernel does between messages) until ``predicate()``."""
    for _ in range(int(seconds / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


def test_later_work_is_applied_on_the_kernels_loop_and_never_blocks_it(background_on):
    async def kernel():
        loop_thread = threading.current_thread().name
        e = GradientFlowExplorer(**HEAVY)
        frames = _threads_of_frames(e)
        assert e.result.flow is None and not e.pending.done()     # the first frame at once, saying it comes
        ticks = 0
        while not e.pending.done():                               # the loop runs other things meanwhile
            ticks += 1
            await asyncio.sleep(0.005)
        assert ticks > 5 and e.result.flow is not None
        assert frames and set(frames) == {loop_thread}, frames   # the flow's frame: drawn on the loop's thread
        e.controls["scale"].value = 2.0                           # a handler on the loop: a frame at once again
        assert e.result.flow is None
        await _until(lambda: e.pending.done())
        assert e.result.flow is not None and set(frames) == {loop_thread}

    _kernel(kernel)


def test_settle_in_a_cell_does_not_wait_for_itself(background_on):
    """A cell that calls ``settle()`` runs on the kernel's loop, which applies the result: it must not wait
    for the loop it is holding up."""
    async def cell():
        e = GradientFlowExplorer(**HEAVY)
        e.settle(60)
        assert e.result.flow is not None and "computing" not in e.caption.value

    _kernel(cell)


def test_a_script_without_a_loop_gets_nnlabs_own(background_on):
    def script():
        e = GradientFlowExplorer(**HEAVY)
        frames = _threads_of_frames(e)
        e.settle(60)
        assert e.result.flow is not None and frames == ["nnlab-loop"], frames
        assert background.own_loop().is_running()
    _in_a_thread_of_its_own(script)


def test_work_for_a_state_left_behind_is_skipped_and_a_failure_is_said(background_on, monkeypatch):
    async def kernel():
        e = GradientFlowExplorer(**HEAVY)
        e.controls["depth"].value = 85         # moved on before the first flow started or was applied
        await _until(lambda: e.pending.done())
        assert e.result.flow is not None and len(e.result.flow.grad_W) == 85

        def broken():
            raise RuntimeError("out of memory in the background")
        monkeypatch.setattr(GradientFlowExplorer, "later", lambda self, state: broken if state["depth"] == 90
                            else None)
        e.controls["depth"].value = 90
        await _until(lambda: e.pending.done())
        assert "out of memory in the background" in e.caption.value + " ".join(map(str, e.errors))

    _kernel(kernel)


def test_play_is_a_task_on_the_kernels_loop_and_pause_stops_it():
    async def kernel():
        p = TrainingPlayground(n=200)
        task = p.play()
        assert isinstance(task, asyncio.Task)
        await _until(lambda: p.frames >= 3)
        p.pause()
        await asyncio.wait_for(task, 30)
        frames = p.frames
        await asyncio.sleep(0.1)
        assert p.frames == frames and not p.playing
        assert p.controls["pause"].disabled and not p.controls["play"].disabled

    _kernel(kernel)


def test_play_in_a_script_runs_on_nnlabs_own_loop():
    def script():
        p = TrainingPlayground(n=200)
        task = p.play()
        assert not isinstance(task, asyncio.Task)
        for _ in range(3000):
            if p.frames >= 2:
                break
            threading.Event().wait(0.01)
        p.pause()
        task.result(timeout=30)
        assert p.frames >= 2 and not p.playing
    _in_a_thread_of_its_own(script)


SCRIPT_THAT_EXITS_AT_ONCE = """
import sys, time
import torch
from nnlab.views import background

def then(future):
    time.sleep(1.5)                       # still drawing when the script's last line has run
    a = torch.ones(300, 300)
    for _ in range(20):
        a = torch.tanh(a @ a / 300)       # in PyTorch's threads, as the digit pad's frame is
    open(sys.argv[1], "w").write("applied" if a.shape == (300, 300) else "")

background.submit(lambda: time.sleep(0.5), then)
"""


def test_a_script_that_ends_at_once_still_applies_its_background_work_and_exits_cleanly(tmp_path):
    """A script (or ``python -c``) that makes explorers and ends: the executor's jobs finish, what they queued on
    nnlab's loop is applied, and the process exits with 0. The loop's daemon thread was once still in PyTorch
    while the interpreter shut down: the process aborted ("terminate called without an active exception")."""
    import subprocess
    import sys
    out = tmp_path / "applied"
    done = subprocess.run([sys.executable, "-c", SCRIPT_THAT_EXITS_AT_ONCE, str(out)], capture_output=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert out.exists() and out.read_text() == "applied"


def _blas_threads():
    """The thread counts of numpy's BLAS (PyTorch's own, loaded or not, is not ``serial_blas``'s)."""
    from threadpoolctl import threadpool_info
    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas" and "numpy" in lib["filepath"]}


def test_explorers_compute_on_one_blas_thread_and_give_the_students_threads_back():
    """Frames run numpy's BLAS on one thread (an explorer's small matrices are many times slower on two beside
    another busy process); the student's own code keeps the threads it had, also after nested frames."""
    from threadpoolctl import threadpool_limits

    from nnlab.views import DoubleDescent

    seen = []
    with threadpool_limits(2, user_api="blas"):   # the workers of this suite run on one (tests/conftest.py)
        class Watched(DoubleDescent):
            def compute(self, s):
                seen.append(_blas_threads())
                return super().compute(s)

        e = Watched()
        e.controls["noise"].value = 0.5
        with background.serial_blas():
            e.controls["n"].value = 30
            assert _blas_threads() == {1}
        assert len(seen) == 3 and all(t == {1} for t in seen)
        assert _blas_threads() == {2}
