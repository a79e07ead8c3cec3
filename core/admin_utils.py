"""Small helpers shared by the admins of every app (badges for due dates and states)."""
from __future__ import annotations

from django.utils.html import format_html

COLOURS = {
    "green": ("#e6f4ea", "#1e6b34"),
    "amber": ("#fff4e0", "#8a5300"),
    "red": ("#fde8e8", "#a61b1b"),
    "grey": ("#eeeeee", "#555555"),
}


def badge(text: object, colour: str) -> str:
    """A coloured pill: the colour carries the urgency, the text says it for those who cannot see it."""
    background, foreground = COLOURS[colour]
    return format_html(
        '<span class="vigie-badge vigie-badge-{}" style="background:{};color:{};padding:1px 8px;'
        'border-radius:9px;white-space:nowrap;font-weight:600">{}</span>',
        colour,
        background,
        foreground,
        text,
    )
