"""Documents of a portal submission arrive base64-encoded; turn them into checked uploads."""
from __future__ import annotations

import base64
import binascii
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from apps.dossiers.uploads import CheckedUpload, check_upload
from onestop.errors import DomainError, ErrorCode


def decode_documents(documents: list[dict[str, Any]]) -> list[CheckedUpload]:
    """Same checks as a multipart upload (size, sniffed type, checksum) after decoding."""
    uploads = []
    for index, item in enumerate(documents):
        where = f"documents[{index}].content_base64"
        try:
            content = base64.b64decode(item["content_base64"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DomainError("Not valid base64.", code=ErrorCode.VALIDATION, field=where) from exc
        upload = SimpleUploadedFile(item.get("name") or "document", content, "application/octet-stream")
        uploads.append(check_upload(item["document_type"], upload, field=where))
    return uploads


def fingerprint_body(body: dict[str, Any]) -> dict[str, Any]:
    """The body as the idempotency fingerprint sees it: documents by type and name (their bytes are
    fingerprinted through the uploads' checksums, as for multipart intake)."""
    documents = body.get("documents") or []
    if not isinstance(documents, list):
        return body
    return {
        **body,
        "documents": [
            {"document_type": d.get("document_type"), "name": d.get("name")} if isinstance(d, dict) else d
            for d in documents
        ],
    }
