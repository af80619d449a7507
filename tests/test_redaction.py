import logging

import pytest

from scoreline.redaction import MASK, RedactingFilter, install_log_redaction, redact, redact_url, url_secrets


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql+psycopg://u:s3cret@db:5432/x", "postgresql+psycopg://u:***@db:5432/x"),
        ("at http://user:p%40ss@mlflow:5000/api failed", "at http://user:***@mlflow:5000/api failed"),
        ("https://:token-only@host/x", "https://:***@host/x"),
        ("https://host/a?api_key=abc123&x=1", "https://host/a?api_key=***&x=1"),
        ("https://host/a?X-Amz-Signature=f00&token=t0k", "https://host/a?X-Amz-Signature=***&token=***"),
        ("duckdb:////home/u/scoreline.duckdb", "duckdb:////home/u/scoreline.duckdb"),
        ("http://host:8000/health and user@example.com", "http://host:8000/health and user@example.com"),
        ("postgresql://u@db/x (no password)", "postgresql://u@db/x (no password)"),
    ],
)
def test_redact_masks_url_passwords_and_secret_query_values(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_known_secrets_are_masked_wherever_they_appear() -> None:
    text = "key the-api-key sent to https://hooks.example/T0/B0/tok (password p@ss)"
    assert redact(text, {"the-api-key", "https://hooks.example/T0/B0/tok", "p@ss", "x"}) == (
        f"key {MASK} sent to {MASK} (password {MASK})"
    )


def test_redact_url_uses_sqlalchemy_for_database_urls_and_keeps_malformed_text() -> None:
    assert redact_url("postgresql+psycopg://u:pw@h:5432/db") == "postgresql+psycopg://u:***@h:5432/db"
    assert redact_url("not a url at all") == "not a url at all"
    assert redact_url("https://u:pw@h/x?token=t") == "https://u:***@h/x?token=***"


def test_url_secrets_are_the_password_as_written_and_decoded() -> None:
    assert url_secrets("postgresql://u:p%40ss@h/db") == {"p%40ss", "p@ss"}
    assert url_secrets("https://h/x") == set()
    assert url_secrets(None) == set()


def test_the_filter_redacts_messages_arguments_tracebacks_and_extra_fields(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("scoreline.test_redaction")
    install_log_redaction({"the-api-key"})
    try:
        with caplog.at_level(logging.INFO):
            logger.info("connecting to %s with %s", "postgresql://u:pw-in-args@h/db", "the-api-key")
            logger.info("request", extra={"path": "/x?token=tok-in-extra"})
            try:
                raise RuntimeError("cannot reach http://u:pw-in-trace@h")
            except RuntimeError:
                logger.exception("failed")
    finally:
        for handler in logging.getLogger().handlers:
            for found in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
                handler.removeFilter(found)
    assert "pw-in-args" not in caplog.text and "the-api-key" not in caplog.text
    assert "connecting to postgresql://u:***@h/db with ***" in caplog.text
    assert "pw-in-trace" not in caplog.text and "RuntimeError: cannot reach http://u:***@h" in caplog.text
    assert [getattr(r, "path", None) for r in caplog.records][1] == "/x?token=***"
