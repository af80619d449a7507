"""What the command line tells a user about a failure: one line of what happened, one of what to do.

:func:`describe_failure` maps the anticipated failures, :class:`scoreline.errors.UserError` raised by library
code and the known errors of the libraries underneath (SQLAlchemy, DuckDB, httpx, the MLflow registry, the
settings), to a :class:`Failure`; anything else is unexpected and described as such. The error boundary in
:mod:`scoreline.cli.main` prints it, redacted.

Third-party and scoreline error types are looked up only in modules already imported
(:func:`_loaded`): an error cannot be an instance of a class whose module was never loaded, and this keeps
the command line's start-up free of imports it does not need.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

from scoreline.errors import UserError

DEBUG_HINT = "rerun with --debug (or SCORELINE_DEBUG=1) to see the traceback"
DB_HINT = "check --db or SCORELINE_DB_URL, and that the database server runs and accepts this user"
LOCK_HINT = (
    "wait for the other scoreline command to finish (a DuckDB file has one writer at a time), "
    "or use PostgreSQL for concurrent work"
)
SOURCE_HINT = "check the network connection, or read local files with --from-dir DIR"
REGISTRY_HINT = "train and register a model first (scoreline run), or check SCORELINE_MLFLOW_URI"
SETTINGS_HINT = "check the SCORELINE_* environment variables and the config file (SCORELINE_CONFIG)"
INPUT_HINT = "check the options (scoreline COMMAND --help) and settings; --debug shows where it was refused"
MAX_MESSAGE_CHARS = 400


@dataclass(frozen=True)
class Failure:
    """What happened, what to do, and the exit status (2: fix the command or settings; 1: anything else)."""

    message: str
    hint: str
    exit_code: int = 1
    expected: bool = True


def _loaded(module: str, name: str) -> type[BaseException] | None:
    """The exception class ``module.name`` if that module is already imported, else ``None``."""
    found = getattr(sys.modules.get(module), name, None)
    return found if isinstance(found, type) and issubclass(found, BaseException) else None


def _is(error: BaseException, module: str, name: str) -> bool:
    kind = _loaded(module, name)
    return kind is not None and isinstance(error, kind)


def first_line(error: BaseException) -> str:
    """The first non-blank line of ``error``'s message (DBAPI errors add SQL and links below it)."""
    text = str(getattr(error, "orig", None) or error)
    line = next((part.strip() for part in text.splitlines() if part.strip()), type(error).__name__)
    return line if len(line) <= MAX_MESSAGE_CHARS else line[: MAX_MESSAGE_CHARS - 3] + "..."


def _is_lock(error: BaseException) -> bool:
    return "lock" in str(getattr(error, "orig", None) or error).lower()


def _database(error: BaseException) -> Failure | None:
    if _is(error, "sqlalchemy.exc", "NoSuchModuleError"):
        return Failure(f"no database driver for this URL: {first_line(error)}", DB_HINT, 2)
    if _is(error, "sqlalchemy.exc", "ArgumentError"):
        return Failure(f"not a usable database URL: {first_line(error)}", DB_HINT, 2)
    locked = _is(error, "duckdb", "IOException") or _is(error, "sqlalchemy.exc", "DBAPIError")
    if locked and _is_lock(error):
        return Failure(f"the store's DuckDB file is in use: {first_line(error)}", LOCK_HINT)
    if _is(error, "sqlalchemy.exc", "OperationalError") or _is(error, "sqlalchemy.exc", "InterfaceError"):
        return Failure(f"cannot use the database: {first_line(error)}", DB_HINT)
    return None


def _source(error: BaseException) -> Failure | None:
    if _is(error, "scoreline.sources.football_data", "SourceUnavailableError"):
        return Failure(first_line(error), SOURCE_HINT)
    if _is(error, "httpx", "HTTPError"):
        return Failure(f"cannot download: {first_line(error)}", SOURCE_HINT)
    if isinstance(error, FileNotFoundError):
        return Failure(first_line(error), "check the path (folders given with --from-dir must exist)")
    return None


def _registry(error: BaseException) -> Failure | None:
    not_found = _is(error, "scoreline.registry.registry", "RegistryError") or _is(
        error, "scoreline.serving.provider", "ModelNotFoundError"
    )
    if not_found:
        return Failure(first_line(error), REGISTRY_HINT)
    if _is(error, "scoreline.serving.provider", "RegistryUnavailableError"):
        return Failure(f"cannot reach the model registry: {first_line(error)}", REGISTRY_HINT)
    if _is(error, "scoreline.pipelines.rules", "DataQualityError"):
        return Failure(first_line(error), "look at the quarantined rows: scoreline data summary")
    return None


def _settings(error: BaseException) -> Failure | None:
    if _is(error, "pydantic", "ValidationError"):
        return Failure(
            f"invalid settings: {first_line(error)} ({_validation_detail(error)})", SETTINGS_HINT, 2
        )
    return None


def _validation_detail(error: BaseException) -> str:
    errors = getattr(error, "errors", None)
    if not callable(errors):
        return ""
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors(include_input=False))


def _input(error: BaseException) -> Failure | None:
    """A ``ValueError`` reaching the command line is about a value it was given (a season code, a name)."""
    if isinstance(error, ValueError):
        return Failure(first_line(error), INPUT_HINT, 2)
    return None


_MAPPERS: tuple[Callable[[BaseException], Failure | None], ...] = (
    _database,
    _source,
    _registry,
    _settings,
    _input,
)


def describe_failure(error: BaseException) -> Failure:
    """The :class:`Failure` to show for ``error`` (``expected=False`` when no rule knows it)."""
    if isinstance(error, UserError):
        return Failure(first_line(error), error.hint, error.exit_code)
    for mapper in _MAPPERS:
        failure = mapper(error)
        if failure is not None:
            return failure
    return Failure(f"unexpected {type(error).__name__}: {first_line(error)}", DEBUG_HINT, 1, expected=False)
