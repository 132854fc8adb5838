"""Dossier test helpers and fixtures (a pytest plugin of tests/conftest.py): real files, intake through
the API, a frozen clock."""
from __future__ import annotations

import io
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

VN = ZoneInfo("Asia/Ho_Chi_Minh")

# Smallest real files of each allowed type (the type is sniffed from the content).
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN)


def pdf(name: str = "to-khai.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


BIRTH = {"agency": "000.31.01.H29", "procedure": "1.001193"}  # level 4 at the commune, 0 days
RECORD = {"agency": "000.00.17.H29", "procedure": "2.000488"}  # level 4, 7 days at the department
BIRTH_DOCS = ("TKKS", "GCS")
RECORD_DOCS = ("TKLLTP", "CCCD")


def multipart(payload: dict, documents: dict[str, bytes | list[bytes]] | None = None) -> dict:
    data: dict = {"payload": json.dumps(payload, ensure_ascii=False)}
    for code, content in (documents or {}).items():
        items = content if isinstance(content, list) else [content]
        data[code] = [SimpleUploadedFile(f"{code}.pdf", c, content_type="application/pdf") for c in items]
        if len(data[code]) == 1:
            data[code] = data[code][0]
    return data


@pytest.fixture
def submit(as_user):
    """Submit online as `citizen1` (or another applicant); returns the response."""

    def do(target=RECORD, docs=RECORD_DOCS, username="citizen1", headers=None, **extra):
        client = as_user(username)
        payload = {**target, **extra}
        return client.post(
            "/api/v1/dossiers/", multipart(payload, {c: PDF for c in docs}), format="multipart", **(headers or {})
        )

    return do


@pytest.fixture
def register(as_user):
    """Register a counter dossier as a clerk; returns the response."""

    def do(target=RECORD, docs=RECORD_DOCS, username="clerk_tuphap", **extra):
        payload = {
            **target,
            "channel": "counter",
            "applicant": {"name": "Nguyễn Văn Bảy", "id_number": "001088000777", "applicant_type": "citizen"},
            **extra,
        }
        return as_user(username).post(
            "/api/v1/dossiers/register/", multipart(payload, {c: PDF for c in docs}), format="multipart"
        )

    return do


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def files_under(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


__all__ = ["BIRTH", "BIRTH_DOCS", "PDF", "PNG", "RECORD", "RECORD_DOCS", "files_under", "io", "multipart", "pdf", "vn"]


class Clock:
    """Sets the time the dossier services see (everything else keeps the real clock)."""

    def __init__(self, monkeypatch):
        self.now = None
        monkeypatch.setattr("apps.dossiers.services._now", lambda: self.now)

    def set(self, *args: int) -> datetime:
        self.now = vn(*args)
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)


TRANSFER_TARGET = "000.00.12.H29"  # Sở Tài chính: offers RECORD's procedure once `transfer_target` ran


@pytest.fixture
def transfer_target(demo):
    """Let the finance department offer RECORD's procedure too, so a dossier may be transferred there
    (a transfer's target must offer the dossier's procedure)."""
    from apps.agencies.models import Agency
    from apps.catalog.models import Offering, Procedure
    from apps.catalog.selectors import forget_catalog_cache

    Offering.objects.get_or_create(
        agency=Agency.objects.get(code=TRANSFER_TARGET), procedure=Procedure.objects.get(code=RECORD["procedure"]),
        defaults={"online_level": 3},
    )
    forget_catalog_cache()
    return TRANSFER_TARGET
