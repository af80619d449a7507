"""Fast bulk inserts and reads through Arrow, on the connection SQLAlchemy holds.

Frames are converted to Arrow once. DuckDB: the table is registered on the raw DuckDB connection and copied
with one ``INSERT ... SELECT`` (vectorised). PostgreSQL: the table is written as CSV by Arrow and streamed
with ``COPY ... FROM STDIN`` through psycopg. Both use the connection SQLAlchemy already holds, so the insert
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


def insert_frame(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame | pa.Table) -> int:
    """Insert every row of ``frame`` (columns named as ``table``'s, in any order) into ``table``."""
    if frame.num_rows == 0 if isinstance(frame, pa.Table) else frame.empty:
        return 0
    arrow = frame if isinstance(frame, pa.Table) else to_arrow(frame)
    names = [column.name for column in table.columns if column.name in arrow.column_names]
    arrow = arrow.select(names)
    dialect = conn.dialect.name
    if dialect == "duckdb":
        _insert_duckdb(conn, table.name, arrow)
    elif dialect == "postgresql":
        _copy_postgresql(conn, table, arrow)
    else:
        conn.execute(table.insert(), arrow.to_pylist())
    return arrow.num_rows


def to_arrow(frame: pd.DataFrame) -> pa.Table:
    """``frame`` as an Arrow table (converted once, then scanned without copies by DuckDB)."""
    return pa.Table.from_pandas(frame, preserve_index=False, nthreads=1)


def _insert_duckdb(conn: sa.Connection, table: str, arrow: pa.Table) -> None:
    raw = conn.connection.driver_connection
    assert raw is not None
    view = f"_scoreline_insert_{table}"
    names = ", ".join(f'"{name}"' for name in arrow.column_names)
    statement = f"INSERT INTO {table} ({names}) SELECT {names} FROM {view}"
    raw.register(view, arrow)
    try:
        raw.execute(statement)
    except duckdb.Error as exc:
        raise _as_sqlalchemy_error(statement, exc, duckdb.ConstraintException) from exc
    raw.unregister(view)


def is_data_error(exc: BaseException) -> bool:
    """Whether the database refused a value (out of range, not convertible), not the connection or disk."""
    orig = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc
    return isinstance(exc, sa.exc.DataError) or isinstance(orig, (duckdb.DataError, psycopg.DataError))


def _as_sqlalchemy_error(statement: str, exc: Exception, integrity: type[Exception]) -> sa.exc.DBAPIError:
    """The error SQLAlchemy would have raised for a driver error (``IntegrityError`` for constraints)."""
    kind = sa.exc.IntegrityError if isinstance(exc, integrity) else sa.exc.DBAPIError
    return kind(statement, None, exc)


def _arrow_for_copy(table: sa.Table, arrow: pa.Table) -> pa.Table:
    """``arrow`` with dates as ``date32`` and timestamps in microseconds, as PostgreSQL reads them."""
    for i, name in enumerate(arrow.column_names):
        sql_type = table.columns[name].type
        column = arrow.column(i)
        if isinstance(sql_type, sa.DateTime) and pa.types.is_timestamp(column.type):
            arrow = arrow.set_column(i, name, pc.cast(column, pa.timestamp("us")))
        elif isinstance(sql_type, sa.Date) and pa.types.is_timestamp(column.type):
            arrow = arrow.set_column(i, name, pc.cast(column, pa.date32()))
    return arrow


def _copy_postgresql(conn: sa.Connection, table: sa.Table, arrow: pa.Table) -> None:
    buffer = io.BytesIO()
    pa_csv.write_csv(_arrow_for_copy(table, arrow), buffer, pa_csv.WriteOptions(include_header=False))
    names = ", ".join(f'"{name}"' for name in arrow.column_names)
    raw = conn.connection.driver_connection
    assert raw is not None
    statement = f"COPY {table.name} ({names}) FROM STDIN (FORMAT csv)"
    data = buffer.getbuffer()
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for start in range(0, len(data), _COPY_CHUNK):
                copy.write(data[start : start + _COPY_CHUNK])
    except psycopg.Error as exc:
        raise _as_sqlalchemy_error(statement, exc, psycopg.IntegrityError) from exc


# --- reads ---------------------------------------------------------------------------------------------


def fetch_duckdb(conn: sa.Connection, query: sa.Select) -> pa.Table:
    """``query``'s rows as Arrow, straight from DuckDB."""
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    values = compiled.construct_params()
    raw = conn.connection.driver_connection
    assert raw is not None
    return raw.sql(
        str(compiled), params=[values[name] for name in compiled.positiontup or ()]
    ).to_arrow_table()


def fetch_postgresql(conn: sa.Connection, query: sa.Select) -> pa.Table:
    """``query``'s rows as Arrow: ``COPY (query) TO STDOUT`` as CSV, read by Arrow with the query's types."""
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    names = [column.name for column in query.selected_columns]
    types = {column.name: _arrow_type(column.type) for column in query.selected_columns}
    raw = conn.connection.driver_connection
    assert raw is not None
    buffer = io.BytesIO()
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY ({compiled}) TO STDOUT (FORMAT csv)", compiled.params) as copy,
    ):
        for block in copy:
            buffer.write(block)
    buffer.seek(0)
    if buffer.getbuffer().nbytes == 0:
        return pa.table({name: pa.array([], types[name]) for name in names})
    return pa_csv.read_csv(
        buffer,
        read_options=pa_csv.ReadOptions(column_names=names),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            column_types=types,
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            true_values=["t"],
            false_values=["f"],
        ),
    )


def _arrow_type(sql_type: sa.types.TypeEngine[object]) -> pa.DataType:
    """The Arrow type PostgreSQL's CSV text of a column of ``sql_type`` is read as."""
    if isinstance(sql_type, sa.Boolean):
        return pa.bool_()
    if isinstance(sql_type, sa.DateTime):
        return pa.timestamp("us")
    if isinstance(sql_type, sa.Date):
        return pa.date32()
    if isinstance(sql_type, sa.Integer):
        return pa.int64()
    if isinstance(sql_type, sa.Float | sa.Numeric):
        return pa.float64()
    return pa.string()
