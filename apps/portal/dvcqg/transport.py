"""The outbox adapter for the portal's own protocol (`PORTAL_TRANSPORT=dvcqg`).

One batch (at most one event per dossier, as the drain guarantees) becomes up to three calls:

1. ``DongBoHoSoMC`` with ``isUpdating=False`` for the records of dossiers created by this event
   (submit / register), 2. ``DongBoHoSoMC`` with ``isUpdating=True`` for the others, both with
   ``?MaDinhDanhDV=<agency code>&isUpdating=True|False`` as gateways expose it, then
3. ``CapNhatTienDoHoSoMC`` with the progress entries of the records the portal accepted.

A row counts as delivered once its progress entry is accepted. The answer of a call can judge each
record (a list of ``{MaHoSo, error_code, message}`` under ``result`` / ``data`` / ``response_data``,
matched by MaHoSo, else by position) or the whole call (its ``error_code``); a rejected record
keeps the portal's message as the row's error, is retried with backoff and finally parked dead for
an administrator (services.outbox_drain). A refused session is renewed once per call
(session.SessionStore) and the call repeated. Like the webhook adapter, `send` never raises for a
portal or network failure.
"""
from __future__ import annotations

import logging
from typing import Any

from ..transport import OutgoingMessage, SendOutcome
from . import records
from .client import Answer, PortalCallError, PortalClient, PortalConfig, code_of, is_ok_code, message_of
from .session import SessionStore

logger = logging.getLogger(__name__)

SYNC_SERVICE = "DongBoHoSoMC"
PROGRESS_SERVICE = "CapNhatTienDoHoSoMC"
RESULT_KEYS = ("result", "results", "data", "response_data", "KetQua")


class DvcqgTransport:
    def __init__(self, config: PortalConfig, *, store: SessionStore | None = None) -> None:
        self.config = config
        self.client = PortalClient(config)
        self.store = store or SessionStore(self.client.login)
        self._session: str | None = None

    @classmethod
    def from_settings(cls) -> DvcqgTransport:
        return cls(PortalConfig.from_settings())

    # --- calls with the shared session ------------------------------------------------------------

    def call(self, service: str, body: dict[str, Any] | None = None, query: dict[str, str] | None = None) -> Answer:
        """One service call with the shared session, renewed once if the portal refuses it.
        Raises PortalCallError (LoginFailed included) when there is no usable answer."""
        session = self._session or self.store.get()
        answer = self.client.call(service, session, body, query)
        if answer.auth_error:
            logger.info("portal: %s refused the session (%s); logging in again", service, answer.describe())
            session = self.store.renew(session)
            answer = self.client.call(service, session, body, query)
            if answer.auth_error:
                raise PortalCallError(f"{service}: session refused right after a fresh login: {answer.describe()}")
        self._session = session
        return answer

    # --- the outbox adapter -----------------------------------------------------------------------

    def send(self, messages: list[OutgoingMessage]) -> SendOutcome:
        outcome = SendOutcome()
        if not messages:
            return outcome
        items = records.build(messages)
        built = {item.key for item in items}
        for message in messages:
            if message.key not in built:
                outcome.errors[message.key] = "the dossier event is gone"
        synced: list[records.SyncItem] = []
        for is_update in (False, True):
            group = [item for item in items if item.is_update == is_update]
            if group:
                flag = "True" if is_update else "False"
                synced += self._batch(SYNC_SERVICE, group, [i.record for i in group], outcome,
                                      body={"isUpdating": flag},
                                      query={"MaDinhDanhDV": self.config.agency_code, "isUpdating": flag})
        if synced:
            done = self._batch(PROGRESS_SERVICE, synced, [i.progress for i in synced], outcome)
            outcome.delivered.update(item.key for item in done)
        return outcome

    def _batch(self, service: str, items: list[records.SyncItem], data: list[dict[str, Any]], outcome: SendOutcome,
               *, body: dict[str, Any] | None = None, query: dict[str, str] | None = None) -> list[records.SyncItem]:
        """The items the portal accepted; the others get their error in `outcome`."""
        try:
            answer = self.call(service, {**(body or {}), "data": data}, query)
        except PortalCallError as exc:
            for item in items:
                outcome.errors[item.key] = f"{service}: {exc}"[:2000]
            return []
        verdicts = per_record(answer, [item.dossier_code for item in items])
        accepted = []
        for item, (ok, why) in zip(items, verdicts, strict=True):
            if ok:
                accepted.append(item)
            else:
                outcome.errors[item.key] = f"{service} rejected {item.dossier_code}: {why}"[:2000]
        return accepted


def _result_list(document: Any) -> list | None:
    if isinstance(document, dict):
        for key in RESULT_KEYS:
            if isinstance(document.get(key), list):
                return document[key]
    return None


def per_record(answer: Answer, codes: list[str]) -> list[tuple[bool, str]]:
    """(accepted, the portal's reason) for each record sent, in the order sent."""
    results = _result_list(answer.document)
    whole = (True, "") if answer.ok else (False, answer.describe())
    if not results or not all(isinstance(r, dict) and code_of(r) is not None for r in results):
        return [whole] * len(codes)
    by_code = {str(r.get("MaHoSo")): r for r in results if r.get("MaHoSo") is not None}
    verdicts = []
    for index, code in enumerate(codes):
        result = by_code.get(code)
        if result is None and not by_code and len(results) == len(codes):
            result = results[index]
        if result is None:
            verdicts.append((False, "missing from the portal's answer"))
        elif is_ok_code(code_of(result)):
            verdicts.append((True, ""))
        else:
            verdicts.append((False, f"error_code {code_of(result)}: {message_of(result)}"))
    return verdicts
