"""A real S3 API on loopback: moto's server (the dev extra), started once per session, and helpers.

Each test gets its own bucket and AWS settings that point botocore's standard chain at the server:
``AWS_ENDPOINT_URL`` for the endpoint, test credentials in the environment, retries bounded (two attempts),
no shared config or credentials file and no instance metadata lookups.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.cli_mirror import write_mirror

SECRET_KEY = "wJalrXUtnFEMI-test-secret-never-shown"
AWS_VARIABLES = (
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL_S3",
    "AWS_DEFAULT_PROFILE",
    "AWS_CA_BUNDLE",
)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """``http://127.0.0.1:<port>`` of a moto server running for the whole session."""
    server_module = pytest.importorskip("moto.server", reason="moto[server] (dev extra) is not installed")
    pytest.importorskip("s3fs", reason="s3fs (aws extra) is not installed")
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def aws_environment(monkeypatch: pytest.MonkeyPatch, endpoint: str, tmp_path: Path) -> None:
    """Point the standard AWS chain at ``endpoint`` with test credentials and bounded retries."""
    for name in AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIATESTSCORELINE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


@pytest.fixture
def s3(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """An s3fs file system on the loopback server, the AWS environment set for the code under test."""
    import s3fs

    aws_environment(monkeypatch, s3_endpoint, tmp_path)
    return s3fs.S3FileSystem(skip_instance_cache=True, use_listings_cache=False)


@pytest.fixture
def bucket(s3: Any) -> str:
    """A new empty bucket's name."""
    name = f"scoreline-{uuid.uuid4().hex[:12]}"
    s3.mkdir(name)
    return name


@pytest.fixture(scope="session")
def local_mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The CLI tests' simulated mirror: E0 and SP1, seasons 2223 and 2324 (read-only)."""
    return write_mirror(tmp_path_factory.mktemp("s3_mirror"))


def upload_folder(s3: Any, folder: Path, url: str) -> None:
    """Copy every file under ``folder`` to ``url`` (``s3://bucket/prefix``), same relative paths."""
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            s3.put_file(str(path), f"{url.removeprefix('s3://')}/{path.relative_to(folder).as_posix()}")


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def authenticating_endpoint() -> Iterator[str]:
    """A second moto server, in its own process, that checks credentials: it knows no access key at all."""
    pytest.importorskip("moto.server", reason="moto[server] (dev extra) is not installed")
    port = free_port()
    environment = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "0"}
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("the authenticating moto server did not start within 30 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
