"""An object store that fails: a missing bucket, refused credentials, throttling, no endpoint at all. Each
ends in one line naming the URL and an exit status, never a traceback or a secret, and loses nothing."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from scoreline import storage
from scoreline.cli.main import app
from tests.s3.conftest import SECRET_KEY, aws_environment, free_port, upload_folder

runner = CliRunner()


@pytest.fixture
def stored(local_mirror: Path, tmp_path: Path) -> str:
    """A store that already holds the mirror (what a failed run must not lose)."""
    db = f"duckdb:///{tmp_path / 'store.duckdb'}"
    assert runner.invoke(app, ["ingest", "--from-dir", str(local_mirror), "--db", db]).exit_code == 0
    return db


def summary(db: str) -> dict[str, Any]:
    result = runner.invoke(app, ["data", "summary", "--json", "--db", db])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def assert_one_line_failure(result: Result, exit_code: int, message: str) -> None:
    """The boundary's ``error:`` line (and its hint), no traceback, no secret."""
    assert result.exit_code == exit_code, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and message in errors[0], result.output
    assert "hint: " in result.output
    assert "Traceback" not in result.output and SECRET_KEY not in result.output


def test_missing_bucket(s3: Any, stored: str) -> None:
    before = summary(stored)
    url = f"s3://scoreline-missing-{uuid.uuid4().hex[:8]}/football-data"
    result = runner.invoke(app, ["ingest", "--from-dir", url, "--db", stored])
    assert_one_line_failure(result, 2, f"no such bucket: {url}")
    assert summary(stored) == before


def test_wrong_credentials(
    authenticating_endpoint: str, stored: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    aws_environment(monkeypatch, authenticating_endpoint, tmp_path)
    before = summary(stored)
    result = runner.invoke(app, ["ingest", "--from-dir", "s3://scoreline-mirror/data", "--db", stored])
    assert_one_line_failure(result, 2, "access to s3://scoreline-mirror/data refused: The AWS Access Key Id")
    assert "AWS_ACCESS_KEY_ID" in result.output  # the hint names the credential chain
    assert summary(stored) == before


class SlowDown(BaseHTTPRequestHandler):
    """Answers every request as a throttled S3 endpoint does: 503 SlowDown."""

    requests: list[str]
    BODY = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
        b"<Message>Please reduce your request rate.</Message><RequestId>1</RequestId></Error>"
    )

    def _answer(self) -> None:
        self.requests.append(f"{self.command} {self.path}")
        self.send_response(503)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(self.BODY)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(self.BODY)

    do_GET = do_PUT = do_HEAD = do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def throttling_endpoint() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that throttles every request, and the requests it saw."""
    seen: list[str] = []
    handler = type("Handler", (SlowDown,), {"requests": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", seen
    server.shutdown()
    server.server_close()


def test_throttled_endpoint_retries_within_bounds_then_says_so(
    throttling_endpoint: tuple[str, list[str]], stored: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    endpoint, seen = throttling_endpoint
    aws_environment(monkeypatch, endpoint, tmp_path)  # AWS_MAX_ATTEMPTS=2
    before = summary(stored)
    result = runner.invoke(app, ["ingest", "--from-dir", "s3://scoreline-mirror/data", "--db", stored])
    assert_one_line_failure(result, 1, "s3://scoreline-mirror/data: the endpoint throttled the requests")
    assert len(seen) == 2 and all(r.startswith("GET /scoreline-mirror?list-type=2") for r in seen)
    assert summary(stored) == before


def test_unreachable_endpoint(stored: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytest.importorskip("s3fs", reason="s3fs (aws extra) is not installed")
    aws_environment(monkeypatch, f"http://127.0.0.1:{free_port()}", tmp_path)
    before = summary(stored)
    result = runner.invoke(app, ["ingest", "--from-dir", "s3://scoreline-mirror/data", "--db", stored])
    assert_one_line_failure(result, 1, "cannot reach the S3 endpoint for s3://scoreline-mirror/data")
    assert summary(stored) == before


def test_a_failure_during_the_run_keeps_the_files_stored_before_it(
    s3: Any, bucket: str, local_mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"s3://{bucket}/mirror"
    upload_folder(s3, local_mirror, url)
    db = f"duckdb:///{tmp_path / 'store.duckdb'}"
    real = storage.read_bytes

    def throttled_on_the_last(location: str | Path) -> bytes:
        if str(location).endswith("SP1/2324.csv"):
            raise storage.StorageError(f"{location}: the endpoint throttled the requests (SlowDown)", "wait")
        return real(location)

    monkeypatch.setattr(storage, "read_bytes", throttled_on_the_last)
    result = runner.invoke(app, ["ingest", "--from-dir", url, "--db", db])
    assert_one_line_failure(result, 1, f"{url}/SP1/2324.csv: the endpoint throttled the requests")
    kept = summary(db)
    assert [(row["league"], row["season"]) for row in kept["rows"]] == [
        ("E0", "2223"), ("E0", "2324"), ("SP1", "2223"),
    ]  # fmt: skip
    monkeypatch.setattr(storage, "read_bytes", real)
    rerun = runner.invoke(app, ["ingest", "--from-dir", url, "--db", db])
    assert "4 files: 1 stored, 0 replaced, 3 unchanged, 0 failed; 56 matches" in rerun.output


def test_s3_urls_without_the_aws_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(__import__("sys").modules, "s3fs", None)
    monkeypatch.setattr(storage, "_S3_FILE_SYSTEMS", {})
    result = runner.invoke(
        app, ["ingest", "--from-dir", "s3://scoreline-mirror/data", "--db", "duckdb:///:memory:"]
    )
    assert result.exit_code == 2, result.output
    assert "error: s3://scoreline-mirror/data: s3:// URLs need s3fs" in result.output
    assert "hint: install the aws extra: pip install 'scoreline[aws]'" in result.output


def test_unsupported_scheme() -> None:
    result = runner.invoke(app, ["ingest", "--from-dir", "gs://bucket/data", "--db", "duckdb:///:memory:"])
    assert result.exit_code == 2, result.output
    assert "error: unsupported URL scheme gs:// in gs://bucket/data" in result.output
