"""manage.py portal_key create|rotate|revoke|list: the keys the national portal signs its requests with.

`create` and `rotate` print the new secret once; it is not shown again (give it to the portal now).
"""
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from apps.ops.services import portal_key_create, portal_key_revoke, portal_key_rotate
from apps.portal.models import PortalKey
from onestop.errors import DomainError


class Command(BaseCommand):
    help = "Create, rotate, revoke or list the national portal's HMAC keys (a new secret is printed once)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="a new key; prints its secret once")
        create.add_argument("key_id")
        create.add_argument("--name", default="")
        create.add_argument("--valid-until", help="ISO 8601 instant after which the key is refused")
        rotate = sub.add_parser("rotate", help="a new key replacing KEY_ID, which stays valid for --grace-hours")
        rotate.add_argument("key_id")
        rotate.add_argument("--new-key-id", help="default: KEY_ID.r<UTC time>")
        rotate.add_argument("--grace-hours", type=float, default=24.0)
        revoke = sub.add_parser("revoke", help="refuse KEY_ID from now on")
        revoke.add_argument("key_id")
        sub.add_parser("list", help="every key, without secrets")

    def handle(self, *args, action: str, **options):
        try:
            if action == "create":
                valid_until = None
                if options["valid_until"]:
                    valid_until = parse_datetime(options["valid_until"])
                    if valid_until is None or valid_until.tzinfo is None:
                        raise CommandError("--valid-until: an ISO 8601 instant with its UTC offset.")
                self._issued(portal_key_create(key_id=options["key_id"], name=options["name"],
                                               valid_until=valid_until))
            elif action == "rotate":
                if options["grace_hours"] < 0:
                    raise CommandError("--grace-hours cannot be negative.")
                issued = portal_key_rotate(key_id=options["key_id"], new_key_id=options["new_key_id"],
                                           grace=timedelta(hours=options["grace_hours"]))
                old = PortalKey.objects.get(key_id=options["key_id"])
                self.stdout.write(f"{old.key_id} is refused after {old.valid_until.isoformat()}")
                self._issued(issued)
            elif action == "revoke":
                key = portal_key_revoke(key_id=options["key_id"])
                self.stdout.write(f"revoked {key.key_id}")
            else:
                for key in PortalKey.objects.order_by("key_id"):
                    until = key.valid_until.isoformat() if key.valid_until else "-"
                    self.stdout.write(f"{key.key_id}\t{'active' if key.is_active else 'revoked'}\t"
                                      f"valid until {until}\t{key.name}")
        except DomainError as exc:
            raise CommandError(str(exc)) from exc

    def _issued(self, issued) -> None:
        self.stdout.write(f"key id: {issued.key.key_id}")
        self.stdout.write(f"secret (shown once): {issued.secret}")
