"""Dossier codes: `<agency code>-<YYMMDD>-<NNNN>` (DESIGN.md section 4).

The sequence comes from a per-agency-per-day counter row locked in the submit transaction; this
module only formats and parses, so the format lives in one place.
"""
from __future__ import annotations

import re
from datetime import date

_CODE = re.compile(r"^(?P<agency>.+)-(?P<day>\d{6})-(?P<seq>\d{4,})$")


def format_dossier_code(agency_code: str, day: date, sequence: int) -> str:
    if sequence < 1:
        raise ValueError("sequence starts at 1")
    # Four digits, more when a day passes 9,999 (the width grows, the order stays readable).
    return f"{agency_code}-{day:%y%m%d}-{sequence:04d}"


def parse_dossier_code(code: str) -> tuple[str, date, int] | None:
    match = _CODE.match(code)
    if match is None:
        return None
    digits = match["day"]
    try:
        day = date(2000 + int(digits[:2]), int(digits[2:4]), int(digits[4:]))
    except ValueError:
        return None
    return match["agency"], day, int(match["seq"])
