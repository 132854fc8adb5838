"""A new dossier's writes in one SQL statement (PostgreSQL): the short critical section of intake.

    WITH claim AS (INSERT INTO idempotency … ON CONFLICT DO NOTHING RETURNING 1)      -- with a key
       , counter AS (INSERT INTO codecounter … SELECT … FROM claim
                     ON CONFLICT (agency_id, day) DO UPDATE SET last_value = last_value + 1 RETURNING last_value)
       , new_code AS (SELECT '<agency>-<yymmdd>-' || lpad(last_value, ≥ 4 digits) FROM counter)
       , r0 AS (INSERT INTO dossier … SELECT … WHERE EXISTS (SELECT 1 FROM new_code) RETURNING id)
       , r1 AS (INSERT INTO event …), r2 AS (documents), r3 … (every sink's rows, in order)
    SELECT (SELECT code FROM new_code), (SELECT array_agg(id ORDER BY id) FROM r2), …

Run in autocommit it is its own transaction: the counter row is locked from the upsert to the
commit of that one statement, and a key that was already claimed leaves everything unwritten
(the claim gates the counter, the counter gates every insert). The dossier and event ids are
reserved beforehand (``reserve_ids``), so every row can point at them; the code is the one value
only the statement knows: rows carry a placeholder for it (a text column, or text inside a JSON
column) and the statement puts the code in its place.

Other databases (SQLite in embedded mode) have no data-modifying CTE: there services._create
writes the same rows statement by statement in one transaction.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import connection, models
from django.db.models.expressions import DatabaseDefault

from onestop.codes import format_dossier_code

from .models import CodeCounter, Dossier, DossierEvent, IdempotencyRecord


def code_placeholder() -> str:
    """A value that cannot occur in real data, standing for the code until the statement decides it."""
    return f"@@onestop-code-{secrets.token_hex(8)}@@"


@dataclass(frozen=True)
class Claim:
    client: str
    key: str
    request_hash: str
    at: datetime


@dataclass
class NewDossierWrites:
    agency_id: int
    agency_code: str
    day: date
    placeholder: str  # in the rows wherever the code goes
    rows: list[models.Model]  # the dossier first; ids of the dossier and the event already reserved
    claim: Claim | None = None

    @property
    def dossier(self) -> Dossier:
        dossier = self.rows[0]
        assert isinstance(dossier, Dossier)
        return dossier


def reserve_ids() -> tuple[int, int]:
    """The next dossier id and event id (one round trip, no lock: a sequence never waits)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')), nextval(pg_get_serial_sequence(%s, 'id'))",
            [Dossier._meta.db_table, DossierEvent._meta.db_table],
        )
        dossier_id, event_id = cursor.fetchone()
    return int(dossier_id), int(event_id)


# --- one statement (PostgreSQL) ----------------------------------------------------------------

_CODE = "(SELECT code FROM new_code)"


def _columns(model: type[models.Model], rows: list[models.Model]) -> list[models.Field]:
    """The columns to write: every concrete field, less generated columns (the database computes
    them), an unset primary key (the sequence gives it) and fields left to their database default."""
    columns = []
    for f in model._meta.concrete_fields:
        if f.generated:
            continue
        if f.primary_key and all(row.pk is None for row in rows):
            continue
        if all(isinstance(getattr(row, f.attname), DatabaseDefault) for row in rows):
            continue
        columns.append(f)
    return columns


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    raise TypeError(f"no JSON form for {type(value).__name__}")


def _rows_json(rows: list[models.Model], columns: list[models.Field]) -> str:
    """The rows as one JSON array of {column: value}, values as the database takes them."""
    items = []
    for row in rows:
        item = {}
        for f in columns:
            value = f.pre_save(row, add=True)
            if not isinstance(f, models.JSONField):
                value = f.get_db_prep_save(value, connection)
            elif f.encoder is not None:  # the field's own encoder decides the stored form
                value = json.loads(json.dumps(value, cls=f.encoder))
            item[f.column] = value
        items.append(item)
    return json.dumps(items, default=_json_value, ensure_ascii=False, separators=(",", ":"))


def _insert(name: str, rows: list[models.Model], placeholder: str) -> tuple[str, list[Any]]:
    """One INSERT for a run of rows of one model. The rows travel as one JSON parameter, turned
    into typed records by jsonb_populate_recordset (the table's own row type: no casts, and a
    short statement text with few parameters, which psycopg parses once and caches); the code's
    placeholder is replaced wherever a row holds it, in text or inside JSON."""
    model = type(rows[0])
    for row in rows:  # a foreign key to a row given its id after the assignment (the dossier's)
        row._prepare_related_fields_for_save(operation_name="write_in_one_statement")
    columns = _columns(model, rows)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(f.column) for f in columns)
    sql = (
        f"{name} AS (INSERT INTO {table} ({names}) SELECT {names} FROM jsonb_populate_recordset(NULL::{table}, "
        f"replace(%s, %s, {_CODE})::jsonb) WHERE EXISTS (SELECT 1 FROM new_code) "
        f"RETURNING {quote(model._meta.pk.column)})"
    )
    return sql, [_rows_json(rows, columns), placeholder]


def _runs(rows: list[models.Model]) -> list[list[models.Model]]:
    """Consecutive rows of one model go in one INSERT."""
    runs: list[list[models.Model]] = []
    for row in rows:
        if runs and type(runs[-1][0]) is type(row):
            runs[-1].append(row)
        else:
            runs.append([row])
    return runs


def one_statement(writes: NewDossierWrites) -> tuple[str, list[Any], list[list[models.Model]]]:
    """The statement, its parameters and the runs of rows whose ids it returns, in order."""
    counter = CodeCounter._meta.db_table
    parts: list[str] = []
    params: list[Any] = []
    gate = ""
    if writes.claim is not None:
        claim = writes.claim
        parts.append(
            f"claim AS (INSERT INTO {IdempotencyRecord._meta.db_table} "
            "(client, key, request_hash, created_at, dossier_id, response_status) "
            "VALUES (%s, %s, %s, %s, %s, 201) ON CONFLICT (client, key) DO NOTHING RETURNING 1)"
        )
        params += [claim.client, claim.key, claim.request_hash, claim.at, writes.dossier.pk]
        gate = " FROM claim"
    parts.append(
        f"counter AS (INSERT INTO {counter} (agency_id, day, last_value) SELECT %s::bigint, %s::date, 1{gate} "
        f"ON CONFLICT (agency_id, day) DO UPDATE SET last_value = {counter}.last_value + 1 RETURNING last_value)"
    )
    params += [writes.agency_id, writes.day]
    # The format of onestop.codes.format_dossier_code: four digits, more past 9,999 (a test holds them equal).
    prefix = format_dossier_code(writes.agency_code, writes.day, 1)[: -len("0001")]
    parts.append(
        "new_code AS (SELECT %s || lpad(last_value::text, greatest(4, length(last_value::text)), '0') AS code "
        "FROM counter)"
    )
    params.append(prefix)
    runs = _runs(writes.rows)
    for number, run in enumerate(runs):
        sql, values = _insert(f"r{number}", run, writes.placeholder)
        parts.append(sql)
        params += values
    returned = ", ".join(f"(SELECT array_agg(id ORDER BY id) FROM r{n})" for n in range(len(runs)))
    return f"WITH {', '.join(parts)} SELECT {_CODE}, {returned}", params, runs


def write_in_one_statement(writes: NewDossierWrites) -> str | None:
    """Write everything; the code given, or None when the idempotency key was taken (nothing written)."""
    sql, params, runs = one_statement(writes)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        code, *ids = cursor.fetchone()
    if code is None:
        return None
    for run, run_ids in zip(runs, ids, strict=True):
        for row, pk in zip(run, run_ids, strict=True):
            row.pk = pk
            row._state.adding, row._state.db = False, connection.alias
    _fill_in(writes, code)
    return code


def _fill_in(writes: NewDossierWrites, code: str) -> None:
    """The Python rows as written: the placeholder replaced by the code (text and JSON values)."""
    for row in writes.rows:
        for f in row._meta.concrete_fields:
            if f.generated:
                continue
            value = getattr(row, f.attname)
            if isinstance(value, str) and writes.placeholder in value:
                setattr(row, f.attname, value.replace(writes.placeholder, code))
            elif isinstance(f, models.JSONField) and writes.placeholder in json.dumps(value, cls=f.encoder):
                text = json.dumps(value, cls=f.encoder).replace(writes.placeholder, code)
                setattr(row, f.attname, json.loads(text, cls=f.decoder))
