"""manage.py create_staff USERNAME --role ROLE [--role ...] --agency CODE [--agency ...]

The password comes from standard input with --password-stdin (one line; checked by the password
validators), or is generated and printed once.
"""
import sys

from django.core.management.base import BaseCommand, CommandError

from apps.ops.services import OPERATOR_ROLES, staff_account_create
from onestop.errors import DomainError


def _split(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


class Command(BaseCommand):
    stealth_options = ("stdin",)  # call_command(..., stdin=...) in tests, like createsuperuser
    help = "Create a staff account with roles and agency scope; the password is read from stdin or generated."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", action="append", default=[], dest="roles",
                            help=f"one of {', '.join(sorted(OPERATOR_ROLES))}; repeat or separate with commas")
        parser.add_argument("--agency", action="append", default=[], dest="agencies",
                            help="agency code of the scope; repeat or separate with commas")
        parser.add_argument("--subtree", action="store_true", help="the scope includes the agencies' subtrees")
        parser.add_argument("--full-name", default="")
        parser.add_argument("--email", default="")
        parser.add_argument("--password-stdin", action="store_true",
                            help="read the password from standard input (else one is generated and printed)")

    def handle(self, *args, username: str, roles: list[str], agencies: list[str], subtree: bool, full_name: str,
               email: str, password_stdin: bool, **options):
        password = None
        if password_stdin:
            stdin = options.get("stdin") or sys.stdin
            password = stdin.readline().rstrip("\r\n")
            if not password:
                raise CommandError("--password-stdin: standard input held no password.")
        try:
            user, password_used = staff_account_create(
                username=username, roles=_split(roles), agency_codes=_split(agencies), password=password,
                full_name=full_name, email=email, include_subtree=subtree,
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        scope = ", ".join(m.agency.code + (" (+subtree)" if m.include_subtree else "")
                          for m in user.memberships.select_related("agency").order_by("agency__code")) or "-"
        self.stdout.write(f"created {user.username} (id {user.pk}): roles {', '.join(sorted(user.role_names))}; "
                          f"agencies {scope}")
        if password is None:
            self.stdout.write(f"password (shown once): {password_used}")
