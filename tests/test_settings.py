from pathlib import Path

import pytest

from scoreline.settings import Settings, get_settings


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
