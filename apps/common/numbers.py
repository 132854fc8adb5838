"""Whole numbers from clients, parsed once and with bounds.

Python refuses to turn more than 4,300 digits into an int (a ValueError deep in a view: a 500), and
`int()` is lenient where a client's number should be exact: it takes a sign, surrounding whitespace,
`_` separators and digits of any script ('١٢٣' is 123). Every number a client sends in text (ids,
versions in ETags, cursors, page sizes, limits, days) goes through `bounded_int`: ASCII digits only,
no sign, no blanks, within [low, high], its length checked before any conversion. Callers turn a
None into their own refusal: 400 naming the parameter (`query_int`), 412 for an ETag, 404 for an id.
"""
from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

#: The largest value of a PostgreSQL bigint (ids, transaction ids): nothing larger names a row.
BIGINT_MAX = 2**63 - 1


def bounded_int(raw: object, *, low: int = 0, high: int = BIGINT_MAX) -> int | None:
    """`raw` as an int when it is ASCII decimal digits only, from `low` to `high`; otherwise None."""
    if not isinstance(raw, str) or not raw.isascii() or not raw.isdigit():
        return None
    digits = raw.lstrip("0") or "0"
    if len(digits) > len(str(high)):
        return None  # past `high` whatever the digits: never handed to int()
    value = int(digits)
    return value if low <= value <= high else None


def query_int(params: Mapping[str, str], name: str, *, default: int | None, low: int, high: int) -> int | None:
    """The query parameter `name` as a whole number from `low` to `high` (`default` when absent);
    anything else, empty included, is a 400 problem naming the parameter."""
    raw = params.get(name)
    if raw is None:
        return default
    value = bounded_int(raw, low=low, high=high)
    if value is None:
        raise ValidationError({name: [_("A whole number from %(low)d to %(high)d.") % {"low": low, "high": high}]},
                              code="invalid")
    return value
