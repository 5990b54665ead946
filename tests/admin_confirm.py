"""Posting an admin bulk action the way a person does: through its confirmation page."""

from __future__ import annotations

import re

from llmops.lib.admin_actions import confirm_token

TOKEN = re.compile(r'name="confirm_token" value="([^"]+)"')


def confirmation_page(client, url, action, ids, **fields):
    return client.post(url, {"action": action, "_selected_action": list(ids), **fields})


def page_token(client, url, action, ids) -> str:
    """The token the confirmation page of `action` on `ids` carries."""
    page = confirmation_page(client, url, action, ids)
    assert page.status_code == 200, page.status_code
    found = TOKEN.search(page.content.decode())
    assert found, "the confirmation page carries a confirmation token"
    return found.group(1)


def submit(client, url, action, ids, token, **fields):
    return client.post(url, {"action": action, "_selected_action": list(ids), "confirm": "yes",
                             "confirm_token": token, **fields})


def confirm_action(client, url, action, ids, **fields):
    """Open the confirmation page of `action` on `ids`, then submit it with its token and `fields`."""
    return submit(client, url, action, ids, page_token(client, url, action, ids), **fields)


def confirm_as(client, url, action, ids, *, user, **fields):
    """Submit `action` with a valid token for `user` (for users who cannot open the page at all:
    the permission must refuse them even with a genuine token)."""
    return client.post(url, {"action": action, "_selected_action": list(ids), "confirm": "yes",
                             "confirm_token": confirm_token(user=user, action=action, ids=[str(i) for i in ids]),
                             **fields})
