from pathlib import Path

import pytest
from pydantic import ValidationError

from scoreline.errors import ConfigurationError
from scoreline.settings import Settings, check_api_settings, get_settings


def test_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SCORELINE_HOME", str(tmp_path))
    settings = Settings()
    assert settings.resolved_db_url == f"duckdb:///{tmp_path / 'scoreline.duckdb'}"
    monkeypatch.setenv("SCORELINE_DB_URL", "postgresql+psycopg://u@h/db")
    assert Settings().resolved_db_url == "postgresql+psycopg://u@h/db"


def test_config_file_is_read_and_env_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('log_level = "DEBUG"\nhttp_retries = 7\n')
    monkeypatch.setenv("SCORELINE_CONFIG", str(config))
    monkeypatch.setenv("SCORELINE_HTTP_RETRIES", "2")
    get_settings.cache_clear()
    settings = get_settings()
    assert settings.log_level == "DEBUG"
    assert settings.http_retries == 2


KEY_HINT = "32 characters or more"


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        (None, "SCORELINE_API_KEY is not set"),
        ("change-me", "example value from .env.example"),
        ("a-short-key", "has 11 characters; production needs 32"),
    ],
)
def test_production_refuses_a_missing_short_or_example_key(key: str | None, reason: str) -> None:
    settings = Settings(env="production", api_key=key)
    with pytest.raises(ConfigurationError, match=reason) as raised:
        check_api_settings(settings)
    assert KEY_HINT in raised.value.hint


def test_production_accepts_a_long_random_key_and_development_any_key() -> None:
    check_api_settings(Settings(env="production", api_key="k" * 32))
    check_api_settings(Settings(env="development", api_key="change-me"))
    check_api_settings(Settings(env="staging"))


def test_create_app_refuses_to_start_in_production_with_the_example_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from scoreline.serving import create_app

    monkeypatch.setenv("SCORELINE_ENV", "production")
    monkeypatch.setenv("SCORELINE_API_KEY", "change-me")
    get_settings.cache_clear()
    with pytest.raises(ConfigurationError, match="example value"):
        create_app()


def test_an_unknown_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCORELINE_ENV", "prod")
    with pytest.raises(ValidationError, match="development"):
        Settings()


def test_secret_values_hold_every_secret_setting_and_url_password() -> None:
    settings = Settings(
        db_url="postgresql+psycopg://u:db%40pass@h/db",
        mlflow_uri="http://u:mlflow-pass@h:5000",
        football_data_url="https://u:fd-pass@h/mmz4281",
        api_key="the-api-key",
        alert_webhook_url="https://hooks.example/T000/B000/webhook-token",
    )
    assert settings.secret_values() == {
        "db%40pass",
        "db@pass",
        "mlflow-pass",
        "fd-pass",
        "the-api-key",
        "https://hooks.example/T000/B000/webhook-token",
    }
