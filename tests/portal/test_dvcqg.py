"""The portal's own protocol (PORTAL_TRANSPORT=dvcqg) against the fake in bench/fake_portal_dvcqg.py:
session login and renewal, DongBoHoSoMC / CapNhatTienDoHoSoMC records, per-record errors."""
from __future__ import annotations

import re

import pytest

from apps.dossiers.models import DossierEvent
from apps.portal.models import OutboxMessage, OutboxStatus
from apps.portal.services import get_transport, outbox_drain, outbox_replay

from .conftest import make_history
from .test_outbox import assert_exactly_once_in_order, drain_until_idle

pytestmark = pytest.mark.django_db

DATE = re.compile(r"^\d{14}$")


def test_delivers_every_event_once_in_order_with_one_login(dvcqg_settings, dvcqg_portal, demo, media_root):
    make_history(4, steps=3)  # 16 events, 4 per dossier
    assert drain_until_idle() == 16
    assert_exactly_once_in_order(dvcqg_portal)
    stats = dvcqg_portal.stats()
    assert stats["logins"] == 1 and stats["dossiers"] == 4 and stats["duplicates"] == 0
    # The creating events went as new records, the rest as updates, with the agency in the query.
    flags = [flag for flag, _ in dvcqg_portal.sync_calls]
    assert flags[0] == "False" and set(flags[1:]) == {"True"}
    assert all(q == {"MaDinhDanhDV": "000.00.00.H29", "isUpdating": f} for q, f in zip(
        dvcqg_portal.seen_queries, flags, strict=True))
    assert isinstance(get_transport(), __import__("apps.portal.dvcqg.transport", fromlist=["x"]).DvcqgTransport)
