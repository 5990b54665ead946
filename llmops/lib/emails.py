"""Render and send multipart (text + HTML) emails from templates.

An email is three templates sharing a prefix: `<prefix>_subject.txt`, `<prefix>_body.txt`
and `<prefix>_body.html`. The text templates are rendered with autoescape off (they are
plain text), the HTML template with Django's autoescape, so provider or LLM text put in
the context is escaped in the HTML part and never marked safe.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.template import Context
from django.template.loader import get_template, render_to_string


class EmailError(Exception):
    """Bad recipients or a message that cannot be built; the message says which."""


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def _render_plain(template_name: str, context: dict) -> str:
    # Plain-text parts: no HTML escaping ("&lt;" in a text email is just noise).
    return get_template(template_name).template.render(Context(context, autoescape=False))


def text_render(*, template_name: str, context: dict) -> str:
    """A plain-text template (autoescape off), e.g. an alert sent along with an email."""
    return _render_plain(template_name, context)


def email_render(*, template_prefix: str, context: dict) -> RenderedEmail:
    subject = " ".join(_render_plain(f"{template_prefix}_subject.txt", context).split())
    text = _render_plain(f"{template_prefix}_body.txt", context)
    html = render_to_string(f"{template_prefix}_body.html", context)
    return RenderedEmail(subject=subject, text=text, html=html)


def recipients_clean(addresses) -> list[str]:
    """Validated, de-duplicated addresses (comma-separated items are split)."""
    out: list[str] = []
    for item in addresses or []:
        for address in str(item).split(","):
            address = address.strip()
            if not address:
                continue
            try:
                validate_email(address)
            except ValidationError:
                raise EmailError(f"not a valid email address: {address!r}") from None
            if address not in out:
                out.append(address)
    return out


def email_message(*, email: RenderedEmail, to: list[str], from_email: str | None = None) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject, body=email.text, from_email=from_email or settings.DEFAULT_FROM_EMAIL, to=to,
    )
    message.attach_alternative(email.html, "text/html")
    return message


def email_send(*, email: RenderedEmail, to: list[str], from_email: str | None = None) -> int:
    """Send through the configured backend (SMTP, console, file, locmem); returns messages sent."""
    to = recipients_clean(to)
    if not to:
        raise EmailError("no recipients")
    return email_message(email=email, to=to, from_email=from_email).send(fail_silently=False)
