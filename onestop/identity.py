"""Citizens' identity document numbers, normalised so that one number is one key.

* CCCD (căn cước công dân / căn cước): 12 digits -> ``CCCD:001088000777``
* CMND (the old identity card): 9 digits -> ``CMND:012345678``
* passport: a country and the number, ``VN:B1234567`` / ``VNM-B1234567`` / ``vnm b1234567``
  -> ``PASSPORT:VNM:B1234567`` (ISO 3166 alpha-2 codes are turned into alpha-3 for the few written
  here; an unknown two-letter code is kept as given, so the key stays stable)

Spaces, dots and dashes inside a CCCD/CMND are ignored. Anything else is not a citizen's number.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

ALPHA2_TO_3 = {"VN": "VNM", "US": "USA", "CN": "CHN", "KR": "KOR", "JP": "JPN", "FR": "FRA", "DE": "DEU",
               "GB": "GBR", "AU": "AUS", "LA": "LAO", "KH": "KHM", "TH": "THA", "RU": "RUS", "TW": "TWN"}
_PASSPORT = re.compile(r"^([A-Z]{2,3})[\s:\-/]*([A-Z0-9]{6,12})$")


@dataclass(frozen=True)
class IdNumber:
    kind: str  # "CCCD", "CMND", "PASSPORT"
    number: str  # digits, or the passport number
    country: str = ""  # passports only, ISO alpha-3 where known

    @property
    def key(self) -> str:
        """The database key: one applicant account per key."""
        return f"PASSPORT:{self.country}:{self.number}" if self.kind == "PASSPORT" else f"{self.kind}:{self.number}"

    @property
    def display(self) -> str:
        """How it is written on the account and on dossiers (≤ 20 characters)."""
        return f"{self.country}:{self.number}" if self.kind == "PASSPORT" else self.number

    def dossier_forms(self) -> list[str]:
        """What a clerk may have typed on a counter dossier for this number."""
        if self.kind != "PASSPORT":
            return [self.number]
        return [self.number, self.display, f"{self.country}-{self.number}", f"{self.country} {self.number}"]


def normalise_id_number(raw: str) -> IdNumber:
    """The canonical form of a citizen's number; ValueError if it is none of the three kinds."""
    text = (raw or "").strip().upper()
    digits = re.sub(r"[\s.\-]", "", text)
    if digits.isascii() and digits.isdigit():
        if len(digits) == 12:
            return IdNumber("CCCD", digits)
        if len(digits) == 9:
            return IdNumber("CMND", digits)
        raise ValueError("A CCCD has 12 digits and an old CMND 9.")
    match = _PASSPORT.match(text)
    if match is None or not any(c.isdigit() for c in match[2]):
        raise ValueError("Not a CCCD (12 digits), a CMND (9 digits) or a passport number with its country "
                         "(e.g. VN:B1234567).")
    country = ALPHA2_TO_3.get(match[1], match[1])
    return IdNumber("PASSPORT", match[2], country)
