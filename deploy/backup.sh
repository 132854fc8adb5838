#!/usr/bin/env bash
# Back up onestop: the database (pg_dump custom format) and the stored files (MEDIA_ROOT).
#
#   DATABASE_URL=postgres://user@host:5432/onestop MEDIA_ROOT=/app/media deploy/backup.sh /backups/2026-11-29
#
# Writes into the (new or empty) folder: database.dump, media.tar.gz and SHA256SUMS. The dump is
# one consistent snapshot; files are archived after it, so every document the dump names is in the
# archive (uploads are written before their row commits; a file without a row is harmless).
# Needs pg_dump of the server's major version (or newer) and tar; README.md "Backup and restore"
# says how to run it against the docker-compose deployment.
set -euo pipefail

out="${1:?usage: deploy/backup.sh OUTPUT_DIR}"
: "${DATABASE_URL:?set DATABASE_URL (postgres://...)}"
: "${MEDIA_ROOT:?set MEDIA_ROOT (the folder of stored documents)}"

mkdir -p "$out"
if [ -n "$(ls -A "$out")" ]; then
  echo "backup: $out is not empty" >&2
  exit 2
fi

pg_dump --format=custom --no-owner --no-privileges --file="$out/database.dump" --dbname="$DATABASE_URL"
if [ -d "$MEDIA_ROOT" ]; then
  tar -C "$MEDIA_ROOT" -czf "$out/media.tar.gz" .
else
  tar -czf "$out/media.tar.gz" --files-from /dev/null  # no file stored yet: an empty archive
fi
(cd "$out" && sha256sum database.dump media.tar.gz > SHA256SUMS)
echo "backup written to $out"
