"""Store fixtures: a fresh store per test on DuckDB and, where configured, on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from scoreline.store import Store

PG_URL_VARIABLE = "SCORELINE_TEST_PG_URL"


def pg_base_url() -> str | None:
    return os.environ.get(PG_URL_VARIABLE) or None


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped after the test."""
    base = pg_base_url()
    if base is None:
        pytest.skip(f"PostgreSQL tests need ${PG_URL_VARIABLE} (e.g. postgresql+psycopg://u:p@localhost/db)")
    schema = f"scoreline_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    url = sa.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def duckdb_url(tmp_path: Path) -> str:
    return f"duckdb:///{tmp_path / 'store' / 'scoreline.duckdb'}"


@pytest.fixture(
    params=[
        pytest.param("duckdb_url", id="duckdb"),
        pytest.param("pg_url", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def store_url(request: pytest.FixtureRequest) -> str:
    """The URL of an empty store on each backend."""
    return str(request.getfixturevalue(request.param))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with Store.from_url(store_url) as opened:
        yield opened
