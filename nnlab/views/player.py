"""Play and Pause for explorers that move on by themselves (``Plays``), and the playground's player on it
(``PlaysRuns``: a step, an epoch, and how long an epoch takes).

Play runs as a task on the kernel's event loop (a step, a frame, then it yields), so Pause, the sliders and
other cells keep working; where no loop runs (a plain script) on nnlab's own (``background.start``).
``run(steps)`` and ``run_epoch()`` do the same synchronously, for code and tests.
"""
from __future__ import annotations

import asyncio
import time

from .. import playground
from . import background
from .background import RENDER_LOCK


class Plays:
    """Play and Pause: a task that takes a step (``play_step``, under the render lock, which draws its frame),
    waits ``play_pause`` seconds and goes on until Pause or ``play_done()``. The explorer sets ``playing`` False
    and ``_task`` None at first, and has ``_refresh_buttons()`` (Play and Pause enabled as they apply)."""

    play_pause = 0.001   # seconds between frames: a yield, so Pause, the sliders and other cells run

    def play(self):
        """Step and draw frames in an asyncio task until Pause (or until there is nothing left to play)."""
        if self.playing:
            return self._task
        self.playing = True
        self._refresh_buttons()
        self._task = background.start(self._play())
        return self._task

    async def _play(self):
        try:
            while self.playing and not self.play_done():
                self.play_step()
                await asyncio.sleep(self.play_pause)
        finally:
            self.playing = False
            with RENDER_LOCK:
                self._refresh_buttons()
                self.update()                 # the paused picture, described and announced

    def pause(self):
        """Stop playing after the current frame."""
        self.playing = False
        self._refresh_buttons()


class PlaysRuns(Plays):
    """How ``TrainingPlayground`` trains on screen: Play trains an epoch a frame. It needs ``trainer``,
    ``frames`` and the timing fields set in its ``setup``, and what ``Plays`` needs."""

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

    def play_done(self):
        return self.trainer.done

    def play_step(self):
        self.frame()
