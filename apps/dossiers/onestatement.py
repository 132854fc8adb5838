"""A new dossier's writes in one SQL statement (PostgreSQL): the short critical section of intake.

    WITH ids AS (SELECT nextval(<dossier id sequence>) AS dossier_id, nextval(<event id sequence>) AS event_id)
       , claim AS (INSERT INTO idempotency … ON CONFLICT DO NOTHING RETURNING 1)      -- with a key
       , counter AS (INSERT INTO codecounter … SELECT … FROM claim
                     ON CONFLICT (agency_id, day) DO UPDATE SET last_value = last_value + 1 RETURNING last_value)
       , new_code AS (SELECT '<agency>-<yymmdd>-' || lpad(last_value, ≥ 4 digits) FROM counter)
       , data AS (SELECT replace(<every row as JSON>, <stand-ins>, <code, ids>)::jsonb AS runs FROM new_code, ids)
       , r0 AS (INSERT INTO dossier … SELECT … FROM data, jsonb_populate_recordset(NULL::dossier, runs->0) RETURNING id)
       , r1 AS (INSERT INTO event …), r2 AS (documents), r3 … (every sink's rows, in order)
    SELECT (SELECT code FROM new_code), dossier_id, event_id, (SELECT array_agg(id ORDER BY id) FROM r0), …

Run in autocommit it is its own transaction: the counter row is locked from the upsert to the
commit of that one statement, and a key that was already claimed leaves everything unwritten
(the claim gates the counter, the counter gates the data of every insert). It is the intake's one round trip
to the database besides reading the signed-in account.

Three values only the statement knows: the code, and the dossier's and the event's ids (drawn from
their sequences in the statement, so that no round trip goes before it to reserve them). The rows
are built with stand-ins for them (``StandIns``: a random text for the code, random negative
19-digit numbers for the ids) wherever they go: a column of their own, a foreign key, text or JSON;
the statement replaces each stand-in's text in the rows' JSON by the value, and ``write_in_one_statement``
does the same in the Python rows once it has run.

Other databases (SQLite in embedded mode) have no data-modifying CTE: there services._create
writes the same rows statement by statement in one transaction, with real ids and code.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models.expressions import DatabaseDefault

from onestop.codes import format_dossier_code

from .models import CodeCounter, Dossier, DossierEvent, IdempotencyRecord

_STAND_IN_LOW = 10**18  # id stand-ins have 19 digits: neither one's text is, or is inside, the other's


@dataclass(frozen=True)
class StandIns:
    """What the rows hold until the statement decides the code and draws the ids: values no real
    data has (random per submission; a real id is positive)."""

    code: str
    dossier_id: int
    event_id: int

    @classmethod
    def new(cls) -> StandIns:
        dossier_id = _id_stand_in()
        event_id = _id_stand_in()
        while event_id == dossier_id:
            event_id = _id_stand_in()
        return cls(code=f"@@onestop-code-{secrets.token_hex(8)}@@", dossier_id=dossier_id, event_id=event_id)


def _id_stand_in() -> int:
    return -(_STAND_IN_LOW + secrets.randbelow(2**63 - 1 - _STAND_IN_LOW))


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
    stand_ins: StandIns  # in the rows wherever the code or the dossier's or the event's id goes
    rows: list[models.Model]  # the dossier first, then the event: their pk are the stand-ins
    claim: Claim | None = None

    @property
    def dossier(self) -> Dossier:
        dossier = self.rows[0]
        assert isinstance(dossier, Dossier)
        return dossier


# --- one statement (PostgreSQL) ----------------------------------------------------------------

_CODE = "(SELECT code FROM new_code)"
_DOSSIER_ID = "(SELECT dossier_id FROM ids)"
_EVENT_ID = "(SELECT event_id FROM ids)"


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


def _row_values(rows: list[models.Model], columns: list[models.Field]) -> list[dict[str, Any]]:
    """The rows as {column: value}, values as the database takes them."""
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: each field reads it, through the proxy a lookup each
    items = []
    for row in rows:
        item = {}
        for f in columns:
            value = f.pre_save(row, add=True)
            if not isinstance(f, models.JSONField):
                value = f.get_db_prep_save(value, db)
            elif f.encoder is not None:  # the field's own encoder decides the stored form
                value = json.loads(json.dumps(value, cls=f.encoder))
            item[f.column] = value
        items.append(item)
    return items


def _insert(name: str, number: int, rows: list[models.Model]) -> tuple[str, list[dict[str, Any]]]:
    """One INSERT for a run of rows of one model, and the rows' values. Every run travels in one
    JSON parameter (``data``, the stand-ins already replaced), turned into typed records by
    jsonb_populate_recordset (the table's own row type: no casts, and a statement text that is the
    same on every submission, which PostgreSQL parses and plans once per connection)."""
    model = type(rows[0])
    for row in rows:  # a foreign key to a row given its id after the assignment (the dossier's)
        row._prepare_related_fields_for_save(operation_name="write_in_one_statement")
    columns = _columns(model, rows)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(f.column) for f in columns)
    sql = (
        f"{name} AS (INSERT INTO {table} ({names}) SELECT {names} FROM data, "
        f"jsonb_populate_recordset(NULL::{table}, data.runs->{number}) RETURNING {quote(model._meta.pk.column)})"
    )
    return sql, _row_values(rows, columns)


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
    parts: list[str] = [
        f"ids AS (SELECT nextval(pg_get_serial_sequence('{Dossier._meta.db_table}', 'id')) AS dossier_id, "
        f"nextval(pg_get_serial_sequence('{DossierEvent._meta.db_table}', 'id')) AS event_id)"
    ]
    params: list[Any] = []
    gate = ""
    if writes.claim is not None:
        claim = writes.claim
        parts.append(
            f"claim AS (INSERT INTO {IdempotencyRecord._meta.db_table} "
            "(client, key, request_hash, created_at, dossier_id, response_status) "
            f"VALUES (%s, %s, %s, %s, {_DOSSIER_ID}, 201) ON CONFLICT (client, key) DO NOTHING RETURNING 1)"
        )
        params += [claim.client, claim.key, claim.request_hash, claim.at]
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
    # Every row, its stand-ins replaced by the values: nothing when the key was taken (no code).
    parts.append(
        "data AS (SELECT replace(replace(replace(%s, %s, code), %s, dossier_id::text), %s, event_id::text)::jsonb "
        "AS runs FROM new_code, ids)"
    )
    runs = _runs(writes.rows)
    values = []
    for number, run in enumerate(runs):
        sql, run_values = _insert(f"r{number}", number, run)
        parts.append(sql)
        values.append(run_values)
    stand_ins = writes.stand_ins
    params += [json.dumps(values, default=_json_value, ensure_ascii=False, separators=(",", ":")),
               stand_ins.code, str(stand_ins.dossier_id), str(stand_ins.event_id)]
    returned = ", ".join(f"(SELECT array_agg(id ORDER BY id) FROM r{n})" for n in range(len(runs)))
    return f"WITH {', '.join(parts)} SELECT {_CODE}, {_DOSSIER_ID}, {_EVENT_ID}, {returned}", params, runs


def write_in_one_statement(writes: NewDossierWrites) -> str | None:
    """Write everything; the code given, or None when the idempotency key was taken (nothing written)."""
    sql, params, runs = one_statement(writes)
    with connection.prepared_statement_cursor() as cursor:
        cursor.execute(sql, params)
        code, dossier_id, event_id, *ids = cursor.fetchone()
    if code is None:
        return None
    for run, run_ids in zip(runs, ids, strict=True):
        for row, pk in zip(run, run_ids, strict=True):
            row.pk = pk
            row._state.adding, row._state.db = False, connection.alias
    _fill_in(writes, StandIns(code=code, dossier_id=dossier_id, event_id=event_id))
    return code


def _fill_in(writes: NewDossierWrites, values: StandIns) -> None:
    """The Python rows as written: each stand-in replaced by its value (ids in their own columns and
    foreign keys; the code and the ids in text and JSON values)."""
    stand_ins = writes.stand_ins
    numbers = {stand_ins.dossier_id: values.dossier_id, stand_ins.event_id: values.event_id}
    texts = [(stand_ins.code, values.code), *((str(k), str(v)) for k, v in numbers.items())]

    def replaced(text: str) -> str:
        for stand_in, value in texts:
            text = text.replace(stand_in, value)
        return text

    for row in writes.rows:
        for f in row._meta.concrete_fields:
            if f.generated:
                continue
            value = getattr(row, f.attname)
            if isinstance(value, int) and value in numbers:
                setattr(row, f.attname, numbers[value])
            elif isinstance(value, str):
                if (new := replaced(value)) != value:
                    setattr(row, f.attname, new)
            elif isinstance(f, models.JSONField):
                text = json.dumps(value, cls=f.encoder)
                if (new := replaced(text)) != text:
                    setattr(row, f.attname, json.loads(new, cls=f.decoder))
