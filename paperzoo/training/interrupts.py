"""Interrupts that wait for the step boundary, so a checkpoint always holds a completed step.

An optimiser step updates the weights, the optimiser state, the schedule and the step counters one
after the other; an interrupt between two of them would save a mixture of two steps, and resuming
would train a batch twice. While a run is inside [`DeferredInterrupts.deferred`][paperzoo.training.interrupts.DeferredInterrupts.deferred],
SIGINT (Ctrl-C) and SIGTERM (what `kill`, job schedulers and containers send) are only recorded; they
are raised as `KeyboardInterrupt` as soon as the block ends. Outside it they are raised at once.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

__all__ = ["DeferredInterrupts"]

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class DeferredInterrupts:
    """Context manager installing SIGINT/SIGTERM handlers that raise `KeyboardInterrupt`, deferred
    inside `deferred()` blocks.

    Handlers can only be installed from the main thread; elsewhere (and for a SIGINT the process
    ignores, as under `nohup`) the previous handling is left as it is.
    """

    def __init__(self) -> None:
        self._deferring = False
        self._pending: int | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> DeferredInterrupts:
        if threading.current_thread() is threading.main_thread():
            for number in SIGNALS:
                previous = signal.getsignal(number)
                if previous is not signal.SIG_IGN:
                    self._previous[number] = previous
                    signal.signal(number, self._handle)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for number, previous in self._previous.items():
            signal.signal(number, previous)
        self._previous.clear()

    def _handle(self, number: int, frame: FrameType | None) -> None:
        if self._deferring:
            self._pending = number
            return
        raise KeyboardInterrupt(signal.Signals(number).name)

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """Hold back interrupts until the block has run; then raise the one that arrived."""
        self._deferring = True
        try:
            yield
        finally:
            self._deferring = False
        if self._pending is not None:
            number, self._pending = self._pending, None
            raise KeyboardInterrupt(signal.Signals(number).name)
