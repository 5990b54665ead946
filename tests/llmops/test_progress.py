"""The progress bar is tqdm: drawn on a terminal, silent otherwise, never losing its first draw."""

import io
import time

from llmops.lib.progress import Progress


class Tty(io.StringIO):
    def isatty(self):
        return True


def test_it_draws_on_a_terminal_and_ends_the_line_when_done():
    out = Tty()
    bar = Progress("matching", total=4, stream=out, min_interval=0)
    for _ in range(4):
        bar.advance()
    text = out.getvalue()
    assert "\rmatching:" in text and "4/4" in text and text.endswith("\n")


def test_it_is_silent_when_output_is_not_a_terminal():
    out = io.StringIO()
    Progress("x", stream=out).update(5, 10, note="step")
    assert out.getvalue() == ""


def test_it_throttles_redraws_but_always_draws_the_last_step():
    out = Tty()
    bar = Progress(stream=out, min_interval=3600)
    for done in range(1, 1001):
        bar.update(done, 1000)
    assert out.getvalue().count("\r") == 2  # the first draw and the final one
    assert "1000/1000" in out.getvalue()


def test_it_draws_at_once_whatever_the_machine_uptime(monkeypatch):
    # A machine up for 9 minutes has time.monotonic() < min_interval: the first draw must still show.
    monkeypatch.setattr(time, "monotonic", lambda: 5.0)
    out = Tty()
    Progress("collecting", total=10, stream=out, min_interval=3600).update(1, 10, note="registry")
    assert "collecting:" in out.getvalue() and "1/10" in out.getvalue()
