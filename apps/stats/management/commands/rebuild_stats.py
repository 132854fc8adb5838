from django.core.management.base import BaseCommand

from ...services import stats_compact_all, stats_rebuild


class Command(BaseCommand):
    help = "Recompute the statistics counters from dossier events and ratings; report (and --fix) differences."

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="Replace the counters with the recomputed ones")
        parser.add_argument("--compact", action="store_true", help="Compact deltas into the rollup first")

    def handle(self, *args, fix: bool = False, compact: bool = False, **options):
        if compact:
            self.stdout.write(f"compacted {stats_compact_all()} delta rows")
        report = stats_rebuild(fix=fix)
        self.stdout.write(f"compared {report.keys_compared} counters, {len(report.differences)} differ")
        for key, stored, recomputed in report.differences[:50]:
            self.stdout.write(f"  {key}: stored {stored}, recomputed {recomputed}")
        for table in report.coarse_differences:
            self.stdout.write(f"  coarse table {table} differs from the rollup")
        self.stdout.write(f"{len(report.transfer_differences)} transfer rows differ")
        for key, stored, recomputed in report.transfer_differences[:50]:
            self.stdout.write(f"  transfer {key}: stored {stored}, recomputed {recomputed}")
        if report.fixed:
            if report.differences:
                self.stdout.write("counters replaced by the recomputed values")
            elif report.coarse_differences:
                self.stdout.write("coarse tables rebuilt from the rollup")
            if report.transfer_differences:
                self.stdout.write("transfers replaced by the recomputed values")
        if (report.differences or report.coarse_differences or report.transfer_differences) and not fix:
            raise SystemExit(1)
