"""The one progress bar of long jobs: drawn on a terminal (stderr by default), silent when the
stream is not a TTY, so piped output, JSON on stdout and logs stay clean."""

from __future__ import annotations

import sys
import time


class ProgressBar:
    def __init__(self, label: str = "", *, total: int = 0, stream=None, width: int = 30,
                 min_interval: float = 0.1):
        self.label, self.total, self.width, self.min_interval = label, max(0, total), width, min_interval
        self.stream = stream or sys.stderr
        self.done = 0
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_draw = 0.0

    def update(self, done: int, total: int | None = None, note: str = "") -> None:
        """Show `done` of `total` (the total given at construction when omitted)."""
        if total is not None:
            self.total = max(0, total)
        self.done = done
        if not self.enabled or not self.total:
            return
        finished = done >= self.total
        now = time.monotonic()
        if not finished and now - self._last_draw < self.min_interval:
            return  # redrawing thousands of times a second costs more than the work
        self._last_draw = now
        filled = int(self.width * min(done, self.total) / self.total)
        label = f"{self.label} " if self.label else ""
        suffix = f" {note:<24}" if note else ""
        self.stream.write(f"\r{label}[{'#' * filled}{'.' * (self.width - filled)}] {done:,}/{self.total:,}{suffix}")
        if finished:
            self.stream.write("\n")
        self.stream.flush()

    def advance(self, n: int = 1) -> None:
        self.update(self.done + n)
