"""Fast bulk inserts of a DataFrame inside the caller's SQLAlchemy transaction.

DuckDB: the frame is registered on the raw DuckDB connection and copied with one ``INSERT ... SELECT``
(vectorised, millions of rows per second). PostgreSQL: the frame is written as CSV by Arrow and streamed with
``COPY ... FROM STDIN`` through psycopg. Both use the connection SQLAlchemy already holds, so the insert
commits or rolls back with the rest of the transaction. Other dialects fall back to ``executemany``.
"""

from __future__ import annotations

import io

import duckdb
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import sqlalchemy as sa

_COPY_CHUNK = 1 << 20


def insert_frame(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> int:
    """Insert every row of ``frame`` (columns named as ``table``'s, in any order) into ``table``."""
    if frame.empty:
        return 0
    names = [column.name for column in table.columns if column.name in frame.columns]
    dialect = conn.dialect.name
    if dialect == "duckdb":
        _insert_duckdb(conn, table.name, frame[names])
    elif dialect == "postgresql":
        _copy_postgresql(conn, table, frame[names])
    else:
        conn.execute(table.insert(), frame[names].astype(object).where(frame[names].notna(), None).to_dict("records"))
    return len(frame)


def _insert_duckdb(conn: sa.Connection, table: str, frame: pd.DataFrame) -> None:
    raw = conn.connection.driver_connection
    assert raw is not None
    view = f"_scoreline_insert_{table}"
    names = ", ".join(f'"{name}"' for name in frame.columns)
    statement = f"INSERT INTO {table} ({names}) SELECT {names} FROM {view}"
    raw.register(view, frame)
    try:
        raw.execute(statement)
    except duckdb.Error as exc:
        raise sa.exc.DBAPIError(statement, None, exc) from exc  # as SQLAlchemy would have raised it
    raw.unregister(view)


def _arrow_for_copy(table: sa.Table, frame: pd.DataFrame) -> pa.Table:
    """``frame`` as Arrow with dates as ``date32`` and timestamps in microseconds, as PostgreSQL reads them."""
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    for i, name in enumerate(arrow.column_names):
        sql_type = table.columns[name].type
        column = arrow.column(i)
        if isinstance(sql_type, sa.DateTime) and pa.types.is_timestamp(column.type):
            arrow = arrow.set_column(i, name, pc.cast(column, pa.timestamp("us")))
        elif isinstance(sql_type, sa.Date) and pa.types.is_timestamp(column.type):
            arrow = arrow.set_column(i, name, pc.cast(column, pa.date32()))
    return arrow


def _copy_postgresql(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    buffer = io.BytesIO()
    pa_csv.write_csv(_arrow_for_copy(table, frame), buffer, pa_csv.WriteOptions(include_header=False))
    names = ", ".join(f'"{name}"' for name in frame.columns)
    raw = conn.connection.driver_connection
    assert raw is not None
    statement = f"COPY {table.name} ({names}) FROM STDIN (FORMAT csv)"
    data = buffer.getbuffer()
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for start in range(0, len(data), _COPY_CHUNK):
                copy.write(data[start : start + _COPY_CHUNK])
    except psycopg.Error as exc:
        raise sa.exc.DBAPIError(statement, None, exc) from exc  # as SQLAlchemy would have raised it
