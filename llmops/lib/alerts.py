"""Alerts beyond email: one text to every URL of settings.ALERT_URLS through apprise.

apprise (pinned) speaks Slack, Discord, Microsoft Teams, ntfy, Telegram, plain JSON/form
webhooks (`json://host/path`) and many more from one URL each, so a deployment picks its
channels by configuration. The URLs carry the channels' secrets (webhook tokens), so they are
never logged or shown: a URL is named by its scheme and its place in the list. Sending never
raises: an alert channel that is down must not stop the email or the job.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import apprise

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AlertOutcome:
    target: str  # "slack URL #2": never the URL itself
    sent: bool
    error: str = ""


def alert_target_label(url: str, index: int) -> str:
    scheme = urlsplit(url).scheme or "?"
    return f"{scheme} URL #{index}"


def alert_send(*, title: str, body: str, urls, failure: bool = True) -> list[AlertOutcome]:
    """Send `title`/`body` (plain text, already redacted by the caller) to each URL on its own, so one
    channel's failure is reported without hiding the others'."""
    outcomes = []
    for index, url in enumerate(urls or [], start=1):
        target = alert_target_label(url, index)
        notifier = apprise.Apprise()
        if not notifier.add(url):
            outcomes.append(AlertOutcome(target, False, "not an apprise URL apprise can use"))
            continue
        try:
            sent = bool(notifier.notify(title=title, body=body, body_format=apprise.NotifyFormat.TEXT,
                                        notify_type=apprise.NotifyType.FAILURE if failure else apprise.NotifyType.INFO))
        except Exception as exc:  # a plugin bug must not take the report down
            logger.warning("alert to %s failed: %s", target, type(exc).__name__)
            outcomes.append(AlertOutcome(target, False, type(exc).__name__))
            continue
        if not sent:
            logger.warning("alert to %s was not delivered", target)
        outcomes.append(AlertOutcome(target, sent, "" if sent else "not delivered (see the log)"))
    return outcomes
