"""The playground's player: Play, Pause, a step and an epoch, and how long an epoch takes.

Play trains as a task on the kernel's event loop (an epoch, a frame, then it yields), so Pause, the sliders and
other cells keep working; where no loop runs (a plain script) on nnlab's own (``background.start``).
``run(steps)`` and ``run_epoch()`` do the same synchronously, for code and tests.
"""
from __future__ import annotations

import asyncio
import time

from .. import playground
from . import background
from .background import RENDER_LOCK


class PlaysRuns:
    """How ``TrainingPlayground`` trains on screen; it needs ``trainer``, ``playing``, ``_task``, ``frames``,
    the timing fields set in its ``setup`` and ``_refresh_buttons()``."""

    def reset(self):
        """Start the run again from its first step (same seed: the same run)."""
        with RENDER_LOCK:
            self._key = None
            self.update()

    def run(self, steps):
        """Train ``steps`` batches now and draw one frame; returns how many were taken."""
        with RENDER_LOCK:
            t0, epoch = time.perf_counter(), self.trainer.epoch
            taken = self.trainer.run(steps)
            self._timed(time.perf_counter() - t0, epoch)
            self.update()
        return taken

    def run_epoch(self):
        """Train to the end of the current epoch and draw one frame; returns the iterations taken."""
        with RENDER_LOCK:
            t0, epoch = time.perf_counter(), self.trainer.epoch
            taken = playground.run_for(self.trainer, 1)
            self._timed(time.perf_counter() - t0, epoch)
            self.update()
        return taken

    def _timed(self, seconds, epoch_before):
        self._train_seconds += seconds
        self._epochs_timed += self.trainer.epoch - epoch_before
        if self._epochs_timed:
            self.seconds_per_epoch = self._train_seconds / self._epochs_timed

    def frame(self):
        """One frame of Play: an epoch of training, then the picture (the caption only, not announced)."""
        with RENDER_LOCK, background.serial_blas():
            t0, epoch = time.perf_counter(), self.trainer.epoch
            playground.run_for(self.trainer, 1)
            self._timed(time.perf_counter() - t0, epoch)
            self._update(announce=False)
            self.frames += 1

    def play(self):
        """Train and draw frames in an asyncio task until Pause (or until the run ends)."""
        if self.playing:
            return self._task
        self.playing = True
        self._refresh_buttons()
        self._task = background.start(self._play())
        return self._task

    async def _play(self):
        try:
            while self.playing and not self.trainer.done:
                self.frame()
                await asyncio.sleep(0.001)    # yield: Pause, sliders and other cells run here
        finally:
            self.playing = False
            with RENDER_LOCK:
                self._refresh_buttons()
                self.update()                 # the paused picture, described and announced

    def pause(self):
        """Stop playing after the current frame."""
        self.playing = False
        self._refresh_buttons()
