"""A small demo data set for `make run`: agencies on three tiers, procedures at levels 2-4 and a
user for every role, with bearer tokens printed so the API can be tried at once (access tokens
live 15 minutes like everywhere else; the refresh token printed with each gets a new pair)."""
import json
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.agencies.models import Agency
from apps.catalog.services import catalog_import
from apps.dossiers.demo import demo_dossiers_load
from apps.dossiers.models import Dossier

from ...models import User
from ...roles import Role
from ...services import applicant_register, staff_create
from ...tokens import token_for

DEMO_CATALOG = Path(__file__).resolve().parents[3] / "catalog" / "fixtures" / "demo_catalog.json"
DEMO_PASSWORD = "demo-Pass-2025"

APPLICANTS = [
    ("citizen1", "Nguyễn Thị Minh Khai", "citizen", "001190012345"),
    ("citizen2", "Trần Văn Bình", "citizen", "033085006789"),
    ("business1", "Công ty TNHH Gốm Đông Tảo", "business", "0901234567"),
]
STAFF = [
    ("clerk_tuphap", "Lê Thị Hồng", [Role.CLERK], ["000.00.17.H29"], False),
    ("clerk_xuanquan", "Phạm Văn Dũng", [Role.CLERK], ["000.31.01.H29"], False),
    ("clerk_dongtao", "Vũ Thị Lan", [Role.CLERK], ["000.32.01.H29"], False),
    # Each commune resolves its own dossiers: a chairman who examines, resolves and apologises.
    ("leader_xuanquan", "Nguyễn Hữu Nghĩa", [Role.SPECIALIST, Role.LEADER], ["000.31.01.H29"], False),
    ("leader_dongtao", "Trịnh Văn Phúc", [Role.SPECIALIST, Role.LEADER], ["000.32.01.H29"], False),
    ("specialist_tuphap", "Đỗ Quang Huy", [Role.SPECIALIST], ["000.00.17.H29"], False),
    ("leader_tuphap", "Hoàng Minh Tuấn", [Role.LEADER], ["000.00.17.H29"], False),
    ("stats_vangiang", "Ngô Thu Trang", [Role.STATISTICIAN], ["000.00.31.H29"], True),
    ("supervisor", "Bùi Đức Thắng", [Role.SUPERVISOR], [], False),
    ("admin", "Quản trị hệ thống", [Role.ADMINISTRATOR], [], False),
]


class Command(BaseCommand):
    help = "Load the demo catalogue and users (idempotent) and print a bearer token for each user."

    def add_arguments(self, parser):
        parser.add_argument("--no-tokens", action="store_true", help="Do not print tokens")
        parser.add_argument("--dossiers", type=int, default=0, metavar="N",
                            help="Also make N demo dossiers through the real services (once: skipped when "
                                 "dossiers exist)")

    def handle(self, *args, no_tokens: bool = False, dossiers: int = 0, **options):
        report = catalog_import(data=json.loads(DEMO_CATALOG.read_text(encoding="utf-8")))
        self.stdout.write(f"catalogue: {json.dumps(report.as_dict(), ensure_ascii=False, sort_keys=True)}")
        for username, name, kind, id_number in APPLICANTS:
            if not User.objects.filter(username=username).exists():
                applicant_register(
                    username=username, password=DEMO_PASSWORD, full_name=name,
                    applicant_type=kind, id_number=id_number,
                )
        for username, name, roles, codes, subtree in STAFF:
            if not User.objects.filter(username=username).exists():
                staff_create(
                    username=username, password=DEMO_PASSWORD, full_name=name, roles=list(roles),
                    agencies=list(Agency.objects.filter(code__in=codes)), include_subtree=subtree,
                )
        if dossiers and not Dossier.objects.exists():
            started = time.monotonic()
            made = demo_dossiers_load(count=dossiers)
            self.stdout.write(f"demo dossiers: {made} in {time.monotonic() - started:.1f} s")
        if no_tokens:
            return
        minutes = int(settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds() // 60)
        self.stdout.write(
            f"\nDemo users (password {DEMO_PASSWORD!r}). 'access' goes in 'Authorization: Bearer <token>' and lasts"
            f" {minutes} min; then POST {{\"refresh\": ...}} to /api/v1/auth/token/refresh/ for a new pair,"
            " or sign in again at /api/v1/auth/token/."
        )
        for username in [a[0] for a in APPLICANTS] + [s[0] for s in STAFF]:
            user = User.objects.get(username=username)
            refresh = token_for(user)
            self.stdout.write(f"  {username:<18} {sorted(user.role_names)}\n    access  {refresh.access_token}"
                              f"\n    refresh {refresh}")
