"""A progress bar on a TTY (stderr), silent otherwise; call it with the number of items done."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, total: int, label: str, *, stream=None, width: int = 30):
        self.total, self.label, self.width = max(0, total), label, width
        self.stream = stream or sys.stderr
        self.done = 0
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)()) and total > 0
        self._last = 0.0

    def __call__(self, n: int = 1) -> None:
        self.done += n
        if not self.enabled:
            return
        now = time.monotonic()
        if self.done < self.total and now - self._last < 0.1:
            return
        self._last = now
        filled = int(self.width * min(self.done, self.total) / self.total)
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total}")
        if self.done >= self.total:
            self.stream.write("\n")
        self.stream.flush()
