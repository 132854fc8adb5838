"""Receipt PDF benchmark: how long one "giấy tiếp nhận hồ sơ và hẹn trả kết quả" takes to render.

    .venv/bin/python bench/receipt_bench.py [--runs 100]

Self-contained (embedded mode: a throw-away SQLite file, nothing else to run): migrates, loads the
demo data, registers one counter dossier with a long Vietnamese name and address and two
documents, then renders its receipt ``--runs`` times and prints the median and p95 of

* ``layout``: template + layout + PDF (``render_form`` on a ready context) — the rendering itself;
* ``end to end``: what the endpoint does after the visibility check (``document_render``:
  reading the dossier's records, the template and the PDF).

Target: median end to end ≤ 50 ms per receipt. Exit status 1 when the target is missed.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, record

sys.path.insert(0, str(ROOT))
TARGET_MS = 50.0


def _setup(database: Path) -> None:
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "bench-only-insecure-key",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"sqlite:///{database}",
        "CACHE_URL": "locmem://",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "MEDIA_ROOT": str(database.parent / "media"),
        "LOG_LEVEL": "WARNING",
    })
    import django

    django.setup()
    from io import StringIO

    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    call_command("load_demo", "--no-tokens", stdout=StringIO())


def _dossier():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.accounts.models import User
    from apps.dossiers import services
    from apps.dossiers.uploads import check_upload

    pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    uploads = [
        check_upload(code, SimpleUploadedFile(f"{code}.pdf", pdf, content_type="application/pdf"), field=code)
        for code in ("TKLLTP", "CCCD")
    ]
    clerk = User.objects.get(username="clerk_tuphap")
    result = services.dossier_register(
        caller=services.Caller.for_user(clerk),
        request=services.IntakeRequest(
            agency_code="000.00.17.H29",
            procedure_code="2.000488",
            applicant=services.ApplicantData(
                applicant_type="citizen",
                name="Tôn Nữ Thị Huyền Trang Nguyễn Phước Bửu Châu Ngọc Diễm Kiều Hạnh Dương Đặng Vĩnh Tường",
                id_number="033190001234",
                phone="0912345678",
                address=(
                    "Số 18, ngõ 215 đường Nguyễn Văn Cừ, khu phố Đông Thành, phường Hiến Nam, "
                    "thành phố Hưng Yên, tỉnh Hưng Yên (tổ dân phố số 7, gần chợ Phố Hiến cũ)"
                ),
            ),
            documents=uploads,
        ),
        channel="counter",
    )
    return result.dossier


def _time(fn, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def _row(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"{name:<12} median {statistics.median(samples):7.2f} ms   p95 {p95:7.2f} ms   min {ordered[0]:7.2f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="30 runs (overrides --runs)")
    args = parser.parse_args()
    if args.quick:
        args.runs = 30
    with tempfile.TemporaryDirectory(prefix="receipt-bench-") as folder:
        _setup(Path(folder) / "bench.sqlite3")
        from apps.documents.forms import Form
        from apps.documents.pdf import register_fonts, render_form
        from apps.documents.selectors import document_context
        from apps.documents.services import document_render
        from apps.dossiers.models import Dossier

        dossier = _dossier()
        register_fonts()  # once per process, as in a server
        context = document_context(dossier, Form.RECEIPT)
        first = document_render(dossier=dossier, form=Form.RECEIPT).content  # warm the template cache
        layout = _time(lambda: render_form(Form.RECEIPT, context), args.runs)

        def end_to_end() -> None:
            fresh = Dossier.objects.select_related("procedure", "receiving_agency", "received_by").get(pk=dossier.pk)
            document_render(dossier=fresh, form=Form.RECEIPT)

        full = _time(end_to_end, args.runs)
    print(f"receipt PDF: {len(first):,} bytes, {args.runs} runs each (one process, one core)")
    print(_row("layout", layout))
    print(_row("end to end", full))
    median = statistics.median(full)
    record("receipt", "receipt PDF end to end, median ms", median, TARGET_MS, "ms", lower_is_better=True,
           note=f"{args.runs} runs")
    verdict = "OK" if median <= TARGET_MS else "MISSED"
    print(f"target: median end to end <= {TARGET_MS:.0f} ms: {verdict}")
    return 0 if median <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
