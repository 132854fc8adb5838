import pytest

from onestop.identity import normalise_id_number


@pytest.mark.parametrize(("raw", "key", "display"), [
    ("001088000777", "CCCD:001088000777", "001088000777"),
    (" 001 088-000.777 ", "CCCD:001088000777", "001088000777"),
    ("012345678", "CMND:012345678", "012345678"),
    ("VN:B1234567", "PASSPORT:VNM:B1234567", "VNM:B1234567"),
    ("vnm b1234567", "PASSPORT:VNM:B1234567", "VNM:B1234567"),
    ("USA-563524983", "PASSPORT:USA:563524983", "USA:563524983"),
])
def test_normalised_forms(raw, key, display):
    number = normalise_id_number(raw)
    assert (number.key, number.display) == (key, display)
    assert normalise_id_number(number.display).key == key  # stable


@pytest.mark.parametrize("raw", ["", "12345", "1234567890", "0010880007771", "B1234567", "VN:", "XX:ABCDEFG",
                                 "١٢٣٤٥٦٧٨٩"])
def test_what_is_not_a_citizens_number(raw):
    with pytest.raises(ValueError):
        normalise_id_number(raw)
