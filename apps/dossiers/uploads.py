"""Checks on uploaded documents before anything is written: size, real type, checksum."""
from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import PurePath

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from onestop.errors import DomainError, ErrorCode


@dataclass(frozen=True)
class CheckedUpload:
    document_type: str
    upload: UploadedFile
    name: str
    content_type: str
    size: int
    sha256: str


def safe_file_name(name: str) -> str:
    """The base name only, NFC, without control characters; never a path."""
    base = PurePath(name.replace("\\", "/")).name
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C")
    base = base.strip().lstrip(".")
    return base[:200] or "document"


def check_upload(document_type: str, upload: UploadedFile, field: str) -> CheckedUpload:
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size is None or upload.size > limit:
        raise DomainError(
            _("File is larger than the %(limit)d MB limit.") % {"limit": limit // (1024 * 1024)},
            code=ErrorCode.VALIDATION,
            field=field,
        )
    if upload.size == 0:
        raise DomainError("File is empty.", code=ErrorCode.VALIDATION, field=field)
    digest = hashlib.sha256()
    head = b""
    for chunk in upload.chunks():
        if not head:
            head = chunk[:8192]
        digest.update(chunk)
    upload.seek(0)
    # The type is read from the content, not from the name or the client's header.
    kind = filetype.guess(head)
    content_type = kind.mime if kind else ""
    if content_type not in settings.UPLOAD_ALLOWED_TYPES:
        allowed = ", ".join(sorted(settings.UPLOAD_ALLOWED_TYPES))
        raise DomainError(
            _("File content is %(type)s; allowed: %(allowed)s.")
            % {"type": content_type or _("of an unknown type"), "allowed": allowed},
            code=ErrorCode.VALIDATION,
            field=field,
        )
    return CheckedUpload(
        document_type=document_type,
        upload=upload,
        name=safe_file_name(upload.name or "document"),
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
    )
