import io

from llmops.lib.progress import ProgressBar


class Tty(io.StringIO):
    def isatty(self):
        return True


def test_it_draws_on_a_terminal_and_ends_the_line_when_done():
    out = Tty()
    bar = ProgressBar("matching", total=4, stream=out, min_interval=0)
    for _ in range(4):
        bar.advance()
    text = out.getvalue()
    assert "\rmatching [" in text and "4/4" in text and text.endswith("\n")


def test_it_is_silent_when_output_is_not_a_terminal():
    out = io.StringIO()
    ProgressBar("x", stream=out).update(5, 10, note="step")
    assert out.getvalue() == ""


def test_it_throttles_redraws_but_always_draws_the_last_step():
    out = Tty()
    bar = ProgressBar(stream=out, min_interval=3600)
    for done in range(1, 1001):
        bar.update(done, 1000)
    assert out.getvalue().count("\r") == 2  # the first draw and the final one
    assert "1,000/1,000" in out.getvalue()
