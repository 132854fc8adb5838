"""Backup and restore with deploy/backup.sh and deploy/restore.sh: dump the database (pg_dump -Fc)
and the stored files, restore both into a fresh database and folder, then the restored copy is
whole: every migration applied, `rebuild_stats` finds no difference, a document downloads
byte-identical."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from apps.dossiers.models import DossierDocument
from apps.stats.models import StatDelta
from apps.stats.services import stats_compact

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
DOWNLOAD = """
import hashlib, sys
import django
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()
from rest_framework.test import APIClient
from apps.accounts.models import User
client = APIClient()
client.force_authenticate(User.objects.get(username="clerk_tuphap"))
response = client.get(sys.argv[1])
assert response.status_code == 200, response.status_code
sys.stdout.write(hashlib.sha256(b"".join(response.streaming_content)).hexdigest())
"""


def url_of(name: str) -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


@pytest.fixture
def fresh_database() -> str:
    name = connection.settings_dict["NAME"] + "_restored"
    admin = ["psql", "-h", connection.settings_dict["HOST"] or "127.0.0.1", "-U", connection.settings_dict["USER"],
             "-d", "postgres", "-qc"]
    subprocess.run([*admin, f'DROP DATABASE IF EXISTS "{name}"'], check=True)
    subprocess.run([*admin, f'CREATE DATABASE "{name}"'], check=True)
    yield name
    subprocess.run([*admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=True)


def test_backup_then_restore_into_a_fresh_database_and_folder(demo, register, as_user, media_root, tmp_path,
                                                               fresh_database):
    dossiers = [register().json() for _ in range(3)]
    clerk = as_user("clerk_tuphap")
    assign = clerk.post(f"/api/v1/dossiers/{dossiers[0]['id']}/assign/", {"assignee": "specialist_tuphap"},
                        format="json")
    assert assign.status_code == 200, assign.content
    stats_compact(batch=3)  # part compacted, part still deltas: both must survive
    assert StatDelta.objects.exists()
    document = DossierDocument.objects.filter(dossier_id=dossiers[1]["id"]).order_by("id").first()
    original = Path(document.file.path).read_bytes()
    download = f"/api/v1/dossiers/{dossiers[1]['id']}/documents/{document.pk}/download/"

    env = {**os.environ, "DATABASE_URL": url_of(connection.settings_dict["NAME"]), "MEDIA_ROOT": str(media_root)}
    backup = tmp_path / "backup"
    subprocess.run(["bash", str(ROOT / "deploy/backup.sh"), str(backup)], env=env, check=True, timeout=120)
    assert sorted(p.name for p in backup.iterdir()) == ["SHA256SUMS", "database.dump", "media.tar.gz"]
    assert backup.joinpath("database.dump").read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format

    restored_media = tmp_path / "restored-media"
    restored = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test",
                "DATABASE_URL": url_of(fresh_database), "MEDIA_ROOT": str(restored_media)}
    subprocess.run(["bash", str(ROOT / "deploy/restore.sh"), str(backup)], env=restored, check=True, timeout=120)

    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--check"], cwd=ROOT, env=restored, check=True, timeout=120)
    check = subprocess.run([*manage, "rebuild_stats"], cwd=ROOT, env=restored, capture_output=True, text=True,
                           timeout=300)
    assert check.returncode == 0, check.stdout + check.stderr
    assert ", 0 differ" in check.stdout
    got = subprocess.run([sys.executable, "-c", DOWNLOAD, download], cwd=ROOT, env=restored, capture_output=True,
                         text=True, timeout=120)
    assert got.returncode == 0, got.stderr[-2000:]
    assert got.stdout == hashlib.sha256(original).hexdigest()
    # the copy is independent: the restored folder holds the file, not a link to the original
    assert (restored_media / Path(document.file.name)).read_bytes() == original


def test_restore_refuses_a_database_that_is_not_empty(tmp_path, fresh_database, media_root):
    env = {**os.environ, "DATABASE_URL": url_of(connection.settings_dict["NAME"]), "MEDIA_ROOT": str(media_root)}
    backup = tmp_path / "backup"
    subprocess.run(["bash", str(ROOT / "deploy/backup.sh"), str(backup)], env=env, check=True, timeout=120)
    into_live = {**os.environ, "DATABASE_URL": url_of(connection.settings_dict["NAME"]),
                 "MEDIA_ROOT": str(tmp_path / "m")}
    result = subprocess.run(["bash", str(ROOT / "deploy/restore.sh"), str(backup)], env=into_live,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "not empty" in result.stderr
    backup.joinpath("media.tar.gz").write_bytes(b"tampered")
    result = subprocess.run(["bash", str(ROOT / "deploy/restore.sh"), str(backup)],
                            env={**into_live, "DATABASE_URL": url_of(fresh_database)}, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0 and "FAILED" in result.stdout + result.stderr
