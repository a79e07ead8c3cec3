"""Columns of the gdpr lists that fit a 1366 px screen: a long text cut by the browser, its full text on hover."""

from __future__ import annotations

from typing import Any

from django.utils.html import format_html


def truncated(text: object, width: str = "22em") -> str:
    """`text` on one line at most `width` wide, cut with an ellipsis; the whole text in the `title`
    attribute (shown on hover). Styled inline, so it holds whatever the admin's stylesheet."""
    return format_html(
        '<span class="vigie-truncate" title="{}" style="display:inline-block;max-width:{};overflow:hidden;'
        'text-overflow:ellipsis;white-space:nowrap;vertical-align:bottom">{}</span>',
        text,
        width,
        text,
    )


def nowrap(text: object) -> str:
    """`text` kept on one line (a reference, a date)."""
    return format_html('<span style="white-space:nowrap">{}</span>', text)


def person(user: Any) -> str:
    """A user by full name, the login when the name is empty."""
    return str(user.get_full_name() or user.get_username())
