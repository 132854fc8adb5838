"""Django's PostgreSQL backend without a health-check round trip on a connection proven moments ago.

CONN_HEALTH_CHECKS makes Django send `SELECT 1` before the first query of every request on a
persistent connection: a fourth round trip on each intake (which needs three), invisible to Django's
query log. A connection that served the previous request without a database error less than
HEALTH_CHECK_FRESH_SECONDS ago is taken as working: under load no request pays the check, and after a
quiet spell (when a restart may have happened) the first request checks as before. A failure inside
that window is handled as without health checks: the request answers 503 (apps.common.outages) and
Django closes the broken connection at its end.
"""
from __future__ import annotations

import time

from django.db.backends.postgresql import base

HEALTH_CHECK_FRESH_SECONDS = 1.0
# psycopg prepares a statement a server-binding cursor has run this many times on a connection (its own
# default; Django turns it off unless OPTIONS sets it). Only prepared_statement_cursor() binds on the server.
PREPARE_THRESHOLD = 5


class DatabaseWrapper(base.DatabaseWrapper):
    _proven_at = float("-inf")  # when a request last used this connection without a database error

    def close_if_unusable_or_obsolete(self):
        # Called when a request starts and when it ends. health_check_done is set by the request's
        # first use of the connection and reset by this call: set here means "used since the last call".
        used = self.connection is not None and self.health_check_done and not self.errors_occurred
        super().close_if_unusable_or_obsolete()
        if used and self.connection is not None:
            self._proven_at = time.monotonic()

    def close_if_health_check_failed(self):
        if (self.connection is not None and not self.health_check_done
                and time.monotonic() - self._proven_at < HEALTH_CHECK_FRESH_SECONDS):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def get_connection_params(self):
        params = super().get_connection_params()
        if "prepare_threshold" not in self.settings_dict["OPTIONS"]:
            params["prepare_threshold"] = PREPARE_THRESHOLD
        return params

    def prepared_statement_cursor(self):
        """A cursor that binds parameters on the server, for a statement run on every request of
        one kind (the intake's one statement): psycopg prepares it once it has run PREPARE_THRESHOLD
        times on this connection, and PostgreSQL then skips parsing and planning it (OPTIONS
        prepare_threshold None turns preparing off: DB_PREPARED_STATEMENTS=false, e.g. behind a
        transaction-pooling PgBouncer). The rest of Django keeps client-side binding, which accepts any
        statement Django writes and never prepares. Wrapped as connection.cursor() wraps its own, so
        query logging and execute wrappers see it."""
        self.close_if_health_check_failed()
        self.ensure_connection()
        # Cursors wrapped by the connection's factory (OpenTelemetry's psycopg tracing) stay wrapped, unprepared.
        wrapped = self.connection.cursor_factory not in (base.Cursor, base.ServerBindingCursor)
        with self.wrap_database_errors:
            cursor = self.create_cursor() if wrapped else base.ServerBindingCursor(self.connection)
            return self._prepare_cursor(cursor)
