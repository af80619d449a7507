"""One typed settings object for the whole project.

Values come, in increasing priority, from defaults, an optional TOML config file (``SCORELINE_CONFIG`` or
``$SCORELINE_HOME/config.toml``) and environment variables prefixed ``SCORELINE_``. Nothing here connects to
anything: settings only say where things are.
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from scoreline.errors import ConfigurationError
from scoreline.redaction import url_secrets

DEFAULT_HOME = Path("~/.scoreline")
MIN_PRODUCTION_API_KEY_LENGTH = 32
EXAMPLE_SECRETS = frozenset({"change-me", "changeme", "secret", "password", "example", "test"})


class _TomlFileSource(PydanticBaseSettingsSource):
    """Reads settings from the TOML config file, if one exists."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = config_file_path()
        if not path.is_file():
            return {}
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        return {key: value for key, value in data.items() if key in Settings.model_fields}


def config_file_path() -> Path:
    """Where the optional TOML config file is looked for."""
    explicit = os.environ.get("SCORELINE_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    home = Path(os.environ.get("SCORELINE_HOME", str(DEFAULT_HOME))).expanduser()
    return home / "config.toml"


class Settings(BaseSettings):
    """Where scoreline keeps its data, how it reaches its services, and how it behaves."""

    model_config = SettingsConfigDict(env_prefix="SCORELINE_", extra="ignore")

    home: Path = Field(default=DEFAULT_HOME, description="Folder for the cache, store and MLflow files.")
    db_url: str | None = Field(default=None, description="SQLAlchemy URL of the store; DuckDB file if unset.")
    mlflow_uri: str | None = Field(default=None, description="MLflow tracking URI; local store if unset.")
    api_key: SecretStr | None = Field(default=None, description="Key for the API's admin endpoints.")
    shared_data: Path | None = Field(default=None, description="Folder with the real data mirror.")
    football_data_url: str = Field(
        default="https://www.football-data.co.uk/mmz4281",
        description="Base URL of football-data.co.uk's season files.",
    )
    fixtures_url: str = Field(
        default="https://www.football-data.co.uk/fixtures.csv",
        description="URL of football-data.co.uk's fixtures.csv (the coming rounds of the main leagues).",
    )
    http_timeout_seconds: float = 30.0
    http_retries: int = 3
    alert_webhook_url: SecretStr | None = Field(
        default=None, description="URL that staging alerts are POSTed to (optional)."
    )
    # the API server (docs/api.md, "Limits and security")
    registry_timeout_seconds: int = Field(
        default=5, ge=1, description="Timeout of one call of the API to the MLflow registry (HTTP or SQL)."
    )
    registry_retries: int = Field(default=1, ge=0, description="Retries of a failed MLflow HTTP call (API).")
    model_retry_seconds: float = Field(
        default=30.0, gt=0, description="Until a model loads, the API tries again this often."
    )
    max_body_bytes: int = Field(default=1_000_000, ge=1, description="Largest request body the API reads.")
    admin_max_failures: int = Field(
        default=5, ge=1, description="Wrong admin keys a client may send per window before it gets 429."
    )
    admin_failure_window_seconds: float = Field(
        default=60.0, gt=0, description="Window of admin_max_failures (a locked-out client waits this long)."
    )
    ledger_key: SecretStr | None = Field(
        default=None,
        description="Secret keying the prediction ledger's hash chain (unset: a key file under home).",
    )
    dask_address: str | None = Field(
        default=None,
        description="Dask scheduler (tcp://host:8786) running backtest fits; local processes if unset.",
    )
    retry_delay_seconds: int = Field(default=600, description="Delay before an Airflow task is retried.")
    log_level: str = "WARNING"
    debug: bool = Field(default=False, description="Commands show the (redacted) traceback of a failure.")
    env: Literal["development", "staging", "production"] = Field(
        default="development",
        description="development, staging or production (the API then refuses a missing or weak key).",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlFileSource(settings_cls))

    @property
    def home_dir(self) -> Path:
        """The expanded home folder (not created here)."""
        return self.home.expanduser()

    @property
    def cache_dir(self) -> Path:
        """Download cache for football-data.co.uk files."""
        return self.home_dir / "cache"

    @property
    def resolved_db_url(self) -> str:
        """The store's URL: ``db_url`` if set, else the embedded DuckDB file under ``home``."""
        if self.db_url:
            return self.db_url
        return f"duckdb:///{self.home_dir / 'scoreline.duckdb'}"

    @property
    def resolved_mlflow_uri(self) -> str:
        """The MLflow tracking URI: ``mlflow_uri`` if set, else a local sqlite store under ``home``."""
        if self.mlflow_uri:
            return self.mlflow_uri
        return f"sqlite:///{self.home_dir / 'mlflow' / 'mlflow.db'}"

    @property
    def mlflow_artifacts_dir(self) -> Path:
        """Artefact folder of the embedded MLflow store."""
        return self.home_dir / "mlflow" / "artifacts"

    def secret_values(self) -> set[str]:
        """Every secret these settings hold, for :func:`scoreline.redaction.redact`: the value of every
        secret setting (API key, alert webhook URL...) and the password of every URL setting."""
        found: set[str] = set()
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                found.add(value.get_secret_value())
                found |= url_secrets(value.get_secret_value())
            elif isinstance(value, str):
                found |= url_secrets(value)
        return {secret for secret in found if secret}


def check_api_settings(settings: Settings) -> None:
    """Refuse to serve in production (``SCORELINE_ENV=production``) with a missing, short or example API key.

    Called by ``scoreline serve`` and ``create_app``; raises :class:`~scoreline.errors.ConfigurationError`
    saying which and how to make a good key. Other environments accept any key (or none: admin disabled).
    """
    if settings.env != "production":
        return
    hint = (
        "set SCORELINE_API_KEY to a random key of 32 characters or more, e.g. "
        'python -c "import secrets; print(secrets.token_urlsafe(32))"'
    )
    key = settings.api_key.get_secret_value() if settings.api_key else ""
    if not key:
        raise ConfigurationError("SCORELINE_ENV=production but SCORELINE_API_KEY is not set", hint)
    if key.strip().lower() in EXAMPLE_SECRETS:
        raise ConfigurationError("SCORELINE_API_KEY is the example value from .env.example", hint)
    if len(key) < MIN_PRODUCTION_API_KEY_LENGTH:
        raise ConfigurationError(
            f"SCORELINE_API_KEY has {len(key)} characters; production needs {MIN_PRODUCTION_API_KEY_LENGTH}",
            hint,
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once on first use (tests call ``get_settings.cache_clear()``)."""
    return Settings()
