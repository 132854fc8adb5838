import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from onestop.errors import DomainError

from ...services import catalog_import


class Command(BaseCommand):
    help = (
        "Load a catalogue JSON file idempotently: our own format (fields, agencies, procedures, offerings) "
        "or the national portal's TTHC list (MaTTHC, TenTTHC, ...), detected automatically."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="JSON file, or - for standard input")

    def handle(self, *args, path: str, **options):
        try:
            text = self.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
            data = json.loads(text)
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        try:
            report = catalog_import(data=data)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, sort_keys=True))
