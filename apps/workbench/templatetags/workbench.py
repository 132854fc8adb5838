"""Labels and small formatting for the workbench templates."""
from django import template

from .. import labels

register = template.Library()

register.filter("status_label", labels.status_label)
register.filter("channel_label", labels.channel_label)
register.filter("action_label", labels.action_label)
register.filter("timeliness_label", labels.timeliness_label)


@register.filter
def payload_items(payload: dict) -> list[tuple[str, object]]:
    """An event's payload as (name, value) pairs worth showing (empty values left out)."""
    return [(k, v) for k, v in payload.items() if v not in ("", None, [], {}, ())]


@register.filter
def vnd(value) -> str:
    if value in (None, ""):
        return ""
    return f"{int(value):,}".replace(",", ".") + " đ"
