"""The one progress bar of long jobs: tqdm, on stderr by default, silent when the stream is not a
TTY (tqdm's disable=None), so piped output, JSON on stdout and logs stay clean.

Our services report progress as a callback `(done, total, note)`; `Progress` turns that into tqdm
updates. tqdm throttles redraws by elapsed time since the bar started, not by the machine's
uptime, so the first draw is never lost on a freshly booted machine.
"""

from __future__ import annotations

import sys

from tqdm import tqdm


class Progress:
    def __init__(self, label: str = "", *, total: int = 0, stream=None, min_interval: float = 0.1):
        self.bar = tqdm(total=max(0, total) or None, desc=label or None, file=stream or sys.stderr, disable=None,
                        mininterval=min_interval, leave=True, dynamic_ncols=True, unit="")

    def update(self, done: int, total: int | None = None, note: str = "") -> None:
        """Show `done` of `total` (the total given before when omitted); closes the bar at the end."""
        if self.bar.disable:
            return
        if total is not None and total != self.bar.total:
            self.bar.total = max(0, total)
        if note:
            self.bar.set_postfix_str(note, refresh=False)
        self.bar.update(done - self.bar.n)
        if self.bar.total and done >= self.bar.total:
            self.bar.close()

    def advance(self, n: int = 1) -> None:
        self.update(self.bar.n + n)
