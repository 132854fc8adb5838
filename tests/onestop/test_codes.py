from datetime import date

import pytest

from onestop.codes import format_dossier_code, parse_dossier_code


def test_format_and_parse_round_trip():
    code = format_dossier_code("000.00.17.H29", date(2025, 1, 24), 7)
    assert code == "000.00.17.H29-250124-0007"
    assert parse_dossier_code(code) == ("000.00.17.H29", date(2025, 1, 24), 7)


def test_more_digits_past_9999():
    assert format_dossier_code("X", date(2026, 11, 23), 12345) == "X-261123-12345"
    assert parse_dossier_code("X-261123-12345")[2] == 12345


@pytest.mark.parametrize("code", ["", "X-2501-0001", "X-251340-0001", "X-250124-01", "nocode"])
def test_parse_rejects_malformed(code):
    assert parse_dossier_code(code) is None


def test_sequence_starts_at_one():
    with pytest.raises(ValueError):
        format_dossier_code("X", date(2025, 1, 1), 0)
