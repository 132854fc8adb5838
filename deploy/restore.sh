#!/usr/bin/env bash
# Restore an onestop backup (deploy/backup.sh) into an EMPTY database and an empty files folder.
#
#   createdb -h host -U user onestop_restored
#   DATABASE_URL=postgres://user@host:5432/onestop_restored MEDIA_ROOT=/srv/media-restored \
#       deploy/restore.sh /backups/2026-11-29
#
# Checks the archive's checksums, restores the dump in one transaction (all or nothing), unpacks the
# files, then verify: `manage.py migrate --check` and `manage.py rebuild_stats` (exit 0: the
# statistics counters match the raw records).
set -euo pipefail

src="${1:?usage: deploy/restore.sh BACKUP_DIR}"
: "${DATABASE_URL:?set DATABASE_URL (postgres://...) of an empty database}"
: "${MEDIA_ROOT:?set MEDIA_ROOT (an empty or new folder)}"

(cd "$src" && sha256sum --check --quiet SHA256SUMS)
if [ -d "$MEDIA_ROOT" ] && [ -n "$(ls -A "$MEDIA_ROOT")" ]; then
  echo "restore: $MEDIA_ROOT is not empty" >&2
  exit 2
fi
tables="$(psql --dbname="$DATABASE_URL" -tAc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")"
if [ "$tables" != "0" ]; then
  echo "restore: the target database is not empty ($tables tables)" >&2
  exit 2
fi

pg_restore --no-owner --no-privileges --exit-on-error --single-transaction --dbname="$DATABASE_URL" \
  "$src/database.dump"
mkdir -p "$MEDIA_ROOT"
tar -C "$MEDIA_ROOT" -xzf "$src/media.tar.gz"
echo "restored $src into the database and $MEDIA_ROOT"
