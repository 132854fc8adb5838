"""`manage.py portal_check`: log in to the national portal and make one harmless call, printing
what the portal answered (the first thing to run when connecting a province)."""
from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

HARMLESS_SERVICES = ("TraCuuHoSo", "LayThuTuc", "LayDanhSachTTHC")


class Command(BaseCommand):
    help = ("Log in to the national portal (PORTAL_TRANSPORT=dvcqg) and make one harmless call "
            "(TraCuuHoSo by default), printing the portal's answers. Exit status 1 when either fails.")

    def add_arguments(self, parser):
        parser.add_argument("--service", choices=HARMLESS_SERVICES, default="TraCuuHoSo")
        parser.add_argument("--code", default="", help="MaHoSo for TraCuuHoSo, maTTHC for LayThuTuc")

    def handle(self, *args, service: str, code: str, **options):
        if settings.PORTAL_TRANSPORT != "dvcqg":
            raise CommandError(
                f"PORTAL_TRANSPORT is {settings.PORTAL_TRANSPORT!r}: portal_check speaks the portal's own protocol "
                "(set PORTAL_TRANSPORT=dvcqg and PORTAL_ADAPTER_URL, see README)")
        if not settings.PORTAL_ADAPTER_URL:
            raise CommandError("PORTAL_ADAPTER_URL is empty")
        from apps.portal.dvcqg.client import LoginFailed, PortalCallError, PortalClient, PortalConfig

        config = PortalConfig.from_settings()
        self.stdout.write(f"portal:   {config.auth_url} (user {config.username or '-'}, "
                          f"password {'set' if config.password else 'EMPTY'}, agency {config.agency_code or '-'})")
        client = PortalClient(config)
        try:
            session = client.login()
        except LoginFailed as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"login:    ok, session {session[:6]}… ({len(session)} characters)")
        body: dict[str, Any] = {}
        if service == "TraCuuHoSo":
            body = {"mahoso": code or "PORTAL-CHECK"}
        elif service == "LayThuTuc":
            body = {"maTTHC": code or "1.001193"}
        url = config.service_url(service)
        try:
            answer = client.call(service, session, body)
        except PortalCallError as exc:
            raise CommandError(f"{service} at {url}: {exc}") from exc
        shown = json.dumps(answer.document, ensure_ascii=False)
        self.stdout.write(f"{service}: {url} -> HTTP {answer.http_status}, error_code {answer.code}")
        self.stdout.write(f"answer:   {shown[:2000]}{'…' if len(shown) > 2000 else ''}")
        if not answer.ok:
            raise CommandError(f"{service} was not accepted: {answer.describe()}")
        self.stdout.write(self.style.SUCCESS("portal_check: ok"))
