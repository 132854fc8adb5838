from __future__ import annotations

from apps.dossiers.models import Dossier

from .models import Payment


def latest_payment(dossier: Dossier) -> Payment | None:
    return Payment.objects.filter(dossier=dossier).order_by("-id").first()
