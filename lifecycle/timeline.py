"""A picture of one model's week: every run of the signal window, green for a success and coloured by
error class for a failure, with the streak start and the last success marked.

People read a failing model from a picture faster than from a table. Rendered on the server as
inline SVG (no CDN, no JavaScript): a handful of shapes built with format_html, so the provider
text that only appears in tooltips is escaped like everything else the admin shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from lifecycle.models import BenchmarkError, BenchmarkResult
from lifecycle.taxonomy import classify_error
from llmops.lib.dates import iso_minutes
from llmops.lib.text import sanitize_text
from registry.vocabulary import ErrorClass, class_label

WIDTH, HEIGHT, LEFT, TOP = 720, 100, 40, 22  # LEFT leaves room for the lane names
LANE = 22  # the success lane and the failure lane
SUCCESS_COLOUR = "#2e8540"
CLASS_COLOURS = {
    ErrorClass.HARD_MODEL: "#c62828", ErrorClass.AUTH: "#ef6c00", ErrorClass.BILLING: "#6a1b9a",
    ErrorClass.RATE_LIMIT: "#f9a825", ErrorClass.TRANSIENT: "#546e7a", ErrorClass.TIMEOUT: "#78909c",
    ErrorClass.NETWORK: "#90a4ae", ErrorClass.CONTENT_FILTER: "#8d6e63", ErrorClass.HARD_CAPABILITY: "#a1887f",
    ErrorClass.BUDGET_EXHAUSTED: "#5d4037", ErrorClass.UNKNOWN: "#424242",
}


@dataclass
class Mark:
    at: datetime
    ok: bool
    error_class: str = ""
    status: int | None = None
    text: str = ""


@dataclass
class Timeline:
    provider: str
    model_id: str
    start: datetime
    end: datetime
    marks: list[Mark] = field(default_factory=list)
    last_success_at: datetime | None = None
    streak_started_at: datetime | None = None

    @property
    def successes(self) -> int:
        return sum(1 for m in self.marks if m.ok)

    @property
    def failures(self) -> int:
        return sum(1 for m in self.marks if not m.ok)

    @property
    def classes(self) -> list[str]:
        return sorted({m.error_class for m in self.marks if not m.ok})


def model_week(*, provider: str, model_id: str, as_of: datetime, window_hours: int | None = None) -> Timeline:
    """The runs of one model in the window ending at `as_of` (three queries: successes, failures,
    the last success before the window)."""
    start = as_of - timedelta(hours=window_hours or settings.SIGNAL_WINDOW_HOURS)
    results = BenchmarkResult.objects.filter(provider=provider, model_name=model_id)
    marks = [Mark(at=ts, ok=True) for ts in results.filter(run_ts__gte=start, run_ts__lte=as_of)
             .order_by("run_ts").values_list("run_ts", flat=True)]
    # Legacy rows are dated by created_at or timestamp instead of ts (lifecycle.selectors).
    dated = (Q(ts__gte=start, ts__lte=as_of) | Q(ts__isnull=True, created_at__gte=start, created_at__lte=as_of)
             | Q(ts__isnull=True, created_at__isnull=True, timestamp__gte=start, timestamp__lte=as_of))
    rows = (BenchmarkError.objects.filter(dated, provider=provider, model_name=model_id)
            .order_by().values_list("ts", "created_at", "timestamp", "http_status", "message", "error"))
    for ts, created_at, timestamp, status, message, error in rows:
        at = ts or created_at or timestamp
        if at is None or not start <= at <= as_of:
            continue
        text = message or error or ""
        marks.append(Mark(at=at, ok=False, error_class=classify_error(status, text), status=status,
                          text=sanitize_text(text, limit=160)))
    marks.sort(key=lambda m: m.at)
    last_success = results.filter(run_ts__lte=as_of).order_by("-run_ts").values_list("run_ts", flat=True).first()
    streak = next((m.at for m in marks if not m.ok and (last_success is None or m.at > last_success)), None)
    return Timeline(provider=provider, model_id=model_id, start=start, end=as_of, marks=marks,
                    last_success_at=last_success, streak_started_at=streak)


def _x(timeline: Timeline, at: datetime) -> float:
    span = (timeline.end - timeline.start).total_seconds() or 1
    return round(LEFT + (WIDTH - 2 * LEFT) * (at - timeline.start).total_seconds() / span, 1)


def timeline_svg(timeline: Timeline) -> SafeString:
    """The week as an inline SVG, with a legend of the classes it shows."""
    days = []
    moment = timeline.start.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    while moment < timeline.end:
        days.append((_x(timeline, moment), f"{moment:%a %d}"))
        moment += timedelta(days=1)
    grid = format_html_join("", '<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="#ddd"/>'
                                '<text x="{3}" y="12" font-size="10" fill="#666">{4}</text>',
                            ((x, TOP - 4, TOP + 2 * LANE + 4, x + 2, label) for x, label in days))
    ticks = format_html_join(
        "", '<rect x="{}" y="{}" width="3" height="{}" fill="{}"><title>{}</title></rect>',
        ((_x(timeline, m.at) - 1.5, TOP if m.ok else TOP + LANE, LANE - 4,
          SUCCESS_COLOUR if m.ok else CLASS_COLOURS.get(m.error_class, "#424242"),
          f"{iso_minutes(m.at)} " + ("success" if m.ok else f"{m.status or 'no status'} {m.error_class}: {m.text}"))
         for m in timeline.marks))
    lines = []
    if timeline.last_success_at and timeline.last_success_at >= timeline.start:
        lines.append((_x(timeline, timeline.last_success_at), SUCCESS_COLOUR, "",
                      f"last success {iso_minutes(timeline.last_success_at)}"))
    if timeline.streak_started_at:
        lines.append((_x(timeline, timeline.streak_started_at), "#c62828", "4 3",
                      f"failing since {iso_minutes(timeline.streak_started_at)}"))
    # One row per label so the two never overlap when the streak began just after the last success;
    # a label in the right half reads leftwards from its line so it stays inside the picture.
    markers = format_html_join(
        "", '<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="{3}" stroke-width="2" stroke-dasharray="{4}">'
            '<title>{5}</title></line><text x="{6}" y="{7}" font-size="10" fill="{3}" text-anchor="{8}">{5}</text>',
        ((x, TOP - 6, TOP + 2 * LANE + 2 + 12 * row, colour, dash, label,
          x + 3 if x < WIDTH / 2 else x - 3, TOP + 2 * LANE + 12 + 12 * row, "start" if x < WIDTH / 2 else "end")
         for row, (x, colour, dash, label) in enumerate(lines)))
    legend = format_html_join(
        " ", '<span style="white-space: nowrap"><span style="display:inline-block;width:10px;height:10px;'
             'background:{}"></span> {}</span>',
        [(SUCCESS_COLOUR, f"success ({timeline.successes})")]
        + [(CLASS_COLOURS.get(c, "#424242"), class_label(c).lower()) for c in timeline.classes])
    summary = (f"{timeline.provider}/{timeline.model_id}, {iso_minutes(timeline.start)} to {iso_minutes(timeline.end)}: "
               f"{timeline.successes} successes, {timeline.failures} failures")
    return format_html(
        '<div class="llmops-timeline"><svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" role="img" '
        'aria-label="{}"><rect x="0" y="0" width="{}" height="{}" fill="#fafafa"/>{}'
        '<text x="4" y="{}" font-size="9" fill="#999">ok</text><text x="4" y="{}" font-size="9" fill="#999">'
        'failed</text>{}{}</svg><div style="font-size: 11px; margin-top: 2px;">{}</div></div>',
        WIDTH, HEIGHT, summary, WIDTH, HEIGHT, grid, TOP + 12, TOP + LANE + 12, ticks, markers, legend)
