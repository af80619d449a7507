"""API hardening: the admin key before the body, the body limit, capped 422s, security headers, the wrong-key
limit, docs served by the app, and no inline script or style in the pages (their CSP forbids them)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from scoreline.serving import create_app
from scoreline.serving.guards import FailureLimiter
from scoreline.serving.security_headers import CONTENT_SECURITY_POLICY, REDOC_CONTENT_SECURITY_POLICY
from scoreline.settings import Settings

from .conftest import API_KEY, ModelsInMemory

MB = 1_000_000


def fixture_json(**overrides: Any) -> dict[str, Any]:
    return {
        "league": "E0",
        "home": "Arsenal",
        "away": "Chelsea",
        "kickoff": "2030-01-05T15:00:00",
        **overrides,
    }


# --- the admin key is checked before the body is read ------------------------------------------------------


def call_asgi(
    app: FastAPI, path: str, headers: dict[str, str], body: bytes, root_path: str = ""
) -> tuple[int, int, bytes]:
    """POST ``body`` to ``app`` in 64 KiB chunks; the status, the body bytes the app read, the answer."""
    chunks = [body[i : i + 65536] for i in range(0, len(body), 65536)] or [b""]
    read = 0
    status = 0
    answer = b""

    async def receive() -> dict[str, Any]:
        nonlocal read
        if not chunks:
            return {"type": "http.disconnect"}
        chunk = chunks.pop(0)
        read += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, answer
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            answer += message.get("body", b"")

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": root_path + path,
        "raw_path": (root_path + path).encode(),
        "root_path": root_path,
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("192.0.2.7", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    asyncio.run(app(scope, receive, send))
    return status, read, answer


@pytest.mark.parametrize("root_path", ["", "/behind/a/proxy"])
@pytest.mark.parametrize(("key", "status"), [(None, 401), ("wrong-key", 403)])
def test_admin_routes_refuse_a_bad_key_before_reading_a_5mb_body(
    app: FastAPI, key: str | None, status: int, root_path: str
) -> None:
    body = json.dumps({"model": "champion", "padding": "x" * (5 * MB)}).encode()
    headers = {"content-type": "application/json"} | ({"x-api-key": key} if key else {})
    answered, read, answer = call_asgi(app, "/v1/admin/reload", headers, body, root_path)
    assert answered == status
    assert read == 0
    assert json.loads(answer)["detail"] in ("missing X-API-Key header", "invalid API key")


def test_admin_route_with_the_key_reads_the_body(app: FastAPI, provider: ModelsInMemory) -> None:
    body = json.dumps({"model": "1"}).encode()
    headers = {"content-type": "application/json", "x-api-key": API_KEY}
    answered, read, answer = call_asgi(app, "/v1/admin/reload", headers, body)
    assert (answered, read) == (200, len(body))
    assert json.loads(answer)["current"]["version"] == "1"
    assert provider.loads[-1] == "1"


# --- body limit -------------------------------------------------------------------------------------------


@pytest.fixture
def small_limit_client(settings: Settings, provider: ModelsInMemory) -> Iterator[TestClient]:
    with TestClient(create_app(settings.model_copy(update={"max_body_bytes": 2000}), provider)) as client:
        yield client


def test_a_body_over_the_limit_is_refused_from_its_content_length(small_limit_client: TestClient) -> None:
    body = json.dumps({"fixtures": [fixture_json()] * 40}).encode()
    assert len(body) > 2000
    response = small_limit_client.post(
        "/v1/predictions", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["detail"] == "request body too large: at most 2000 bytes are accepted"


def test_a_chunked_body_over_the_limit_is_refused_while_read(small_limit_client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"fixtures": ['
        for _ in range(100):
            yield json.dumps(fixture_json()).encode() + b","
        yield json.dumps(fixture_json()).encode() + b"]}"

    response = small_limit_client.post(
        "/v1/predictions", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json()["detail"].startswith("request body too large")


def test_a_body_under_the_limit_is_served(small_limit_client: TestClient) -> None:
    response = small_limit_client.post("/v1/predictions", json={"fixtures": [fixture_json()]})
    assert response.status_code == 200
    assert response.json()["predictions"][0]["home"] == "Arsenal"


def test_the_limit_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCORELINE_MAX_BODY_BYTES", "12345")
    assert Settings().max_body_bytes == 12345
    assert Settings.model_fields["max_body_bytes"].default == MB


# --- 422 answers are capped --------------------------------------------------------------------------------


def test_a_10mb_bad_body_does_not_come_back_whole(settings: Settings, provider: ModelsInMemory) -> None:
    roomy = settings.model_copy(update={"max_body_bytes": 20 * MB})
    with TestClient(create_app(roomy, provider)) as client:
        huge_name = fixture_json(home="H" * (10 * MB))
        too_many = [fixture_json(home=f"Team {i}", league=12) for i in range(600)]
        for body in ({"fixtures": [huge_name]}, {"fixtures": too_many}):
            response = client.post("/v1/predictions", json=body)
            assert response.status_code == 422
            assert len(response.content) < 20_000
            errors = response.json()["detail"]
            assert 1 <= len(errors) <= 50
            assert all(len(json.dumps(e.get("input"))) <= 400 for e in errors)
    assert errors[0]["loc"] == ["body", "fixtures"] and errors[0]["type"] == "too_long"


def test_many_errors_are_listed_up_to_fifty(client: TestClient) -> None:
    bad = [fixture_json(league="!") for _ in range(80)]
    response = client.post("/v1/predictions", json={"fixtures": bad})
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert len(errors) == 50
    assert errors[0]["loc"] == ["body", "fixtures", 0, "league"]
    assert errors[0]["input"] == "!"


@pytest.mark.parametrize("kickoff", [1767225600, 1767225600.5, "1767225600", True])
def test_a_kickoff_must_be_an_iso_string(client: TestClient, kickoff: Any) -> None:
    response = client.post("/v1/predictions", json={"fixtures": [fixture_json(kickoff=kickoff)]})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "fixtures", 0, "kickoff"]


# --- security headers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/health"),
        ("GET", "/ready"),
        ("GET", "/static/dashboard.css"),
        ("GET", "/openapi.json"),
        ("GET", "/no-such-route"),
        ("POST", "/v1/predictions"),
        ("POST", "/v1/admin/reload"),
        ("GET", "/metrics"),
    ],
)
def test_every_response_carries_the_security_headers(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path)
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert "server" not in response.headers


def test_the_policy_allows_only_the_apps_own_scripts_and_styles() -> None:
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    redoc = dict(d.split(" ", 1) for d in REDOC_CONTENT_SECURITY_POLICY.split("; "))
    assert redoc["script-src"] == "'self'"  # ReDoc's page relaxes styles (and workers) only
    assert redoc["frame-ancestors"] == "'none'"


class InlineFinder(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block: inline scripts, style elements and
    attributes, event handler attributes, and any absolute URL (a CDN)."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.sources: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "style":
            self.problems.append("<style> element")
        if "style" in names:
            self.problems.append(f"style attribute on <{tag}>")
        self.problems += [f"{name} handler on <{tag}>" for name in names if name.startswith("on")]
        for name in ("src", "href"):
            value = names.get(name) or ""
            if re.match(r"^(https?:)?//", value):
                self.problems.append(f"external {name} {value}")
            if value and (name == "src" or tag == "link"):
                self.sources.append(value)
        self._in_script = tag == "script" and "src" not in names

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append("inline script")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


@pytest.mark.parametrize("path", ["/", "/docs", "/redoc"])
def test_pages_have_no_inline_script_or_style_and_load_only_the_apps_assets(
    client: TestClient, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    finder = InlineFinder()
    finder.feed(response.text)
    assert finder.problems == []
    assert finder.sources  # the page does load its assets...
    for source in finder.sources:
        if not source.startswith("data:"):
            assert client.get(source).status_code == 200, source  # ...and the app serves each one


def test_docs_pages_load_the_bundles_from_the_app(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.headers["content-security-policy"] == CONTENT_SECURITY_POLICY  # Swagger UI needs no relaxing
    assert '<script src="/docs-assets/swagger-ui-bundle.js">' in docs.text
    bundle = client.get("/docs-assets/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and "SwaggerUIBundle" in bundle.text[:2000]
    assert "javascript" in bundle.headers["content-type"]
    redoc = client.get("/redoc")
    assert redoc.headers["content-security-policy"] == REDOC_CONTENT_SECURITY_POLICY
    assert '<redoc spec-url="/openapi.json">' in redoc.text
    assert client.get("/docs-assets/redoc.standalone.js").status_code == 200


# --- wrong admin keys are limited per client ----------------------------------------------------------------


def test_wrong_keys_lock_the_client_out_even_with_the_right_key_then_the_window_ends(
    settings: Settings, provider: ModelsInMemory
) -> None:
    limited = settings.model_copy(update={"admin_max_failures": 3, "admin_failure_window_seconds": 3600})
    app = create_app(limited, provider)
    with TestClient(app) as client:
        statuses = [
            client.post("/v1/admin/reload", headers={"X-API-Key": f"guess-{i}"}).status_code for i in range(3)
        ]
        assert statuses == [403, 403, 403]
        locked = client.post("/v1/admin/reload", headers={"X-API-Key": API_KEY})
        assert locked.status_code == 429
        assert 3590 <= int(locked.headers["retry-after"]) <= 3600
        assert locked.json()["detail"].startswith("too many wrong admin keys")
        assert client.get("/health").status_code == 200  # other routes are not affected
    # another client is not locked out
    status, _, _ = call_asgi(app, "/v1/admin/reload", {"x-api-key": API_KEY}, b"")
    assert status == 200


def test_missing_keys_are_not_counted_as_guesses(client: TestClient) -> None:
    statuses = {client.post("/v1/admin/reload").status_code for _ in range(8)}
    assert statuses == {401}


def test_failure_limiter_window() -> None:
    limiter = FailureLimiter(max_failures=2, window_seconds=10.0)
    limiter.failed("a", now=100.0)
    assert limiter.retry_after("a", now=101.0) is None
    limiter.failed("a", now=102.0)
    assert limiter.retry_after("a", now=103.0) == pytest.approx(7.0)
    assert limiter.retry_after("b", now=103.0) is None
    assert limiter.retry_after("a", now=110.0) is None  # the window ended: forgotten
    limiter.failed("a", now=111.0)
    assert limiter.retry_after("a", now=111.5) is None
    limiter.succeeded("a")
    limiter.failed("a", now=112.0)
    assert limiter.retry_after("a", now=112.5) is None
